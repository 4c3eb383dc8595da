/**
 * Constructors the sampler's handler (and the local pipeline) call to get the kept-traces store:
 * one object that is both the TraceSink (DynamoDB + Parquet) and the DecisionLookup.
 *
 *   createTraceStore({ dynamodb, s3, tableName, bucketName, config })   clients injected
 *   storageFromEnv()   in a Lambda: TRACESIFT_TABLE_NAME, TRACESIFT_BUCKET_NAME, TRACESIFT_CONFIG
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { dynamoDbClient, s3Client } from '../shared/aws/clients.ts';
import { configFromEnv, requiredEnv } from '../shared/config/load.ts';
import type { TracesiftConfig } from '../shared/config/schema.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/emf.ts';
import { ParquetStore } from './parquet-store.ts';
import { TraceStore } from './trace-store.ts';
import { type RetryPolicy, TraceTable } from './trace-table.ts';

export const TABLE_NAME_ENV = 'TRACESIFT_TABLE_NAME';
export const BUCKET_NAME_ENV = 'TRACESIFT_BUCKET_NAME';

export interface TraceStoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucketName: string;
  readonly config: TracesiftConfig;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Backoff of DynamoDB batch retries and manifest conflicts (tests pass a sleep that does not wait). */
  readonly retry?: Partial<RetryPolicy>;
  /** Clock (epoch ms) for expiry checks of the decision lookup: the wiring passes Date.now. */
  readonly now: () => number;
}

export function createTraceStore(options: TraceStoreOptions): TraceStore {
  return new TraceStore({
    table: new TraceTable({
      client: options.dynamodb,
      tableName: options.tableName,
      ...(options.retry ? { retry: options.retry } : {}),
      now: options.now,
    }),
    parquet: new ParquetStore({
      s3: options.s3,
      bucketName: options.bucketName,
      storage: options.config.storage,
      ...(options.retry ? { retry: options.retry } : {}),
    }),
    storage: options.config.storage,
    caps: {
      maxSpans: options.config.sampling.maxSpansPerTrace,
      maxBytes: options.config.sampling.maxBytesPerTrace,
    },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** The store of a Lambda function: names and config from the environment, clients from clients.ts. */
export function storageFromEnv(
  extras: { readonly metrics?: Metrics; readonly logger?: Logger; readonly now?: () => number } = {},
  env: NodeJS.ProcessEnv = process.env,
): TraceStore {
  return createTraceStore({
    dynamodb: dynamoDbClient(),
    s3: s3Client(),
    tableName: requiredEnv(TABLE_NAME_ENV, env),
    bucketName: requiredEnv(BUCKET_NAME_ENV, env),
    config: configFromEnv(env),
    now: Date.now,
    ...extras,
  });
}
