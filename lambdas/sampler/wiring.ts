/** The sampler function assembled from its environment, clients and telemetry (handler.ts and local/pipeline.ts). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TracesiftConfig } from '../shared/config/index.ts';
import { ShardDirectory } from '../shared/routing/index.ts';
import { functionMetrics, instrumented, type Telemetry } from '../shared/telemetry.ts';
import { createTraceStore } from '../storage/index.ts';
import { createSamplerHandler } from './app.ts';
import { s3StateStore } from './state/state-store.ts';

export interface SamplerEnvironment {
  readonly config: TracesiftConfig;
  readonly streamName: string;
  readonly tableName: string;
  readonly bucketName: string;
}

export interface SamplerClients {
  /** Without SDK retries: deferred and forwarded traces are written by a retry loop with a deadline. */
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly now: () => number;
}

export function createSamplerFunction(
  env: SamplerEnvironment,
  clients: SamplerClients,
  telemetry: Telemetry,
) {
  const { config, streamName, bucketName } = env;
  const { kinesis, s3, now } = clients;
  const metrics = functionMetrics('sampler', telemetry);
  const { logger } = telemetry;
  const store = createTraceStore({
    dynamodb: clients.dynamodb,
    s3,
    tableName: env.tableName,
    bucketName,
    config,
    metrics,
    logger,
    now,
  });
  const handler = createSamplerHandler({
    kinesis,
    streamName,
    shards: new ShardDirectory(kinesis, { streamName, ttlMs: config.ingest.shardMapTtlSeconds * 1000 }),
    sink: store,
    lookup: store,
    stateStore: s3StateStore(s3, bucketName, streamName),
    config,
    metrics,
    logger,
    now,
  });
  return instrumented(handler, telemetry);
}
