import {
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSamplerHandler } from '../../../lambdas/sampler/app.ts';
import type { StreamRecord } from '../../../lambdas/sampler/batch.ts';
import {
  DecisionLookupError,
  InvalidEventError,
  PendingUnavailableError,
  PoisonBatchError,
  ShardRangeUnknownError,
  SinkWriteError,
  StateConflictError,
  StateStoreError,
  StreamWriteError,
} from '../../../lambdas/sampler/errors.ts';
import { wakeUpRecord } from '../../../lambdas/sampler/pend.ts';
import { decodePending } from '../../../lambdas/sampler/state/pending.ts';
import type { SamplerStateStore } from '../../../lambdas/sampler/state/state-store.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { decodeRecord, RecordOrigin } from '../../../lambdas/shared/record/index.ts';
import { laneOf, ShardDirectory, traceHashKeyOfHex } from '../../../lambdas/shared/routing/index.ts';
import { type Span, StatusCode } from '../../../lambdas/shared/span/model.ts';
import { acceptAll, listShardsOutput } from '../../support/kinesis-mock.ts';
import {
  ingestRecords,
  kinesisEventOf,
  type MemoryTraceStore,
  memoryStateStore,
  memoryTraceStore,
  spanOf,
  streamRecordOf,
  traceIds,
  traceOf,
} from '../../support/sampler.ts';

const kinesis = mockClient(KinesisClient);
const SHARD = 'shardId-000000000000';
const T0 = 1_700_000_000_000;

let emf: Array<Record<string, unknown>>;
let store: MemoryTraceStore;
let stateStore: ReturnType<typeof memoryStateStore>;
let clock: number;
let sequence: number;

beforeEach(() => {
  kinesis.on(ListShardsCommand).resolves(listShardsOutput(1));
  kinesis.on(PutRecordsCommand).callsFake(acceptAll(1));
  store = memoryTraceStore();
  stateStore = memoryStateStore();
  emf = [];
  clock = T0;
  sequence = 0;
});

afterEach(() => {
  kinesis.reset();
});

function handlerFor(
  sampling: Record<string, unknown> = {},
  overrides: { stateStore?: SamplerStateStore; ingest?: Record<string, unknown> } = {},
) {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const handler = createSamplerHandler({
    kinesis: client,
    streamName: 'traces',
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now: () => clock }),
    sink: store.sink,
    lookup: store.lookup,
    stateStore: overrides.stateStore ?? stateStore,
    config: parseConfig({
      ...(overrides.ingest ? { ingest: overrides.ingest } : {}),
      sampling: { sendDelaySeconds: 5, traceTimeoutSeconds: 30, ...sampling },
    }),
    metrics: new Metrics({
      dimensions: { Function: 'sampler' },
      sink: (line) => emf.push(parseEmfLine(line) ?? {}),
    }),
    logger: silentLogger,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return (event: KinesisStreamEvent, context = {} as Context) =>
    handler(event, context) as Promise<KinesisStreamBatchResponse>;
}

/** Records for spans as ingest writes them, arriving at `arrivalMs`. */
function arriving(spans: readonly Span[], arrivalMs: number): StreamRecord[] {
  return ingestRecords(spans).map((r) => streamRecordOf(r.data, ++sequence, arrivalMs, r.partitionKey));
}

const event = (...records: StreamRecord[][]): KinesisStreamEvent => kinesisEventOf(SHARD, records.flat());

/** Sum of an EMF metric over every line (and dimension set) matching `dimensions`. */
function metric(name: string, dimensions: Record<string, string> = {}): number {
  return emf
    .filter((line) => Object.entries(dimensions).every(([k, v]) => line[k] === v))
    .reduce((sum, line) => sum + (typeof line[name] === 'number' ? (line[name] as number) : 0), 0);
}

function expectConservation(): void {
  const out =
    metric('SpansKept') +
    metric('SpansDropped') +
    metric('SpansDeferred') +
    metric('SpansPending') +
    metric('SpansForwarded') +
    metric('SpansDeadLettered');
  expect(out).toBe(metric('SpansIn'));
}

/** The PutRecords entries the sampler sent, call by call. */
function putEntries(): NonNullable<PutRecordsCommandInput['Records']>[] {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .map((call) => (call.args[0].input as PutRecordsCommandInput).Records ?? []);
}

/** The records the sampler put back on the stream, as the next batch would see them. */
function putRecords(arrivalMs: number): StreamRecord[] {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .flatMap(
      (call) =>
        (call.args[0].input as PutRecordsCommandInput).Records?.map((entry) =>
          streamRecordOf(entry.Data as Uint8Array, ++sequence, arrivalMs, entry.PartitionKey),
        ) ?? [],
    );
}

const [A, B, C, D] = traceIds(4, 77) as [string, string, string, string];

/**
 * A (root and first child) decided and kept by a container that saved the shard's state, as B's
 * root arriving 5 s later makes it ready; returns A's children, the second of which is still to come.
 */
async function keptByAnotherContainer(): Promise<Span[]> {
  const [root, ...children] = traceOf(A);
  await handlerFor({ baselineProbability: 1 })(
    event(
      arriving([root as Span, children[0] as Span], T0),
      arriving(traceOf(B, { children: 0 }), T0 + 5_000),
    ),
  );
  kinesis.resetHistory();
  return children;
}

describe('sampler handler: readiness and decisions', () => {
  it('keeps a ready trace with its full spans, and accounts for every span', async () => {
    // Prepare: root arrived 5 s before the watermark (send delay passed exactly)
    const spans = traceOf(A, { children: 3 });
    const handler = handlerFor({ baselineProbability: 1 });

    // Act
    const response = await handler(
      event(arriving(spans, T0), arriving([spanOf({ traceId: B, spanId: '1111111111111111' })], T0 + 5_000)),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const stored = store.traces.get(A);
    expect([...(stored?.spans.values() ?? [])]).toEqual(expect.arrayContaining(spans));
    expect(stored?.spans.size).toBe(4);
    expect(stored?.decision).toMatchObject({
      keep: true,
      policy: 'baseline',
      probability: 1,
      threshold: '0',
    });
    expect(store.writes[0]?.batch).toEqual({
      shardId: SHARD,
      firstSequenceNumber: streamRecordOf(new Uint8Array(), 1, 0).sequenceNumber,
      lastSequenceNumber: streamRecordOf(new Uint8Array(), 2, 0).sequenceNumber,
    });
    expect(store.writes[0]?.traces[0]).toMatchObject({ late: false, firstArrivalMs: T0 });
    expect(metric('SpansKept', { Policy: 'baseline' })).toBe(4);
    expect(metric('TracesKept', { Policy: 'baseline' })).toBe(1);
    expect(metric('TracesReady', { Readiness: 'root' })).toBe(1);
    expect(metric('SpansPending')).toBe(1);
    expectConservation();
  });

  it('holds a trace whose send delay has not passed in the pending set, with its carry, and decides it at the wake-up', async () => {
    // Prepare
    const spans = traceOf(A);
    const handler = handlerFor({ baselineProbability: 1 });

    // Act 1: root arrived 1 ms too recently
    await handler(
      event(arriving(spans, T0), arriving([spanOf({ traceId: B, spanId: '1111111111111111' })], T0 + 4_999)),
    );

    // Assess 1: no spans written back to the stream, only one wake-up record routed like ingest;
    // the shard's state document names a pending set holding A, remembering its first arrival
    expect(store.writes).toHaveLength(0);
    const entries = putEntries().flat();
    expect(entries).toHaveLength(1);
    expect(decodeRecord(entries[0]?.Data as Uint8Array).header).toEqual({
      origin: RecordOrigin.WAKE_UP,
      spanCount: 0,
      traces: [],
    });
    const reference = stateStore.documents.get(SHARD)?.pending;
    expect(reference).toMatchObject({ records: 1, spans: 4, coveredSequence: expect.any(String) });
    const [pended] = decodePending(
      stateStore.pendingObjects.get(reference?.key as string) as Uint8Array,
      'test',
    );
    const { header, payload } = decodeRecord(pended?.data as Uint8Array);
    expect(header.origin).toBe(RecordOrigin.DEFERRED);
    expect(header.traces.find((t) => t.traceId === A)).toEqual({
      traceId: A,
      firstArrivalMs: T0,
      rootArrivalMs: T0,
      deferrals: 1,
    });
    expect(decodeTraceRequest(payload).filter((s) => s.traceId === A)).toEqual(spans);
    expect(metric('SpansPending')).toBe(4);
    expect(metric('SpansDeferred')).toBe(0);
    expectConservation();

    // Act 2: the wake-up record comes back in the next batch
    const back = putRecords(T0 + 5_200);
    kinesis.resetHistory();
    await handler(event(back));

    // Assess 2: A decided from the pending set; B (root at T0 + 4,999 s) still pending, alone in a
    // new object, and the replaced one deleted
    expect(store.traces.get(A)?.spans.size).toBe(3);
    expect(store.writes[0]?.traces.find((t) => t.traceId === A)?.firstArrivalMs).toBe(T0);
    expect(stateStore.documents.get(SHARD)?.pending).toMatchObject({ records: 1, spans: 1 });
    expect([...stateStore.pendingObjects.keys()]).toEqual([stateStore.documents.get(SHARD)?.pending?.key]);
    expectConservation();
  });

  it.each([
    ['a batch of wake-up records only, read from a drained shard, takes the invocation start', [], 1],
    [
      'a batch with data records keeps its latest arrival',
      [spanOf({ traceId: C, spanId: '2222222222222222' })],
      0,
    ],
  ])('watermark: %s', async (_case, others, decided) => {
    // Prepare: A's root arrived at T0 and A waits in the pending set; the wake-up arrives at
    // T0 + 1 s, the invocation starts at T0 + 6 s (past A's 5 s send delay)
    const handler = handlerFor({ baselineProbability: 1 });
    await handler(event(arriving(traceOf(A), T0)));
    const wakeUps = putRecords(T0 + 1_000);
    clock = T0 + 6_000;
    // Act
    await handler(event(wakeUps, arriving(others, T0 + 1_000)));
    // Assess
    expect(store.traces.has(A) ? 1 : 0).toBe(decided);
    expectConservation();
  });

  it('decides a trace without its root at its timeout', async () => {
    // Prepare: only children of A, first arrived 30 s before the watermark
    const [, ...children] = traceOf(A);
    const handler = handlerFor({ baselineProbability: 1 });

    // Act
    await handler(event(arriving(children, T0), arriving(traceOf(B), T0 + 30_000)));

    // Assess: decided (baseline, rootless probability), not deferred
    expect(store.traces.get(A)?.spans.size).toBe(2);
    expect(store.traces.get(A)?.decision.reason).toMatch(/root never arrived/);
    expect(metric('TracesReady', { Readiness: 'timeout' })).toBe(1);
    expectConservation();
  });

  it('drops traces the policies drop, counting them under the deciding policy', async () => {
    const handler = handlerFor({
      baselineProbability: 0,
      dropRules: [{ name: 'health', when: [{ attribute: 'http.route', op: 'equals', value: '/health' }] }],
    });
    await handler(
      event(
        arriving([...traceOf(A, { root: { attributes: { 'http.route': '/health' } } }), ...traceOf(B)], T0),
        arriving(traceOf(C, { children: 0 }), T0 + 6_000),
      ),
    );
    expect(store.writes).toHaveLength(0);
    expect(metric('SpansDropped', { Policy: 'drop:health' })).toBe(3);
    expect(metric('SpansDropped', { Policy: 'baseline' })).toBe(3);
    expect(metric('TracesDropped', { Policy: 'baseline' })).toBe(1);
    expectConservation();
  });

  it.each([
    ['passes', (byte: number) => byte >= 0x80, { probability: 0.5, threshold: '8' }],
    ['contradicts (so it is erased)', (byte: number) => byte < 0x80, { probability: 1, threshold: '0' }],
  ])(
    'keeps an error trace with the head-sampling threshold its randomness %s',
    async (_name, pick, expected) => {
      // Prepare: the SDK head-sampled at p 0.5 (ot=th:8); byte 9 of the id is the top of R
      const id = traceIds(50, 78).find((t) => pick(Number.parseInt(t.slice(18, 20), 16))) as string;
      const spans = traceOf(id, { root: { status: StatusCode.ERROR, traceState: 'ot=th:8' } });
      const handler = handlerFor({ baselineProbability: 0 });

      // Act
      await handler(event(arriving(spans, T0), arriving(traceOf(B, { children: 0 }), T0 + 5_000)));

      // Assess: a consistent head threshold makes the adjusted count 2, not 1
      expect(store.traces.get(id)?.decision).toMatchObject({ policy: 'errors', ...expected });
    },
  );

  it('counts duplicate spans apart from SpansIn', async () => {
    const spans = traceOf(A);
    const handler = handlerFor({ baselineProbability: 1 });
    await handler(
      event(arriving(spans, T0), arriving(spans, T0 + 1), arriving(traceOf(B, { children: 0 }), T0 + 5_000)),
    );
    expect(metric('DuplicateSpans')).toBe(3);
    expect(metric('SpansIn')).toBe(4);
    expectConservation();
  });

  it('answers an empty event with no failures', async () => {
    expect(await handlerFor()({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe('sampler handler: late spans', () => {
  it('attaches late spans of a kept trace, from the warm cache, without a lookup', async () => {
    // Prepare: A decided and kept
    const [root, ...children] = traceOf(A, { children: 3 });
    const handler = handlerFor({ baselineProbability: 1 });
    await handler(
      event(
        arriving([root as Span, ...children.slice(0, 2)], T0),
        arriving(traceOf(B, { children: 0 }), T0 + 5_000),
      ),
    );

    // Act: its last child arrives later
    await handler(event(arriving([children[2] as Span], T0 + 9_000)));

    // Assess
    const late = store.writes[1]?.traces[0];
    expect(late).toMatchObject({ traceId: A, late: true, decision: { policy: 'baseline' } });
    expect(late?.spans).toEqual([children[2]]);
    expect(store.lookups).toEqual([]);
    expect(metric('LateSpans')).toBe(1);
    expectConservation();
  });

  it('counts late spans the store refuses at the trace cap as dropped (trace-cap), not kept', async () => {
    // Prepare: a store holding at most 3 spans a trace; A kept with its root and 2 children
    store = memoryTraceStore({ maxSpans: 3, maxBytes: Number.MAX_SAFE_INTEGER });
    const [root, ...children] = traceOf(A, { children: 4 });
    const handler = handlerFor({ baselineProbability: 1 });
    await handler(
      event(
        arriving([root as Span, ...children.slice(0, 2)], T0),
        arriving(traceOf(B, { children: 0 }), T0 + 5_000),
      ),
    );

    // Act: its last two children arrive later
    await handler(event(arriving(children.slice(2), T0 + 9_000)));

    // Assess
    expect(store.traces.get(A)?.spans.size).toBe(3);
    expect(metric('SpansDropped', { Policy: 'trace-cap' })).toBe(2);
    // Kept counts exactly the spans stored
    const stored = [...store.traces.values()].reduce((n, trace) => n + trace.spans.size, 0);
    expect(metric('SpansKept')).toBe(stored);
    expectConservation();
  });

  it('drops late spans of a dropped trace, from the warm cache', async () => {
    const [root, ...children] = traceOf(A);
    const handler = handlerFor({ baselineProbability: 0 });
    await handler(
      event(
        arriving([root as Span, children[0] as Span], T0),
        arriving(traceOf(B, { children: 0 }), T0 + 5_000),
      ),
    );
    kinesis.resetHistory();
    await handler(event(arriving([children[1] as Span], T0 + 9_000)));
    expect(store.writes).toHaveLength(0);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(metric('LateSpans')).toBe(1);
    expect(metric('SpansDropped', { Policy: 'baseline' })).toBe(3);
    expectConservation();
  });

  it("after a cold start, follows the shard's saved decision for a late child at once", async () => {
    // Prepare: A kept by one container, which saved the shard's recent decisions
    const children = await keptByAnotherContainer();
    const fresh = handlerFor({ baselineProbability: 1 });

    // Act: a fresh container sees the late child
    await fresh(event(arriving([children[1] as Span], T0 + 9_000)));

    // Assess: no store read, attached as a late span of the kept trace
    expect(store.lookups).toEqual([]);
    expect(store.writes[1]?.traces[0]).toMatchObject({ traceId: A, late: true });
    expect(store.traces.get(A)?.lateSpanIds).toEqual(new Set([children[1]?.spanId]));
    expectConservation();
  });

  it("after a cold start without the shard's state, asks the store about a rootless fragment at its timeout and attaches it", async () => {
    // Prepare: A kept by one container; the next one cannot read the shard's state
    const children = await keptByAnotherContainer();
    const fresh = handlerFor({ baselineProbability: 1 }, { stateStore: memoryStateStore() });

    // Act 1: a fresh container sees the late child: not asked yet, deferred
    await fresh(event(arriving([children[1] as Span], T0 + 9_000)));
    expect(store.lookups).toEqual([]);

    // Act 2: the child comes back at its timeout
    const back = putRecords(T0 + 39_000);
    await fresh(event(back));

    // Assess: asked once, attached as late spans of the kept trace
    expect(store.lookups).toEqual([[A]]);
    expect(store.writes[1]?.traces[0]).toMatchObject({ traceId: A, late: true });
    expect(store.traces.get(A)?.lateSpanIds).toEqual(new Set([children[1]?.spanId]));
    expectConservation();
  });

  it('asks about a rootless fragment only when it times out', async () => {
    // Prepare
    const [, child] = traceOf(A);
    const handler = handlerFor({ baselineProbability: 0 });

    // Act: first seen -> deferred; back 10 s later -> deferred; at 30 s -> asked, decided
    await handler(event(arriving([child as Span], T0)));
    const second = putRecords(T0 + 10_000);
    kinesis.resetHistory();
    await handler(event(second));
    expect(store.lookups).toEqual([]);
    const third = putRecords(T0 + 30_000);
    kinesis.resetHistory();
    await handler(event(third));

    // Assess
    expect(store.lookups).toEqual([[A]]);
    expect(metric('DecisionLookups')).toBe(1);
    expect(metric('TracesDropped', { Policy: 'baseline' })).toBe(1);
    expectConservation();
  });
});

describe('sampler handler: poison records', () => {
  const poison = (): StreamRecord => streamRecordOf(Uint8Array.of(9, 9, 9, 9, 9), ++sequence, T0 + 1);

  it('reports a poison record after good ones as the batch item failure, handling only the records before it', async () => {
    // Prepare
    const good = [...arriving(traceOf(A), T0 - 10_000), ...arriving(traceOf(C, { children: 0 }), T0 - 5_000)];
    const bad = poison();
    const after = arriving(traceOf(B), T0);
    const handler = handlerFor({ baselineProbability: 1 });

    // Act
    const response = await handler(event(good, [bad], after));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: bad.sequenceNumber }] });
    expect([...store.traces.keys()]).toEqual([A]);
    expect(metric('PoisonRecords')).toBe(1);
    expect(metric('RecordsRedelivered')).toBe(after.length);
    expect(metric('SpansIn')).toBe(4);
    expectConservation();
  });

  it('throws PoisonBatchError when the poison record comes first, so the mapping bisects', async () => {
    // Prepare
    const handler = handlerFor();

    // Act / Assess
    await expect(handler(event([poison()], arriving(traceOf(A), T0)))).rejects.toBeInstanceOf(
      PoisonBatchError,
    );
    expect(store.writes).toHaveLength(0);
    expect(metric('PoisonRecords')).toBe(1);
    expect(metric('BatchFailures', { Error: 'PoisonBatchError' })).toBe(1);
    expectConservation();
  });
});

describe('sampler handler: failures', () => {
  const readyBatch = () => event(arriving(traceOf(A), T0), arriving(traceOf(B, { children: 0 }), T0 + 5_000));

  it('fails the batch when the sink fails, and decides the same way on the retry', async () => {
    // Prepare
    const handler = handlerFor({ baselineProbability: 1 });
    store.failWrites(1);
    const batch = readyBatch();

    // Act / Assess: failure, nothing committed (no SpansIn counted, decision not cached)
    await expect(handler(batch)).rejects.toBeInstanceOf(SinkWriteError);
    expect(metric('SpansIn')).toBe(0);
    expect(metric('BatchFailures', { Error: 'SinkWriteError' })).toBe(1);

    // Act / Assess: the retry keeps the trace as a fresh decision, not as late spans
    await handler(batch);
    expect(store.writes[0]?.traces[0]).toMatchObject({ traceId: A, late: false });
    expectConservation();
  });

  it('stops a timed-out invocation before it commits: the retry decides afresh', async () => {
    // Prepare: the sink stalls until released; the invocation has 50 ms left
    let release = (): void => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const signals: Array<AbortSignal | undefined> = [];
    const write = store.sink.write.bind(store.sink);
    store.sink.write = async (kept, batch, signal) => {
      signals.push(signal);
      if (signals.length === 1) await stalled;
      return write(kept, batch, signal);
    };
    const handler = handlerFor({ baselineProbability: 1 });
    const batch = readyBatch();
    const context = { getRemainingTimeInMillis: () => 50 } as Context;

    // Act: middy's early timeout ends the invocation, then the stalled write completes
    await expect(handler(batch, context)).rejects.toMatchObject({ name: 'TimeoutError' });
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess: the sink was told, and the stale attempt committed nothing (no intake counted, no
    // decision cached: the retry keeps the trace as a fresh decision, not as late spans)
    expect(signals[0]?.aborted).toBe(true);
    expect(metric('SpansIn')).toBe(0);
    await handler(batch);
    expect(store.writes.at(-1)?.traces[0]).toMatchObject({ traceId: A, late: false });
    expect(signals[1]?.aborted).toBe(false);
    expectConservation();
  });

  it('fails the batch when the decision lookup fails', async () => {
    store.failLookups(1);
    const [, child] = traceOf(A);
    await expect(
      handlerFor()(event(arriving([child as Span], T0), arriving(traceOf(B, { children: 0 }), T0 + 30_000))),
    ).rejects.toBeInstanceOf(DecisionLookupError);
  });

  it('fails the batch when deferred traces cannot be written back before the deadline', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('unavailable'), { name: 'ServiceUnavailableException' }));
    await expect(
      handlerFor({ putDeadlineMs: 2_000 })(event(arriving(traceOf(A), T0))),
    ).rejects.toBeInstanceOf(StreamWriteError);
    expect(store.writes).toHaveLength(0);
  });

  it('still samples when shards cannot be listed, without forwarding', async () => {
    kinesis.on(ListShardsCommand).rejects(new Error('throttled'));
    await handlerFor({ baselineProbability: 1 })(readyBatch());
    expect(store.traces.has(A)).toBe(true);
    expect(metric('ShardListFailures')).toBe(1);
    expectConservation();
  });

  it.each([
    [
      'an eventID without shard',
      (e: KinesisStreamEvent) => ({ Records: e.Records.map((r) => ({ ...r, eventID: 'garbage' })) }),
    ],
    [
      'records of two shards',
      (e: KinesisStreamEvent) => ({
        Records: e.Records.map((r, i) => ({
          ...r,
          eventID: i === 0 ? r.eventID : `shardId-000000000009:${r.kinesis.sequenceNumber}`,
        })),
      }),
    ],
  ])('rejects %s with InvalidEventError', async (_name, mangle) => {
    await expect(
      handlerFor()(mangle(event(arriving(traceOf(A), T0), arriving(traceOf(B), T0)))),
    ).rejects.toBeInstanceOf(InvalidEventError);
  });
});

describe('sampler handler: resharding and limits', () => {
  it('forwards traces whose hash lies outside this shard to their owner', async () => {
    // Prepare: two shards; pick one trace owned by each
    kinesis.on(ListShardsCommand).resolves(listShardsOutput(2));
    kinesis.on(PutRecordsCommand).callsFake(acceptAll(2));
    const half = 2n ** 127n;
    const ids = traceIds(20, 79);
    const mine = ids.find((id) => traceHashKeyOfHex(id) < half) as string;
    const foreign = ids.find((id) => traceHashKeyOfHex(id) >= half) as string;
    const handler = handlerFor({ baselineProbability: 1 });

    // Act: both arrive on shard 0 (as a stale ingest shard map would send them)
    await handler(
      event(
        arriving([...traceOf(mine), ...traceOf(foreign)], T0),
        arriving(traceOf(B, { children: 0 }), T0 + 6_000),
      ),
    );

    // Assess
    const forwarded = putEntries()[0] ?? [];
    const record = forwarded.find(
      (r) => decodeRecord(r.Data as Uint8Array).header.origin === RecordOrigin.FORWARDED,
    );
    expect(record?.ExplicitHashKey).toBe(traceHashKeyOfHex(foreign).toString());
    expect(decodeRecord(record?.Data as Uint8Array).header.traces.map((t) => t.traceId)).toEqual([foreign]);
    expect(store.traces.has(mine)).toBe(true);
    expect(store.traces.has(foreign)).toBe(false);
    expect(metric('SpansForwarded')).toBe(3);
    expectConservation();
  });

  it('passes records beyond the per-invocation span budget back to the stream untouched', async () => {
    // Prepare
    const first = arriving(traceOf(A), T0);
    const second = arriving(traceOf(B), T0 + 1);
    const handler = handlerFor({ maxSpansPerInvocation: 3 });

    // Act
    await handler(event(first, second));

    // Assess: the second record is re-put byte for byte with its partition key
    const entries = putEntries()[0] ?? [];
    const passed = entries.find((e) =>
      Buffer.from(e.Data as Uint8Array).equals(Buffer.from((second[0] as StreamRecord).data)),
    );
    expect(passed?.PartitionKey).toBe(second[0]?.partitionKey);
    expect(metric('RecordsPassedThrough')).toBe(1);
    expect(metric('SpansDeferred')).toBe(3);
    // A (root at T0, watermark T0 + 1 ms) waits in the pending set
    expect(metric('SpansPending')).toBe(3);
    expectConservation();
  });
});

describe('sampler handler: records passed on undecoded when shards cannot be listed', () => {
  it('puts them back into the range this container last listed for the shard', async () => {
    // Prepare: a first batch lists the shards (two: shard 0 owns the lower half)
    kinesis.on(ListShardsCommand).resolves(listShardsOutput(2));
    kinesis.on(PutRecordsCommand).callsFake(acceptAll(2));
    const handler = handlerFor({ maxSpansPerInvocation: 3, baselineProbability: 1 });
    await handler(event(arriving(traceOf(C, { children: 0 }), T0)));
    kinesis.on(ListShardsCommand).rejects(new Error('throttled'));
    kinesis.resetHistory();
    // Act: the listing fails, and a record is passed on undecoded
    const second = arriving(traceOf(B), T0 + 2);
    await handler(event(arriving(traceOf(A), T0 + 1), second));
    // Assess: to shard 0's starting hash key, not to a guessed one
    const passed = (putEntries()[0] ?? []).find((e) =>
      Buffer.from(e.Data as Uint8Array).equals(Buffer.from((second[0] as StreamRecord).data)),
    );
    expect(passed?.ExplicitHashKey).toBe('0');
    expect(metric('RecordsPassedThrough')).toBe(1);
    expectConservation();
  });

  it("fails the batch (to be retried) when the shard's range was never known", async () => {
    // Prepare: a cold container whose listing fails
    kinesis.on(ListShardsCommand).rejects(new Error('throttled'));
    kinesis.on(PutRecordsCommand).callsFake(acceptAll(1));
    const handler = handlerFor({ maxSpansPerInvocation: 3 });
    // Act, Assess
    await expect(
      handler(event(arriving(traceOf(A), T0), arriving(traceOf(B), T0 + 1))),
    ).rejects.toBeInstanceOf(ShardRangeUnknownError);
    expect(store.writes).toHaveLength(0);
  });
});

describe('sampler handler: lanes', () => {
  it('saves each lane of a shard under its own name, so lanes never overwrite each other', async () => {
    // Prepare: one trace of each of two lanes, each in its own batch as the mapping delivers them
    const ids = traceIds(40, 91);
    const laneOfId = (id: string) => laneOf(traceHashKeyOfHex(id), 2);
    const [zero, zeroLater] = ids.filter((id) => laneOfId(id) === 0) as [string, string];
    const [one, oneLater] = ids.filter((id) => laneOfId(id) === 1) as [string, string];
    const handler = handlerFor({ baselineProbability: 1 }, { ingest: { lanes: 2 } });
    const inLanes = (spans: readonly Span[], arrivalMs: number): StreamRecord[] =>
      ingestRecords(spans, undefined, 2).map((r) =>
        streamRecordOf(r.data, ++sequence, arrivalMs, r.partitionKey),
      );
    // Act
    const later = (id: string) => inLanes(traceOf(id, { children: 0 }), T0 + 6_000);
    await handler(event(inLanes(traceOf(zero, { children: 0 }), T0), later(zeroLater)));
    await handler(event(inLanes(traceOf(one, { children: 0 }), T0), later(oneLater)));
    // Assess: state and the sinks' batch names are per lane
    expect([...stateStore.documents.keys()].sort()).toEqual([`${SHARD}.lane-0`, `${SHARD}.lane-1`]);
    expect(store.writes.map((w) => w.batch.shardId)).toEqual([`${SHARD}.lane-0`, `${SHARD}.lane-1`]);
  });

  it('samples a batch holding records of two lanes lane by lane, as when both keys share a batcher', async () => {
    // Prepare: the two lanes' records interleaved in one batch, then both lanes' later traces
    const { zero, one, handler, inLanes } = twoLanes();
    const early = [
      ...inLanes(traceOf(zero[0], { children: 0 }), T0),
      ...inLanes(traceOf(one[0], { children: 0 }), T0),
    ];
    const later = [
      ...inLanes(traceOf(one[1], { children: 0 }), T0 + 6_000),
      ...inLanes(traceOf(zero[1], { children: 0 }), T0 + 6_000),
    ];

    // Act
    await handler(event(early, later));

    // Assess: each lane kept its own first trace and saved its own state; nothing is counted twice
    expect(store.traces.has(zero[0]) && store.traces.has(one[0])).toBe(true);
    expect([...stateStore.documents.keys()].sort()).toEqual([`${SHARD}.lane-0`, `${SHARD}.lane-1`]);
    expect(new Set(store.writes.map((w) => w.batch.shardId))).toEqual(
      new Set([`${SHARD}.lane-0`, `${SHARD}.lane-1`]),
    );
    expectConservation();
  });

  it("reports a poison record of one lane as the batch item failure and keeps the other lane's traces", async () => {
    // Prepare: lane 0's trace, a poison record of lane 1, lane 0's later trace
    const { zero, handler, inLanes } = twoLanes();
    const bad = streamRecordOf(Uint8Array.of(9, 9, 9, 9, 9), ++sequence, T0 + 1, 'lane-1');
    const first = inLanes(traceOf(zero[0], { children: 0 }), T0);
    const later = inLanes(traceOf(zero[1], { children: 0 }), T0 + 6_000);

    // Act
    const response = await handler(event(first, [bad], later));
    const retry = await handler(event([bad], later)).catch((error: Error) => error);
    await handler(event(later)); // the half without the poison, after the mapping bisects

    // Assess: the poison is reported and lane 0 decided its trace; the retry from the poison fails
    // at its head (the mapping bisects) and the other half's records, folded in already, are skipped
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: bad.sequenceNumber }] });
    expect(store.traces.has(zero[0])).toBe(true);
    expect(retry).toBeInstanceOf(PoisonBatchError);
    expect(metric('RecordsAlreadyFolded')).toBe(later.length);
  });
});

/** Trace ids of each of two lanes, a handler with two lanes and a packer that keeps lane keys. */
function twoLanes() {
  const ids = traceIds(40, 92);
  const laneOfId = (id: string) => laneOf(traceHashKeyOfHex(id), 2);
  const zero = ids.filter((id) => laneOfId(id) === 0) as [string, string, ...string[]];
  const one = ids.filter((id) => laneOfId(id) === 1) as [string, string, ...string[]];
  const handler = handlerFor({ baselineProbability: 1 }, { ingest: { lanes: 2 } });
  const inLanes = (spans: readonly Span[], arrivalMs: number): StreamRecord[] =>
    ingestRecords(spans, undefined, 2).map((r) =>
      streamRecordOf(r.data, ++sequence, arrivalMs, r.partitionKey),
    );
  return { zero, one, handler, inLanes };
}

describe('sampler handler: state', () => {
  it('refuses the commit of a container whose state another container has since committed, and reads it again', async () => {
    // Prepare: container A pends X's children, container B then takes the shard and pends Y's
    const a = handlerFor({ baselineProbability: 1 });
    const b = handlerFor({ baselineProbability: 1 });
    const [rootX, ...childrenX] = traceOf(A);
    const [rootY, ...childrenY] = traceOf(B);
    await a(event(arriving(childrenX, T0)));
    await b(event(arriving(childrenY, T0 + 1_000)));
    const roots = event(arriving([rootX as Span, rootY as Span], T0 + 2_000));
    const later = event(arriving(traceOf(C, { children: 0 }), T0 + 8_000));

    // Act: the shard comes back to A, whose state is stale; the mapping retries the failed batch
    const refused = await a(roots).catch((error: Error) => error);
    await a(roots);
    await a(later);

    // Assess: A did not overwrite B's commit (Y's children would have been lost): both complete
    expect(refused).toBeInstanceOf(StateConflictError);
    expect(metric('StateConflicts')).toBe(1);
    expect(store.traces.get(A)?.spans.size).toBe(3);
    expect(store.traces.get(B)?.spans.size).toBe(3);
  });

  it('persists sketches on the interval and restores them after a cold start', async () => {
    // Prepare: 200 traces of 10 ms teach the p99; the interval is 1 s
    const config = { baselineProbability: 0, latency: { persistIntervalSeconds: 1, minSamples: 100 } };
    const warm = handlerFor(config);
    const ids = traceIds(201, 80);
    const fast = ids.slice(0, 200).flatMap((id) => traceOf(id, { durationMs: 10, children: 0 }));
    await warm(event(arriving(fast, T0), arriving(traceOf(B, { children: 0 }), T0 + 5_000)));
    // Saved at once: the batch decided traces, whose decisions must outlive the container
    expect(metric('StateSaves')).toBe(1);
    clock += 1_000;
    await warm(event(arriving(traceOf(D, { children: 0 }), T0 + 6_000)));

    // Assess: saved, the sketches committed
    expect(stateStore.documents.get(SHARD)?.sketches.keys).toHaveLength(1);
    expect(metric('StateSaves')).toBe(2);

    // Act: a cold container sees one slow trace
    await handlerFor(config)(
      event(
        arriving(traceOf(ids[200] as string, { durationMs: 50 }), T0 + 10_000),
        arriving(traceOf(C, { children: 0 }), T0 + 15_000),
      ),
    );

    // Assess: the restored live p99 keeps it
    expect(store.traces.get(ids[200] as string)?.decision.policy).toBe('latency');
  });

  it('after a split, starts from the parent shard state', async () => {
    // Prepare: the parent's state, as saved before the split
    const parent = handlerFor({ baselineProbability: 0, latency: { persistIntervalSeconds: 1 } });
    const ids = traceIds(201, 81);
    await parent(
      event(
        arriving(
          ids.slice(0, 200).flatMap((id) => traceOf(id, { durationMs: 10, children: 0 })),
          T0,
        ),
        arriving(traceOf(B, { children: 0 }), T0 + 5_000),
      ),
    );
    clock += 1_000;
    await parent(event(arriving(traceOf(D, { children: 0 }), T0 + 6_000)));
    const saved = stateStore.documents.get(SHARD);
    stateStore.documents.clear();
    stateStore.documents.set('shardId-000000000007', {
      ...(saved as NonNullable<typeof saved>),
      shardId: 'shardId-000000000007',
    });

    // Act: this shard has no document of its own
    await handlerFor({ baselineProbability: 0 })(
      event(
        arriving(traceOf(ids[200] as string, { durationMs: 50 }), T0 + 10_000),
        arriving(traceOf(C, { children: 0 }), T0 + 15_000),
      ),
    );

    // Assess
    expect(store.traces.get(ids[200] as string)?.decision.policy).toBe('latency');
  });

  it('saves a batch that decides nothing and holds nothing pending only when the statistics timer is due', async () => {
    // Prepare: a wake-up record alone (its traces were written back to the stream meanwhile)
    const handler = handlerFor({ baselineProbability: 1, latency: { persistIntervalSeconds: 60 } });
    const wakeUp = wakeUpRecord(traceHashKeyOfHex(A), 1);
    // Act
    await handler(event([streamRecordOf(wakeUp.data, ++sequence, T0, wakeUp.partitionKey)]));
    // Assess
    expect(metric('StateSaves')).toBe(0);
    expect(stateStore.documents.size).toBe(0);
  });

  it('saves a batch that holds pending traces even when it decides nothing', async () => {
    // Prepare: a child whose root has not come waits in the pending set, deciding nothing
    const [, child] = traceOf(A);
    const handler = handlerFor({ baselineProbability: 1, latency: { persistIntervalSeconds: 60 } });
    // Act
    await handler(event(arriving([child as Span], T0)));
    // Assess
    expect(metric('StateSaves')).toBe(1);
    expect(stateStore.documents.get(SHARD)?.pending).toMatchObject({ records: 1, spans: 1 });
  });

  it('fails the batch while its state cannot be read (it may name pending traces), then samples', async () => {
    // Prepare: the first read of the state document fails
    let loadFailures = 1;
    const flaky: SamplerStateStore = {
      ...stateStore,
      loadVersioned: async (shardId) => {
        if (loadFailures-- > 0) throw new StateStoreError('denied');
        return stateStore.loadVersioned(shardId);
      },
    };
    const handler = handlerFor({ baselineProbability: 1 }, { stateStore: flaky });
    const batch = event(arriving(traceOf(A), T0), arriving(traceOf(B, { children: 0 }), T0 + 5_000));

    // Act: the mapping retries the failed batch
    const failure = await handler(batch).catch((error: Error) => error);
    await handler(batch);

    // Assess
    expect(failure).toBeInstanceOf(PendingUnavailableError);
    expect(metric('StateLoadFailures')).toBe(1);
    expect(store.traces.has(A)).toBe(true);
    expectConservation();
  });

  it('samples on when state cannot be saved, writing its pending traces back to the stream', async () => {
    // Prepare: every save fails; B's root has not arrived, so B is pending
    const failing: SamplerStateStore = {
      ...stateStore,
      save: async () => {
        throw new StateStoreError('denied');
      },
    };
    const handler = handlerFor(
      { baselineProbability: 1, latency: { persistIntervalSeconds: 1 } },
      { stateStore: failing },
    );
    const [, childOfB] = traceOf(B);

    // Act
    await handler(event(arriving(traceOf(A), T0), arriving([childOfB as Span], T0 + 5_000)));

    // Assess: A kept, B's child back in the stream as a deferred record, nothing pending
    expect(store.traces.has(A)).toBe(true);
    // The commit's save, then the fall back's save of a document naming no set: both refused
    expect(metric('StateSaveFailures')).toBe(2);
    expect(metric('SpansDeferred')).toBe(1);
    expect(metric('SpansPending')).toBe(0);
    expectConservation();
  });
});
