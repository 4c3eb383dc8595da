/**
 * Ingest-written records on kinesalite, read by the local poller and sampled by the real handler,
 * re-putting deferred and forwarded traces through the real Kinesis client, across a shard split
 * during which ingest keeps using its stale (pre-split) shard map. Every trace must come out whole:
 * one decision per trace, with all its spans, none of them late.
 */
import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSpans } from '../../../lambdas/ingest/records.ts';
import { createSamplerHandler } from '../../../lambdas/sampler/app.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../../lambdas/shared/metrics/index.ts';
import { MAX_HASH_KEY, ShardDirectory, type ShardMap } from '../../../lambdas/shared/routing/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { putAllRecords } from '../../../lambdas/shared/stream/index.ts';
import { type Poller, startPoller } from '../../../local/poller.ts';
import { ensureStream, type KinesisStandIn, startKinesisStandIn } from '../../../local/standins/kinesis.ts';
import { memoryStateStore, memoryTraceStore, traceIds, traceOf } from '../../support/sampler.ts';
import { wallClockMs } from '../../support/wall-clock.ts';

const STREAM = 'sampler-integration';

let stream: KinesisStandIn;
let client: KinesisClient;
let poller: Poller;
const store = memoryTraceStore();
const invocations: Array<Array<Record<string, unknown>>> = [];
const emitted = new Map<string, Span[]>();

async function ingest(spans: readonly Span[], shardMap: ShardMap): Promise<void> {
  for (const span of spans) emitted.set(span.traceId, [...(emitted.get(span.traceId) ?? []), span]);
  const { records } = packSpans(spans, { shardMap, lanes: 1, maxRecordBytes: 1024 * 1024 - 1024 });
  const outcome = await putAllRecords(client, records, {
    streamName: STREAM,
    deadline: wallClockMs() + 5_000,
  });
  if (!outcome.ok) throw new Error(`ingest failed: ${outcome.lastError}`);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  stream = await startKinesisStandIn();
  client = stream.client();
  await ensureStream(client, STREAM, 1);
  const handler = createSamplerHandler({
    kinesis: client,
    streamName: STREAM,
    // A short TTL so the sampler notices the new shards soon after the split.
    shards: new ShardDirectory(client, { streamName: STREAM, ttlMs: 100 }),
    sink: store.sink,
    lookup: store.lookup,
    stateStore: memoryStateStore(),
    now: wallClockMs,
    config: parseConfig({
      window: { batchingWindowSeconds: 0 },
      sampling: { baselineProbability: 1, sendDelaySeconds: 0.3, traceTimeoutSeconds: 10 },
    }),
    metrics: new Metrics({
      dimensions: { Function: 'sampler' },
      sink: (line) => invocations[invocations.length - 1]?.push(parseEmfLine(line) ?? {}),
    }),
    logger: silentLogger,
  });
  poller = await startPoller({
    kinesis: client,
    streamName: STREAM,
    handler: async (event: KinesisStreamEvent) => {
      invocations.push([]);
      return handler(event, {} as Context) as Promise<KinesisStreamBatchResponse>;
    },
    batchSize: 50,
    batchingWindowMs: 100,
    pollIntervalMs: 50,
  });

  const directory = new ShardDirectory(client, { streamName: STREAM, ttlMs: 0 });
  const beforeSplit = await directory.openShards();
  const ids = traceIds(120, 90);

  // Before the split: 40 whole traces, and 20 whose children come now and roots after the split.
  await ingest(
    ids.slice(0, 40).flatMap((id) => traceOf(id, { children: 3 })),
    beforeSplit,
  );
  const straddling = ids.slice(40, 60).map((id) => traceOf(id, { children: 3 }));
  await ingest(
    straddling.flatMap((spans) => spans.slice(1)),
    beforeSplit,
  );
  await pause(150);

  // The split, while ingest keeps its stale one-shard map.
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: STREAM }));
  await client.send(
    new SplitShardCommand({
      StreamName: STREAM,
      ShardToSplit: Shards[0]?.ShardId,
      NewStartingHashKey: ((MAX_HASH_KEY + 1n) / 2n).toString(),
    }),
  );
  for (let i = 0; i < 100; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await pause(20);
  }
  await ingest(
    straddling.map((spans) => spans[0] as Span),
    beforeSplit,
  );
  // After the split: 60 traces, children and roots in separate requests, through the stale map.
  const after = ids.slice(60).map((id) => traceOf(id, { children: 3 }));
  await ingest(
    after.flatMap((spans) => spans.slice(1)),
    beforeSplit,
  );
  await ingest(
    after.map((spans) => spans[0] as Span),
    beforeSplit,
  );

  // Everything is decided once the send delay has passed and the stream is quiet.
  await pause(500);
  await poller.caughtUp();
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  await stream?.close();
});

describe('sampler on kinesalite across a shard split', () => {
  const sum = (lines: Array<Record<string, unknown>>, name: string) =>
    lines.reduce((t, l) => t + (typeof l[name] === 'number' ? (l[name] as number) : 0), 0);

  it('keeps every trace whole: one decision, all spans, nothing late', () => {
    expect(emitted.size).toBe(120);
    for (const [traceId, spans] of emitted) {
      const writes = store.writes.flatMap((w) => w.traces).filter((t) => t.traceId === traceId);
      expect(writes.map((w) => w.late)).toEqual([false]);
      expect(new Set(writes[0]?.spans.map((s) => s.spanId))).toEqual(new Set(spans.map((s) => s.spanId)));
    }
  });

  it('forwarded the traces that the stale map sent to the wrong child, and read the parent first', () => {
    const all = invocations.flat();
    expect(sum(all, 'SpansForwarded')).toBeGreaterThan(0);
    expect(poller.stats.shardsFinished).toBe(1);
  });

  it('conserved spans in every invocation', () => {
    const done = invocations.filter((lines) => lines.some((l) => typeof l.SpansIn === 'number'));
    expect(done.length).toBeGreaterThan(2);
    for (const lines of done) {
      expect(
        sum(lines, 'SpansKept') +
          sum(lines, 'SpansDropped') +
          sum(lines, 'SpansDeferred') +
          sum(lines, 'SpansPending') +
          sum(lines, 'SpansForwarded') +
          sum(lines, 'SpansDeadLettered'),
      ).toBe(sum(lines, 'SpansIn'));
    }
  });
});
