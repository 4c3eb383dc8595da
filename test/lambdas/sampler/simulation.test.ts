/**
 * A deterministic simulation of the sampler in its stream, on a virtual clock.
 *
 * Thousands of generated traces with known ground truth are exported by their services in
 * fragments (roots last, children out of order, some fragments sent twice, some spans long after
 * their trace), written by the real ingest packer onto a two-shard stream model, and delivered to the
 * real sampler handler by the local poller's delivery logic (batching window, batch size, bisect on
 * error, retries, on-failure destination, ReportBatchItemFailures). Along the way: a poison record,
 * two sink failures (retried batches), ingest using a stale shard map for half of the run (traces
 * land on the wrong shard and are forwarded), and a cold start of the sampler with its state
 * restored from the state store.
 *
 * Then it checks the promises of the issue against the ground truth.
 */
import {
  KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSpans } from '../../../lambdas/ingest/records.ts';
import { createSamplerHandler } from '../../../lambdas/sampler/app.ts';
import { passes, randomnessOfTraceId, thresholdOfProbability } from '../../../lambdas/sampler/probability.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../../lambdas/shared/metrics/index.ts';
import { Codec, encodeRecord, RecordOrigin } from '../../../lambdas/shared/record/index.ts';
import { MAX_HASH_KEY, ShardDirectory, ShardMap } from '../../../lambdas/shared/routing/index.ts';
import { type Span, SpanKind, StatusCode } from '../../../lambdas/shared/span/model.ts';
import { type DeliveryOptions, deliverBatch, emptyStats, type FailedBatch } from '../../../local/poller.ts';
import { seededRandom } from '../../../workload/random.ts';
import { memoryStateStore, memoryTraceStore, spanOf } from '../../support/sampler.ts';

// --- parameters ----------------------------------------------------------------------------------

const TRACES = 3_000;
const RUN_S = 300;
const DRAIN_S = 150;
const BASELINE = 0.2;
const WARMUP_S = 60;
const STALE_MAP_FROM_S = 150;
const COLD_START_AT_S = 200;
const SINK_FAILURES_AT_S = [80, 160];
const POISON_AT_S = 120;
const T0 = 1_700_000_000_000;

const OPERATIONS = [
  { service: 'frontend', name: 'GET /', medianMs: 50 },
  { service: 'checkout', name: 'POST /checkout', medianMs: 200 },
  { service: 'search', name: 'GET /search', medianMs: 80 },
  { service: 'users', name: 'GET /me', medianMs: 20 },
] as const;
const DOWNSTREAM = ['orders', 'inventory', 'payments', 'db'] as const;

// --- ground truth --------------------------------------------------------------------------------

interface TruthTrace {
  readonly traceId: string;
  readonly spans: Span[];
  readonly late: Span[];
  readonly error: boolean;
  readonly slow: boolean;
  readonly startS: number;
  readonly firstArrivalS: number;
}

interface Export {
  readonly atMs: number;
  readonly spans: Span[];
}

function generate(): { truth: TruthTrace[]; exports: Export[] } {
  const random = seededRandom(20261124);
  const hex = (bytes: number): string => {
    let out = '';
    for (let i = 0; i < bytes; i++)
      out += Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0');
    return out;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const truth: TruthTrace[] = [];
  const exports: Export[] = [];
  for (let i = 0; i < TRACES; i++) {
    const traceId = hex(16);
    const startS = (i / TRACES) * RUN_S;
    const op = OPERATIONS[Math.floor(random() * OPERATIONS.length)] as (typeof OPERATIONS)[number];
    const slow = startS > WARMUP_S && random() < 0.005;
    // Log-normal with sigma 0.5: p99 is about 3.2x the median; slow traces take 10x. They are rare
    // enough (0.5 %) not to become the p99 themselves.
    const rootMs = slow ? op.medianMs * 10 : op.medianMs * Math.exp(0.5 * normal());
    const startMs = T0 + startS * 1000;
    const rootId = hex(8);
    const root = spanOf({
      traceId,
      spanId: rootId,
      service: op.service,
      name: op.name,
      kind: SpanKind.SERVER,
      startMs,
      durationMs: rootMs,
    });
    const children: Span[] = [];
    const count = 2 + Math.floor(random() * 9);
    for (let c = 0; c < count; c++) {
      const service = c < 2 ? op.service : (DOWNSTREAM[Math.floor(random() * DOWNSTREAM.length)] as string);
      children.push(
        spanOf({
          traceId,
          spanId: hex(8),
          parentSpanId: rootId,
          service,
          name: `call ${c}`,
          kind: c % 2 === 0 ? SpanKind.CLIENT : SpanKind.SERVER,
          startMs: startMs + 1,
          durationMs: rootMs * random() * 0.9,
        }),
      );
    }
    const error = random() < 0.03;
    if (error) {
      // The error sits in a random child: a status, an HTTP 500 on a server span, or an exception.
      const at = Math.floor(random() * children.length);
      const child = children[at] as Span;
      const kind = Math.floor(random() * 3);
      children[at] =
        kind === 0
          ? { ...child, status: { code: StatusCode.ERROR, message: 'boom' } }
          : kind === 1
            ? { ...child, kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 500 } }
            : {
                ...child,
                events: [
                  {
                    timeUnixNano: child.startTimeUnixNano,
                    name: 'exception',
                    attributes: {},
                    droppedAttributesCount: 0,
                  },
                ],
              };
    }
    // Children go out per service 0.5-5 s after the trace, the root last (5-9 s), as batch span
    // processors of different services flush; 5 % of exports are sent twice (exporter retries).
    const byService = new Map<string, Span[]>();
    for (const child of children) {
      const list = byService.get(child.resource.serviceName) ?? [];
      list.push(child);
      byService.set(child.resource.serviceName, list);
    }
    const offsets: number[] = [];
    const emit = (spans: Span[], offsetS: number): void => {
      offsets.push(offsetS);
      exports.push({ atMs: startMs + offsetS * 1000, spans });
      if (random() < 0.05) exports.push({ atMs: startMs + (offsetS + random() * 2) * 1000, spans });
    };
    for (const spans of byService.values()) emit(spans, 0.5 + random() * 4.5);
    emit([root], 5 + random() * 4);
    // 3 % get a straggler long after the trace was decided.
    const late: Span[] = [];
    if (random() < 0.03) {
      const straggler = spanOf({
        traceId,
        spanId: hex(8),
        parentSpanId: rootId,
        service: 'notifications',
        name: 'send',
        startMs,
      });
      late.push(straggler);
      exports.push({ atMs: startMs + (45 + random() * 45) * 1000, spans: [straggler] });
    }
    truth.push({
      traceId,
      spans: [root, ...children],
      late,
      error,
      slow,
      startS,
      firstArrivalS: startS + Math.min(...offsets),
    });
  }
  exports.sort((a, b) => a.atMs - b.atMs);
  return { truth, exports };
}

// --- the stream model ----------------------------------------------------------------------------

interface SimShard {
  readonly id: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly records: KinesisRecord[];
  /** Index of the first record not yet done. */
  next: number;
}

const HALF = (MAX_HASH_KEY + 1n) / 2n;
const shards: SimShard[] = [
  { id: 'shardId-000000000000', start: 0n, end: HALF - 1n, records: [], next: 0 },
  { id: 'shardId-000000000001', start: HALF, end: MAX_HASH_KEY, records: [], next: 0 },
];
const currentMap = new ShardMap(
  shards.map((s) => ({ shardId: s.id, startingHashKey: s.start, endingHashKey: s.end })),
);
const staleMap = new ShardMap([
  { shardId: 'shardId-parent', startingHashKey: 0n, endingHashKey: MAX_HASH_KEY },
]);

let clock = T0;
let sequence = 0;

function append(
  data: Uint8Array,
  partitionKey: string,
  explicitHashKey: string,
): { shardId: string; sequenceNumber: string } {
  const hash = BigInt(explicitHashKey);
  const shard = shards.find((s) => hash >= s.start && hash <= s.end) as SimShard;
  const sequenceNumber = String(++sequence).padStart(24, '0');
  shard.records.push({
    SequenceNumber: sequenceNumber,
    ApproximateArrivalTimestamp: new Date(clock),
    Data: data,
    PartitionKey: partitionKey,
  });
  return { shardId: shard.id, sequenceNumber };
}

// --- the run -------------------------------------------------------------------------------------

const kinesis = mockClient(KinesisClient);
const store = memoryTraceStore();
const stateStore = memoryStateStore();
const invocations: Array<Array<Record<string, unknown>>> = [];
const deadLetters: FailedBatch[] = [];
const stats = emptyStats();
let truth: TruthTrace[] = [];
let handlerRestarts = 0;

function samplerHandler() {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const handler = createSamplerHandler({
    kinesis: client,
    streamName: 'traces',
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now: () => clock }),
    sink: store.sink,
    lookup: store.lookup,
    stateStore,
    config: parseConfig({
      window: { batchingWindowSeconds: 2 },
      sampling: {
        baselineProbability: BASELINE,
        sendDelaySeconds: 5,
        traceTimeoutSeconds: 30,
        latency: { percentile: 99, minSamples: 50, persistIntervalSeconds: 30 },
      },
    }),
    metrics: new Metrics({
      dimensions: { Function: 'sampler' },
      sink: (line) => invocations[invocations.length - 1]?.push(parseEmfLine(line) ?? {}),
    }),
    logger: silentLogger,
    now: () => clock,
    sleep: async () => {},
  });
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    invocations.push([]);
    return handler(event, {} as Context) as Promise<KinesisStreamBatchResponse>;
  };
}

beforeAll(async () => {
  kinesis.on(ListShardsCommand).callsFake(() => ({
    Shards: shards.map((s) => ({
      ShardId: s.id,
      HashKeyRange: { StartingHashKey: String(s.start), EndingHashKey: String(s.end) },
      SequenceNumberRange: { StartingSequenceNumber: '1' },
    })),
  }));
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((entry) => {
      const placed = append(
        entry.Data as Uint8Array,
        entry.PartitionKey as string,
        entry.ExplicitHashKey as string,
      );
      return { ShardId: placed.shardId, SequenceNumber: placed.sequenceNumber };
    }),
  }));

  const generated = generate();
  truth = generated.truth;
  let handler = samplerHandler();
  const delivery: DeliveryOptions = {
    handler: (event) => handler(event),
    bisectOnError: true,
    reportBatchItemFailures: true,
    maxRetryAttempts: 2,
    onFailure: async (batch) => {
      deadLetters.push(batch);
    },
    eventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/traces',
    region: 'eu-west-1',
    stats,
    logger: silentLogger,
  };
  let nextExport = 0;
  const sinkFailures = [...SINK_FAILURES_AT_S];
  let poisoned = false;
  // One-second ticks: ingest what services exported during the second, then poll every shard as the
  // event source mapping does (invoke when 2 s have passed since the oldest waiting record, or 100
  // records wait).
  for (let second = 0; second <= RUN_S + DRAIN_S; second++) {
    clock = T0 + second * 1000;
    const due: Span[] = [];
    while (nextExport < generated.exports.length && (generated.exports[nextExport] as Export).atMs <= clock) {
      due.push(...(generated.exports[nextExport++] as Export).spans);
    }
    if (due.length > 0) {
      const map = second >= STALE_MAP_FROM_S ? staleMap : currentMap;
      for (const record of packSpans(due, { shardMap: map, lanes: 1, maxRecordBytes: 1024 * 1024 - 1024 })
        .records) {
        append(record.data, record.partitionKey, record.explicitHashKey);
      }
    }
    if (!poisoned && second >= POISON_AT_S) {
      poisoned = true;
      // A record whose header announces 5 spans but whose payload is garbage.
      append(
        encodeRecord(
          { origin: RecordOrigin.INGEST, spanCount: 5, traces: [] },
          Uint8Array.of(0x0a, 0xff, 0xff),
          { codec: Codec.NONE },
        ),
        'lane-0',
        '0',
      );
    }
    if (sinkFailures.length > 0 && second >= (sinkFailures[0] as number)) {
      sinkFailures.shift();
      store.failWrites(1);
    }
    if (second === COLD_START_AT_S) {
      handler = samplerHandler();
      handlerRestarts++;
    }
    for (const shard of shards) {
      const waiting = shard.records.length - shard.next;
      const oldest = shard.records[shard.next];
      if (!oldest) continue;
      if (waiting < 100 && clock - (oldest.ApproximateArrivalTimestamp as Date).getTime() < 2_000) continue;
      const batch = shard.records.slice(shard.next, shard.next + 100);
      await deliverBatch(shard.id, batch, delivery, async (sequenceNumber) => {
        shard.next = shard.records.findIndex((r) => r.SequenceNumber === sequenceNumber) + 1;
      });
    }
  }
}, 120_000);

afterAll(() => {
  kinesis.reset();
});

// --- the promises --------------------------------------------------------------------------------

const storedIds = (traceId: string): Set<string> => new Set(store.traces.get(traceId)?.spans.keys() ?? []);
const allIds = (t: TruthTrace): Set<string> => new Set([...t.spans, ...t.late].map((s) => s.spanId));

describe('simulation: thousands of traces through the real handler', () => {
  it('ran the scenario it claims to run', () => {
    const sum = (name: string) =>
      invocations
        .flat()
        .reduce((total, line) => total + (typeof line[name] === 'number' ? (line[name] as number) : 0), 0);
    expect(truth).toHaveLength(TRACES);
    expect(handlerRestarts).toBe(1);
    expect(sum('DuplicateSpans')).toBeGreaterThan(0);
    expect(sum('SpansForwarded')).toBeGreaterThan(0);
    expect(sum('LateSpans')).toBeGreaterThan(0);
    expect(sum('SpansPending')).toBeGreaterThan(0);
    expect(stats.bisections).toBeGreaterThan(0);
    expect(store.lookups.length).toBeGreaterThan(0);
  });

  it('conserves spans exactly in every invocation', () => {
    const succeeded = invocations.filter((lines) => lines.some((l) => typeof l.SpansIn === 'number'));
    expect(succeeded.length).toBeGreaterThan(100);
    for (const lines of succeeded) {
      const sum = (name: string) =>
        lines.reduce((t, l) => t + (typeof l[name] === 'number' ? (l[name] as number) : 0), 0);
      expect(
        sum('SpansKept') +
          sum('SpansDropped') +
          sum('SpansDeferred') +
          sum('SpansPending') +
          sum('SpansForwarded') +
          sum('SpansDeadLettered'),
      ).toBe(sum('SpansIn'));
      expect(sum('ConservationViolations')).toBe(0);
    }
  });

  it('drains the stream: nothing is left waiting, and only the poison record was dead-lettered', () => {
    for (const shard of shards) expect(shard.next).toBe(shard.records.length);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.records).toHaveLength(1);
    expect(stats.recordsSentToFailureDestination).toBe(1);
  });

  it('keeps 100 % of error traces, complete (late spans included)', () => {
    const errors = truth.filter((t) => t.error);
    expect(errors.length).toBeGreaterThan(50);
    for (const t of errors) {
      expect(store.traces.get(t.traceId)?.decision.policy).toBe('errors');
      expect(storedIds(t.traceId)).toEqual(allIds(t));
    }
  });

  it('keeps every trace slower than the live p99 of its operation', () => {
    // With 0.5 % injected slow traces, a live p99 sits near 3.6x the median (1 % above it in all);
    // every root beyond 4.5x the median (z > 3) is clearly slower than the p99 and must be kept.
    const medianOf = new Map<string, number>(OPERATIONS.map((op) => [op.name, op.medianMs]));
    const rootMs = (t: TruthTrace): number =>
      Number((t.spans[0] as Span).endTimeUnixNano - (t.spans[0] as Span).startTimeUnixNano) / 1e6;
    const slower = truth.filter(
      (t) =>
        !t.error &&
        t.startS > WARMUP_S &&
        rootMs(t) > 4.5 * (medianOf.get((t.spans[0] as Span).name) as number),
    );
    expect(slower.filter((t) => t.slow).length).toBeGreaterThan(8);
    for (const t of slower) expect(store.traces.get(t.traceId)?.decision.policy).toBe('latency');
    // About 1 % of all traces exceed the p99; the injected ones are half of that.
    const ordinary = truth.filter((t) => !t.slow && !t.error && t.startS > WARMUP_S);
    const share =
      ordinary.filter((t) => store.traces.get(t.traceId)?.decision.policy === 'latency').length /
      ordinary.length;
    expect(share).toBeGreaterThan(0.002);
    expect(share).toBeLessThan(0.02);
  });

  it('samples the rest at the baseline rate, exactly by R >= T on the trace id', () => {
    const threshold = thresholdOfProbability(BASELINE);
    const rest = truth.filter((t) => !t.error && store.traces.get(t.traceId)?.decision.policy !== 'latency');
    const kept = rest.filter((t) => store.traces.has(t.traceId));
    for (const t of rest) {
      const expected =
        threshold !== undefined && passes(randomnessOfTraceId(Buffer.from(t.traceId, 'hex'), 0), threshold);
      expect({ traceId: t.traceId, kept: store.traces.has(t.traceId) }).toEqual({
        traceId: t.traceId,
        kept: expected,
      });
    }
    for (const t of kept) {
      expect(store.traces.get(t.traceId)?.decision).toMatchObject({ policy: 'baseline', threshold: 'cccd' });
    }
    // Within 10 % of the target (three standard deviations of a binomial on this many traces).
    expect(Math.abs(kept.length / rest.length - BASELINE) / BASELINE).toBeLessThan(0.1);
  });

  it('stores every kept trace complete and nothing of dropped traces', () => {
    for (const t of truth) {
      const stored = storedIds(t.traceId);
      if (store.traces.has(t.traceId)) expect(stored).toEqual(allIds(t));
      else expect(stored.size).toBe(0);
    }
  });

  it('lets late spans follow their trace: attached to kept traces (marked late), never stored for dropped ones', () => {
    const withLate = truth.filter((t) => t.late.length > 0);
    expect(withLate.length).toBeGreaterThan(30);
    let attached = 0;
    for (const t of withLate) {
      const stored = store.traces.get(t.traceId);
      const lateId = (t.late[0] as Span).spanId;
      if (stored) {
        expect(stored.lateSpanIds.has(lateId)).toBe(true);
        attached++;
      } else expect(storedIds(t.traceId).has(lateId)).toBe(false);
    }
    expect(attached).toBeGreaterThan(0);
  });
});
