/**
 * One contract for every kept-traces store: the in-memory double the sampler tests use and the
 * real TraceStore over the local stand-ins of DynamoDB and S3 (dynalite, s3rver) through the real
 * AWS SDK clients. Both must hold the union of spans by span id under the first decision, whatever
 * order, batch or container the fragments come from, and answer the decision lookup alike: a
 * double that merged where the real store overwrote (as DynamoDB's PutItem does) would hide that
 * bug from every sampler test, which is how "a re-sent root replaces the stored trace" went unseen.
 * Both bound what one sender can make a trace hold: stored strings, and late spans past the caps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TracesiftConfig } from '../../lambdas/shared/config/index.ts';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  TraceSink,
} from '../../lambdas/shared/sampling/kept-trace.ts';
import type { Span } from '../../lambdas/shared/span/model.ts';
import {
  createTraceSearch,
  readTrace,
  STORED_STRING_BYTES,
  summarizeTrace,
  TRUNCATION_MARKER,
  TraceTable,
} from '../../lambdas/storage/index.ts';
import { memoryTraceStore } from '../support/sampler.ts';
import {
  BASE_NS,
  BASELINE,
  batchRef,
  ERRORS,
  FIXTURE_NOW_MS,
  fixtureClock,
  keptTrace,
  type StorageStandIns,
  startStorageStandIns,
  storeOnStandIns,
  tableRows,
  testConfig,
  testSpan,
} from '../support/storage.ts';

interface SearchWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit: number;
}

interface StoreUnderTest {
  readonly sink: TraceSink;
  readonly lookup: DecisionLookup;
  read(
    traceId: string,
  ): Promise<{ spans: Span[]; decision: Pick<SamplingDecision, 'policy' | 'probability'> } | undefined>;
  /** Trace ids of the newest kept traces with a span of `service` started in the window, newest first. */
  search(service: string, window: SearchWindow): Promise<string[]>;
  /** Extra checks only a store with Parquet can make: each span and trace row listed once. */
  rowsListedOnce?(traceId: string): Promise<void>;
}

let standIns: StorageStandIns;
beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-contract');
});
afterAll(async () => {
  await standIns.close();
});

const stores: Array<[string, (config?: TracesiftConfig) => Promise<StoreUnderTest>]> = [
  [
    'in-memory double',
    async (config = testConfig()) => {
      const store = memoryTraceStore({
        maxSpans: config.sampling.maxSpansPerTrace,
        maxBytes: config.sampling.maxBytesPerTrace,
      });
      return {
        sink: store.sink,
        lookup: store.lookup,
        read: async (traceId) => {
          const stored = store.traces.get(traceId);
          return stored && { spans: [...stored.spans.values()], decision: stored.decision };
        },
        search: async (service, window) =>
          [...store.traces]
            .map(([id, t]) => summarizeTrace(id, [...t.spans.values()], t.decision, 0))
            .map((summary) => ({ ...summary, startMs: Number(summary.startTimeUnixNano / 1_000_000n) }))
            .filter(
              (t) => t.services.includes(service) && t.startMs >= window.fromMs && t.startMs <= window.toMs,
            )
            .sort((a, b) => b.startMs - a.startMs || (a.traceId < b.traceId ? -1 : 1))
            .slice(0, window.limit)
            .map((t) => t.traceId),
      };
    },
  ],
  [
    'TraceStore on dynalite and s3rver',
    async (config = testConfig()) => {
      const { store, tableName, dynamodb } = await storeOnStandIns(standIns, config);
      const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
      return {
        sink: store,
        lookup: store,
        read: async (traceId) => {
          const view = await readTrace(table, traceId, FIXTURE_NOW_MS);
          return view && { spans: [...view.spans], decision: view.summary };
        },
        search: async (service, window) => {
          const found = await createTraceSearch(table).findTraces(
            {
              service,
              tags: [],
              startNano: BigInt(window.fromMs) * 1_000_000n,
              endNano: BigInt(window.toMs) * 1_000_000n,
              limit: window.limit,
            },
            FIXTURE_NOW_MS,
          );
          return found.traces.map((t) => t.summary.traceId);
        },
        rowsListedOnce: async (traceId) => {
          const s3 = standIns.s3.client();
          const ofTrace = (rows: Record<string, unknown>[]) => rows.filter((r) => r.trace_id === traceId);
          const spans = ofTrace(await tableRows(s3, standIns.bucketName, 'spans'));
          const traces = ofTrace(await tableRows(s3, standIns.bucketName, 'traces'));
          expect(traces.length).toBe(1);
          const spanKeys = spans.map((r) => `${r.trace_id}/${r.span_id}`);
          expect(spanKeys.length).toBe(new Set(spanKeys).size);
          const traceKeys = traces.map((r) => String(r.trace_id));
          expect(traceKeys.length).toBe(new Set(traceKeys).size);
        },
      };
    },
  ],
];

let traceCounter = 0;
/** A fresh trace id per test: the S3 stand-in is shared by the tests of a store. */
function nextTraceId(): string {
  return `c0${String(++traceCounter).padStart(6, '0')}${'5'.repeat(24)}`;
}

function checkout(traceId: string): { root: Span; pay: Span; db: Span } {
  return {
    root: testSpan({
      trace: traceId,
      id: 'root',
      service: 'frontend',
      name: 'POST /checkout',
      start: 0,
      end: 900,
    }),
    pay: testSpan({ trace: traceId, id: 'pay', parent: 'root', service: 'payments', start: 100, end: 700 }),
    db: testSpan({ trace: traceId, id: 'db', parent: 'pay', service: 'postgres', start: 200, end: 300 }),
  };
}

const ids = (spans: readonly Span[]): string[] => spans.map((s) => s.spanId).sort();
let batches = 100;
const nextBatch = (): BatchRef => batchRef(++batches);

describe.each(stores)('kept-traces store contract: %s', (_name, open) => {
  let store: StoreUnderTest;
  beforeAll(async () => {
    store = await open();
  });

  const write = (traces: KeptTrace[], batch: BatchRef = nextBatch()) => store.sink.write(traces, batch);

  it('reads back exactly the spans written, under their decision', async () => {
    // Prepare
    const traceId = nextTraceId();
    const { root, pay, db } = checkout(traceId);
    // Act
    await write([keptTrace([root, pay, db], { decision: ERRORS })]);
    // Assess
    const read = await store.read(traceId);
    expect(ids(read?.spans ?? [])).toEqual(ids([root, pay, db]));
    expect(read?.decision).toMatchObject({ policy: 'errors', probability: 1 });
  });

  it.each([
    [
      'the root alone, decided afresh (not late) by another container',
      (s: ReturnType<typeof checkout>) => [s.root],
      false,
    ],
    [
      'the whole trace again from an exporter retry, decided afresh',
      (s: ReturnType<typeof checkout>) => [s.root, s.pay, s.db],
      false,
    ],
    ['a late child that followed the decision', (s: ReturnType<typeof checkout>) => [s.db], true],
  ])('never shrinks or doubles when %s arrives in a later batch', async (_case, fragmentOf, late) => {
    // Prepare: the trace kept by one batch without its db span
    const traceId = nextTraceId();
    const spans = checkout(traceId);
    await write([keptTrace([spans.root, spans.pay], { decision: ERRORS })]);
    // Act: the fragment, from another batch, decided by the baseline this time
    await write([keptTrace(fragmentOf(spans), { decision: BASELINE, late })]);
    // Assess: the union under the first decision, each span once
    const read = await store.read(traceId);
    const expected = new Set([...ids([spans.root, spans.pay]), ...ids(fragmentOf(spans))]);
    expect(ids(read?.spans ?? [])).toEqual([...expected].sort());
    expect(read?.decision).toMatchObject({ policy: 'errors', probability: 1 });
    await store.rowsListedOnce?.(traceId);
  });

  it('a redelivered batch leaves the trace as the first delivery wrote it', async () => {
    // Prepare
    const traceId = nextTraceId();
    const { root, pay, db } = checkout(traceId);
    const batch = nextBatch();
    await write([keptTrace([root, pay, db])], batch);
    const first = await store.read(traceId);
    // Act
    await write([keptTrace([root, pay, db])], batch);
    // Assess
    expect(ids((await store.read(traceId))?.spans ?? [])).toEqual(ids(first?.spans ?? []));
    await store.rowsListedOnce?.(traceId);
  });

  it('answers the decision lookup for stored traces only', async () => {
    // Prepare
    const stored = nextTraceId();
    const unknown = nextTraceId();
    await write([keptTrace(Object.values(checkout(stored)), { decision: ERRORS })]);
    // Act
    const decisions = await store.lookup.keptDecisions([stored, unknown]);
    // Assess
    expect([...decisions.keys()]).toEqual([stored]);
    expect(decisions.get(stored)).toMatchObject({ keep: true, policy: 'errors', probability: 1 });
  });

  it("stores every trace of a batch beside one with a giant name, service and policy, and bounds that one's strings", async () => {
    // Prepare: a 300,000-character root name (incompressible), a 4,000-byte service name (over the
    // 2048-byte index key limit) and a 5,000-character policy, in one batch with three ordinary traces
    const hostile = nextTraceId();
    const giantName = Array.from({ length: 30_000 }, (_, i) => ((i * 7919) % 100_003).toString(36))
      .join('')
      .padEnd(300_000, 'z');
    const giantService = '\u20ac'.repeat(1_334);
    const giantPolicy = `rule:${'p'.repeat(5_000)}`;
    const root = testSpan({
      trace: hostile,
      id: 'root',
      service: giantService,
      name: giantName,
      start: 0,
      end: 10,
    });
    const neighbours = [nextTraceId(), nextTraceId(), nextTraceId()];
    // Act
    await write([
      keptTrace([root], { decision: { ...ERRORS, policy: giantPolicy } }),
      ...neighbours.map((id) => keptTrace(Object.values(checkout(id)), { decision: ERRORS })),
    ]);
    // Assess
    for (const id of neighbours)
      expect(ids((await store.read(id))?.spans ?? [])).toEqual(ids(Object.values(checkout(id))));
    const read = await store.read(hostile);
    expect(read?.spans.map((s) => s.name)).toEqual([giantName]);
    const policy = read?.decision.policy ?? '';
    expect(Buffer.byteLength(policy)).toBeLessThanOrEqual(STORED_STRING_BYTES.policy);
    expect(policy.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(giantPolicy.startsWith(policy.slice(0, -TRUNCATION_MARKER.length))).toBe(true);
  });

  it('holds late spans to the span cap, earliest first, and stores nothing past it', async () => {
    // Prepare: a store capped at 4 spans per trace, a trace stored with 3
    const capped = await open(testConfig({ sampling: { maxSpansPerTrace: 4 } }));
    const traceId = nextTraceId();
    const { root, pay, db } = checkout(traceId);
    await capped.sink.write([keptTrace([root, pay, db], { decision: ERRORS })], nextBatch());
    const late = (label: string, start: number) =>
      testSpan({ trace: traceId, id: label, parent: 'root', service: 'mail', start, end: start + 5 });
    // Act: two late fragments of two new spans each
    const first = await capped.sink.write(
      [keptTrace([late('l2', 600), late('l1', 500)], { late: true })],
      nextBatch(),
    );
    const second = await capped.sink.write(
      [keptTrace([late('l3', 100), late('l4', 50)], { late: true })],
      nextBatch(),
    );
    // Assess: what was left out is reported, so the sampler counts it dropped
    const read = await capped.read(traceId);
    expect(ids(read?.spans ?? [])).toEqual(ids([root, pay, db, late('l1', 500)]));
    expect([first.spansOverLimit.get(traceId), second.spansOverLimit.get(traceId)]).toEqual([1, 2]);
  });

  it('holds a first write larger than the span cap to its earliest spans, and reports the rest', async () => {
    // Prepare: a store capped at 4 spans per trace; a trace of 6 decided at once
    const capped = await open(testConfig({ sampling: { maxSpansPerTrace: 4 } }));
    const traceId = nextTraceId();
    const { root, pay, db } = checkout(traceId);
    const extra = (label: string, start: number) =>
      testSpan({ trace: traceId, id: label, parent: 'root', service: 'mail', start, end: start + 5 });

    // Act
    const outcome = await capped.sink.write(
      [
        keptTrace([extra('x2', 900), root, pay, extra('x1', 800), db, extra('x0', 700)], {
          decision: ERRORS,
        }),
      ],
      nextBatch(),
    );

    // Assess
    const read = await capped.read(traceId);
    const earliest = [root, pay, db, extra('x0', 700), extra('x1', 800), extra('x2', 900)]
      .sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))
      .slice(0, 4);
    expect(ids(read?.spans ?? [])).toEqual(ids(earliest));
    expect(outcome.spansOverLimit.get(traceId)).toBe(2);
  });

  it('finds the recent traces of a service newest first, within the window and limit', async () => {
    // Prepare: 12 traces of one service (more than one per index bucket), 1 of another
    const service = `svc-${nextTraceId()}`;
    const traces = Array.from({ length: 12 }, (_, i) => ({ id: nextTraceId(), start: i * 1_000_000_000 }));
    await write(
      traces.map(({ id, start }) =>
        keptTrace([testSpan({ trace: id, id: 'root', service, start, end: start + 10 })], {
          decision: ERRORS,
        }),
      ),
    );
    const other = nextTraceId();
    await write([keptTrace([testSpan({ trace: other, id: 'root', service: 'other', start: 0, end: 1 })])]);
    const baseMs = Number(BASE_NS / 1_000_000n);
    // Act: starts 2 s .. 9 s, at most 5
    const recent = await store.search(service, { fromMs: baseMs + 2_000, toMs: baseMs + 9_000, limit: 5 });
    // Assess
    expect(recent).toEqual([9, 8, 7, 6, 5].map((i) => traces[i]?.id));
  });
});
