/** Lambda entry point of the sampler function: wires AWS clients, stores and configuration, nothing else. */
import { dynamoDbClient, kinesisClient, s3Client } from '../shared/aws/clients.ts';
import { configFromEnv, requiredEnv } from '../shared/config/load.ts';
import { jsonLogger } from '../shared/log.ts';
import { Metrics } from '../shared/metrics/emf.ts';
import { ShardDirectory } from '../shared/routing/shard-directory.ts';
import { BUCKET_NAME_ENV, createTraceStore, TABLE_NAME_ENV } from '../storage/create.ts';
import { createSamplerHandler } from './app.ts';
import { s3StateStore } from './state/state-store.ts';

const config = configFromEnv();
const streamName = requiredEnv('TRACESIFT_STREAM_NAME');
const bucketName = requiredEnv(BUCKET_NAME_ENV);
// Deferred and forwarded traces are written by put-records.ts's own retry loop with a deadline;
// SDK retries inside it would stretch that deadline.
const kinesis = kinesisClient({ maxAttempts: 1, requestTimeoutMs: 3_000 });
const s3 = s3Client();
const metrics = new Metrics({ dimensions: { Function: 'sampler' } });
const logger = jsonLogger('sampler');
const store = createTraceStore({
  dynamodb: dynamoDbClient(),
  s3,
  tableName: requiredEnv(TABLE_NAME_ENV),
  bucketName,
  config,
  metrics,
  logger,
  now: Date.now,
});

export const handler = createSamplerHandler({
  kinesis,
  streamName,
  shards: new ShardDirectory(kinesis, { streamName, ttlMs: config.ingest.shardMapTtlSeconds * 1000 }),
  sink: store,
  lookup: store,
  stateStore: s3StateStore(s3, bucketName, streamName),
  config,
  metrics,
  logger,
  now: Date.now,
});
