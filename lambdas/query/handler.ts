/** Lambda entry point of the query function: wires the DynamoDB client and configuration, nothing else. */
import { dynamoDbClient } from '../shared/aws/clients.ts';
import { requiredEnv } from '../shared/config/load.ts';
import { jsonLogger } from '../shared/log.ts';
import { Metrics } from '../shared/metrics/emf.ts';
import { TABLE_NAME_ENV } from '../storage/create.ts';
import { TraceTable } from '../storage/trace-table.ts';
import { createQueryHandler } from './app.ts';

export const handler = createQueryHandler({
  table: new TraceTable({ client: dynamoDbClient(), tableName: requiredEnv(TABLE_NAME_ENV), now: Date.now }),
  now: Date.now,
  metrics: new Metrics({ dimensions: { Function: 'query' } }),
  logger: jsonLogger('query'),
});
