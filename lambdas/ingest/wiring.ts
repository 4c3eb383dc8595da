/**
 * The ingest function assembled from its environment, clients and telemetry: what handler.ts runs
 * in Lambda and local/pipeline.ts runs on loopback, so the two differ only in what they pass.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TracesiftConfig } from '../shared/config/index.ts';
import { ShardDirectory } from '../shared/routing/index.ts';
import { functionMetrics, instrumented, type Telemetry } from '../shared/telemetry.ts';
import { createIngestHandler } from './app.ts';
import type { HashKeyring } from './hash-keys.ts';
import { TraceRateLimiter } from './trace-rate.ts';

export interface IngestEnvironment {
  readonly config: TracesiftConfig;
  readonly streamName: string;
  /** The `hash` redaction keys, read at start-up (hash-keys.ts); required when a rule hashes. */
  readonly hashKeys?: HashKeyring | undefined;
}

export interface IngestClients {
  /** Without SDK retries: ingest runs its own retry loop with a deadline. */
  readonly kinesis: KinesisClient;
  readonly now: () => number;
}

export function createIngestFunction(env: IngestEnvironment, clients: IngestClients, telemetry: Telemetry) {
  const { config, streamName } = env;
  const { kinesis, now } = clients;
  const handler = createIngestHandler({
    kinesis,
    streamName,
    config,
    shards: new ShardDirectory(kinesis, { streamName, ttlMs: config.ingest.shardMapTtlSeconds * 1000 }),
    metrics: functionMetrics('ingest', telemetry),
    logger: telemetry.logger,
    traceRate: new TraceRateLimiter(config.ingest.traceRate, now),
    hashKeys: env.hashKeys,
  });
  return instrumented(handler, telemetry);
}
