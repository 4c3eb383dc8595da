/** Lambda entry point of the query function: its environment, clients and telemetry, into wiring.ts. */
import { dynamoDbClient } from '../shared/aws/clients.ts';
import { functionEnvironment } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { loadUiAssets } from './ui-assets.ts';
import { createQueryFunction } from './wiring.ts';

export const handler = createQueryFunction(
  // The bundle carries the built UI beside index.mjs (lib/trace-store.ts); read once per cold start.
  { tableName: functionEnvironment().tableName(), ui: loadUiAssets(new URL('./ui/', import.meta.url)) },
  { dynamodb: dynamoDbClient(), now: Date.now },
  lambdaTelemetry('query'),
);
