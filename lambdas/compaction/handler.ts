/** Lambda entry point of the compaction function: wires the S3 client and configuration, nothing else. */
import { s3Client } from '../shared/aws/clients.ts';
import { configFromEnv, requiredEnv } from '../shared/config/load.ts';
import { jsonLogger } from '../shared/log.ts';
import { Metrics } from '../shared/metrics/emf.ts';
import { BUCKET_NAME_ENV } from '../storage/create.ts';
import { createCompactionHandler } from './app.ts';

const config = configFromEnv();

export const handler = createCompactionHandler({
  s3: s3Client(),
  bucketName: requiredEnv(BUCKET_NAME_ENV),
  storage: config.storage,
  now: Date.now,
  metrics: new Metrics({ dimensions: { Function: 'compaction' } }),
  logger: jsonLogger('compaction'),
});
