/** Lambda entry point of the compaction function: its environment, clients and telemetry, into wiring.ts. */
import { s3Client } from '../shared/aws/clients.ts';
import { functionEnvironment } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { createCompactionFunction } from './wiring.ts';

const env = functionEnvironment();

export const handler = createCompactionFunction(
  { bucketName: env.bucketName(), storage: env.config.storage },
  { s3: s3Client(), now: Date.now },
  lambdaTelemetry('compaction'),
);
