/** The query function assembled from its environment, clients and telemetry (handler.ts and local/pipeline.ts). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { functionMetrics, instrumented, type Telemetry } from '../shared/telemetry.ts';
import { createTraceSearch, TraceTable } from '../storage/index.ts';
import { createQueryHandler } from './app.ts';
import type { UiAssets } from './ui-assets.ts';

export interface QueryEnvironment {
  readonly tableName: string;
  /** The web UI's files: read from the bundle's `ui/` folder in Lambda, built in memory locally. */
  readonly ui: UiAssets;
}

export interface QueryClients {
  readonly dynamodb: DynamoDBClient;
  readonly now: () => number;
}

export function createQueryFunction(env: QueryEnvironment, clients: QueryClients, telemetry: Telemetry) {
  const { dynamodb, now } = clients;
  const table = new TraceTable({ client: dynamodb, tableName: env.tableName, now });
  const handler = createQueryHandler({
    table,
    search: createTraceSearch(table),
    now,
    metrics: functionMetrics('query', telemetry),
    logger: telemetry.logger,
    ui: env.ui,
  });
  return instrumented(handler, telemetry);
}
