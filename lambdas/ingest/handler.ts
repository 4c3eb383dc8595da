/** Lambda entry point of the ingest function: wires AWS clients and configuration, nothing else. */
import { kinesisClient } from '../shared/aws/clients.ts';
import { configFromEnv, requiredEnv } from '../shared/config/load.ts';
import { jsonLogger } from '../shared/log.ts';
import { Metrics } from '../shared/metrics/emf.ts';
import { ShardDirectory } from '../shared/routing/shard-directory.ts';
import { createIngestHandler } from './app.ts';
import { TraceRateLimiter } from './trace-rate.ts';

const config = configFromEnv();
const streamName = requiredEnv('TRACESIFT_STREAM_NAME');
// Ingest runs its own retry loop with a deadline (put-records.ts); SDK retries would stretch it.
const kinesis = kinesisClient({ maxAttempts: 1, requestTimeoutMs: 3_000 });

export const handler = createIngestHandler({
  kinesis,
  streamName,
  config,
  shards: new ShardDirectory(kinesis, { streamName, ttlMs: config.ingest.shardMapTtlSeconds * 1000 }),
  metrics: new Metrics({ dimensions: { Function: 'ingest' } }),
  logger: jsonLogger('ingest'),
  traceRate: new TraceRateLimiter(config.ingest.traceRate, Date.now),
});
