/**
 * Constructors the sampler's handler (and the local pipeline) call to get the kept-traces store:
 * one object that is both the TraceSink (DynamoDB + Parquet) and the DecisionLookup.
 *
 *   createTraceStore({ dynamodb, s3, tableName, bucketName, config })   clients injected
 *
 * (lambdas/sampler/wiring.ts calls it, in Lambda and in the local pipeline alike.)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TracesiftConfig } from '../shared/config/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import { type RetryPolicy, TraceTable } from './dynamodb/trace-table.ts';
import { ParquetStore } from './parquet/store.ts';
import { SearchIndexWriter } from './search/index-writer.ts';
import { TraceStore } from './trace-store.ts';

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
  const table = new TraceTable({
    client: options.dynamodb,
    tableName: options.tableName,
    ...(options.retry ? { retry: options.retry } : {}),
    now: options.now,
  });
  return new TraceStore({
    table,
    index: new SearchIndexWriter(table, options.config.storage.retentionDays),
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
