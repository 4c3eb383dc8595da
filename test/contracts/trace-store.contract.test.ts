/**
 * One contract for every kept-traces store: the in-memory double the sampler tests use and the
 * real TraceStore over the local stand-ins of DynamoDB and S3 (dynalite, s3rver) through the real
 * AWS SDK clients. Both must hold the union of spans by span id under the first decision, whatever
 * order, batch or container the fragments come from, and answer the decision lookup alike: a
 * double that merged where the real store overwrote (as DynamoDB's PutItem does) would hide that
 * bug from every sampler test, which is how "a re-sent root replaces the stored trace" went unseen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  TraceSink,
} from '../../lambdas/shared/sampling/kept-trace.ts';
import type { Span } from '../../lambdas/shared/span/model.ts';
import { readTrace } from '../../lambdas/storage/trace-reader.ts';
import { TraceTable } from '../../lambdas/storage/trace-table.ts';
import { memoryTraceStore } from '../support/sampler.ts';
import {
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
  testSpan,
} from '../support/storage.ts';

interface StoreUnderTest {
  readonly sink: TraceSink;
  readonly lookup: DecisionLookup;
  read(
    traceId: string,
  ): Promise<{ spans: Span[]; decision: Pick<SamplingDecision, 'policy' | 'probability'> } | undefined>;
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

const stores: Array<[string, () => Promise<StoreUnderTest>]> = [
  [
    'in-memory double',
    async () => {
      const store = memoryTraceStore();
      return {
        sink: store.sink,
        lookup: store.lookup,
        read: async (traceId) => {
          const stored = store.traces.get(traceId);
          return stored && { spans: [...stored.spans.values()], decision: stored.decision };
        },
      };
    },
  ],
  [
    'TraceStore on dynalite and s3rver',
    async () => {
      const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
      const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
      return {
        sink: store,
        lookup: store,
        read: async (traceId) => {
          const view = await readTrace(table, traceId, FIXTURE_NOW_MS);
          return view && { spans: [...view.spans], decision: view.summary };
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
});
