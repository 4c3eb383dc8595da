/** Lambda entry point of the query function: its environment, clients and telemetry, into wiring.ts. */
import { dynamoDbClient } from '../shared/aws/clients.ts';
import { functionEnvironment } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { createQueryFunction } from './wiring.ts';

export const handler = createQueryFunction(
  { tableName: functionEnvironment().tableName() },
  { dynamodb: dynamoDbClient(), now: Date.now },
  lambdaTelemetry('query'),
);
