/**
 * The search index end to end on the DynamoDB stand-in: kept traces written by the real TraceStore,
 * read back by createTraceSearch through the real AWS SDK client. Jaeger's rule (one span of the
 * service matches operation, tags and duration), the window, newest first, the catalogue, the
 * dependency counters (once per batch) and the search's bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamplingDecision } from '../../../../lambdas/shared/sampling/kept-trace.ts';
import { SpanKind } from '../../../../lambdas/shared/span/model.ts';
import {
  createTraceSearch,
  maxVerified,
  type TraceQuery,
  type TraceSearch,
  type TraceStore,
  TraceTable,
} from '../../../../lambdas/storage/index.ts';
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
  testConfig,
  testSpan,
} from '../../../support/storage.ts';

const MS = 1_000_000;
const RETENTION_DAYS = testConfig().storage.retentionDays;

let standIns: StorageStandIns;
beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-search');
});
afterAll(async () => {
  await standIns.close();
});

async function searchOnStandIns(): Promise<{ store: TraceStore; search: TraceSearch }> {
  const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
  return {
    store,
    search: createTraceSearch(new TraceTable({ client: dynamodb, tableName, now: fixtureClock })),
  };
}

function traceIdOf(n: number): string {
  return `${n.toString(16).padStart(8, '0')}${'5eac4'.padEnd(24, '0')}`;
}

/** A checkout: frontend GET /checkout (server) calling payments POST /charge (client span, then server). */
function checkout(n: number, startMs: number, options: { error?: boolean; chargeMs?: number } = {}) {
  const trace = traceIdOf(n);
  const start = startMs * MS;
  const chargeMs = options.chargeMs ?? 20;
  return [
    testSpan({ trace, id: 'root', service: 'frontend', name: 'GET /checkout', start, end: start + 50 * MS }),
    testSpan({
      trace,
      id: 'call',
      parent: 'root',
      service: 'frontend',
      name: 'POST /charge',
      kind: SpanKind.CLIENT,
      start: start + MS,
      end: start + (chargeMs + 2) * MS,
      attributes: { 'peer.service': 'payments' },
    }),
    testSpan({
      trace,
      id: 'charge',
      parent: 'call',
      service: 'payments',
      name: 'POST /charge',
      start: start + 2 * MS,
      end: start + (2 + chargeMs) * MS,
      error: options.error ?? false,
      attributes: { 'http.status_code': options.error ? 500 : 200, 'card.present': true, amount: 12.5 },
    }),
  ];
}

function home(n: number, startMs: number) {
  const trace = traceIdOf(n);
  const start = startMs * MS;
  return [
    testSpan({ trace, id: 'root', service: 'frontend', name: 'GET /home', start, end: start + 2 * MS }),
  ];
}

function query(overrides: Partial<TraceQuery> = {}): TraceQuery {
  return {
    service: 'frontend',
    tags: [],
    startNano: BASE_NS,
    endNano: BASE_NS + 60_000n * BigInt(MS),
    limit: 20,
    ...overrides,
  };
}

const ids = (found: { traces: readonly { summary: { traceId: string } }[] }): string[] =>
  found.traces.map((t) => t.summary.traceId);

function kept(spans: ReturnType<typeof checkout>, decision: SamplingDecision = BASELINE) {
  return keptTrace(spans, { decision });
}

describe('createTraceSearch over the TraceStore on dynalite', () => {
  it('finds traces of a service newest first, by operation, tags, duration and window', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    await store.write(
      [
        kept(checkout(1, 1_000, { error: true, chargeMs: 30 }), ERRORS),
        kept(home(2, 2_000)),
        kept(checkout(3, 3_000, { chargeMs: 10 })),
        kept(home(4, 61_000)),
      ],
      batchRef(1),
    );
    // Act
    const all = await search.findTraces(query(), FIXTURE_NOW_MS);
    const byOperation = await search.findTraces(query({ operation: 'GET /home' }), FIXTURE_NOW_MS);
    const payments = await search.findTraces(query({ service: 'payments' }), FIXTURE_NOW_MS);
    const failed = await search.findTraces(
      query({
        service: 'payments',
        tags: [
          ['http.status_code', '500'],
          ['error', 'true'],
        ],
      }),
      FIXTURE_NOW_MS,
    );
    const typed = await search.findTraces(
      query({
        service: 'payments',
        tags: [
          ['card.present', 'true'],
          ['amount', '12.5'],
        ],
      }),
      FIXTURE_NOW_MS,
    );
    const decision = await search.findTraces(
      query({ tags: [['tracesift.sampling.policy', 'errors']] }),
      FIXTURE_NOW_MS,
    );
    const newest = await search.findTraces(query({ limit: 1 }), FIXTURE_NOW_MS);
    const unknown = await search.findTraces(query({ service: 'nobody' }), FIXTURE_NOW_MS);
    // Assess
    expect(ids(all)).toEqual([traceIdOf(3), traceIdOf(2), traceIdOf(1)]);
    expect(all.partial).toBe(false);
    expect(all.readUnits).toBeGreaterThan(0);
    expect(ids(byOperation)).toEqual([traceIdOf(2)]);
    expect(ids(payments)).toEqual([traceIdOf(3), traceIdOf(1)]);
    expect(ids(failed)).toEqual([traceIdOf(1)]);
    expect(ids(typed)).toEqual([traceIdOf(3), traceIdOf(1)]);
    expect(ids(decision)).toEqual([traceIdOf(1)]);
    expect(ids(newest)).toEqual([traceIdOf(3)]);
    expect(unknown.traces).toEqual([]);
    expect(all.traces[0]?.spans).toHaveLength(3);
  });

  it.each([
    ['min equal to the span', { minDurationNano: 30 * MS }, [1]],
    ['min one microsecond above', { minDurationNano: 30 * MS + 1_000 }, []],
    ['max equal to the span', { maxDurationNano: 10 * MS }, [3]],
    ['max one microsecond below', { maxDurationNano: 10 * MS - 1_000 }, []],
    ['both bounds on one span', { minDurationNano: 10 * MS, maxDurationNano: 10 * MS }, [3]],
  ])('bounds span durations of the service, both inclusive: %s', async (_, bounds, expected) => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    await store.write(
      [kept(checkout(1, 1_000, { chargeMs: 30 })), kept(checkout(3, 3_000, { chargeMs: 10 }))],
      batchRef(1),
    );
    // Act
    const found = await search.findTraces(
      query({ service: 'payments', operation: 'POST /charge', ...bounds }),
      FIXTURE_NOW_MS,
    );
    // Assess
    expect(ids(found)).toEqual(expected.map(traceIdOf));
  });

  it.each([
    ['start at the window start', 0n, 0n, true],
    ['start at the window end', -1_000_000_000n, 0n, true],
    ['start 1 ns before the window', 1n, 60_000_000_000n, false],
    ['start 1 ns after the window', -1_000_000_000n, -1n, false],
  ])('selects traces by their start, both ends inclusive: %s', async (_, fromOffset, toOffset, found) => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    await store.write([kept(home(2, 2_000))], batchRef(1));
    const start = BASE_NS + 2_000n * BigInt(MS);
    // Act
    const result = await search.findTraces(
      query({ startNano: start + fromOffset, endNano: start + toOffset }),
      FIXTURE_NOW_MS,
    );
    // Assess
    expect(ids(result)).toEqual(found ? [traceIdOf(2)] : []);
  });

  it('needs one span to carry every tag: tags split over two spans do not match', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    await store.write([kept(checkout(1, 1_000))], batchRef(1));
    // Act: peer.service is on the client span, span.kind=server on the root
    const split = await search.findTraces(
      query({
        tags: [
          ['peer.service', 'payments'],
          ['span.kind', 'server'],
        ],
      }),
      FIXTURE_NOW_MS,
    );
    const one = await search.findTraces(
      query({
        tags: [
          ['peer.service', 'payments'],
          ['span.kind', 'client'],
        ],
      }),
      FIXTURE_NOW_MS,
    );
    // Assess
    expect(split.traces).toEqual([]);
    expect(ids(one)).toEqual([traceIdOf(1)]);
  });

  it('finds a late fragment by its new service, and leaves out traces expired at the clock', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    const spans = checkout(1, 1_000);
    await store.write([kept(spans)], batchRef(1));
    const late = testSpan({
      trace: traceIdOf(1),
      id: 'stock',
      parent: 'charge',
      service: 'inventory',
      name: 'reserve',
      start: 1_005 * MS,
      end: 1_006 * MS,
    });
    await store.write([keptTrace([late], { late: true })], batchRef(2));
    const expiredAt = FIXTURE_NOW_MS + RETENTION_DAYS * 86_400_000;
    // Act
    const inventory = await search.findTraces(query({ service: 'inventory' }), FIXTURE_NOW_MS);
    const later = await search.findTraces(query(), expiredAt);
    // Assess
    expect(ids(inventory)).toEqual([traceIdOf(1)]);
    expect(inventory.traces[0]?.spans).toHaveLength(4);
    expect(later.traces).toEqual([]);
  });

  it('lists services and operations from the catalogue, by kind when asked', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    await store.write([kept(checkout(1, 1_000)), kept(home(2, 2_000))], batchRef(1));
    // Act
    const services = await search.services(FIXTURE_NOW_MS);
    const operations = await search.operations('frontend', FIXTURE_NOW_MS);
    const clients = await search.operations('frontend', FIXTURE_NOW_MS, 'client');
    const none = await search.operations('nobody', FIXTURE_NOW_MS);
    const expired = await search.services(FIXTURE_NOW_MS + (RETENTION_DAYS + 1) * 86_400_000);
    // Assess
    expect(services).toEqual(['frontend', 'payments']);
    expect(operations).toEqual([
      { name: 'GET /checkout', spanKind: 'server' },
      { name: 'GET /home', spanKind: 'server' },
      { name: 'POST /charge', spanKind: 'client' },
    ]);
    expect(clients).toEqual([{ name: 'POST /charge', spanKind: 'client' }]);
    expect(none).toEqual([]);
    expect(expired).toEqual([]);
  });

  it('counts calls between services re-weighted by adjusted count, once however often a batch is delivered', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    const batch = [kept(checkout(1, 1_000, { error: true }), ERRORS), kept(checkout(3, 3_000))];
    await store.write(batch, batchRef(1));
    await store.write(batch, batchRef(1));
    const fromMs = Number(BASE_NS / BigInt(MS));
    // Act
    const graph = await search.dependencies(fromMs, fromMs + 60_000);
    const before = await search.dependencies(fromMs - 7_200_000, fromMs - 3_600_001);
    // Assess: per trace one call frontend -> payments; ERRORS keeps with probability 1, BASELINE 1/4
    const adjusted = 1 / ERRORS.probability + 1 / BASELINE.probability;
    expect(graph).toEqual([
      {
        parent: 'frontend',
        child: 'payments',
        keptCalls: 2,
        estimatedCalls: adjusted,
        estimatedErrors: 1 / ERRORS.probability,
      },
    ]);
    expect(before).toEqual([]);
  });

  it('stops at its verification budget and says the answer is partial', async () => {
    // Prepare: every trace's filter holds both terms, on two different spans: none matches
    const { store, search } = await searchOnStandIns();
    const limit = 1;
    const traces = Array.from({ length: maxVerified(limit) + 5 }, (_, i) =>
      kept(checkout(100 + i, 1_000 + i)),
    );
    await store.write(traces, batchRef(1));
    // Act
    const found = await search.findTraces(
      query({
        tags: [
          ['peer.service', 'payments'],
          ['span.kind', 'server'],
        ],
        limit,
      }),
      FIXTURE_NOW_MS,
    );
    const unbounded = await search.findTraces(query({ limit: 200 }), FIXTURE_NOW_MS);
    // Assess
    expect(found.traces).toEqual([]);
    expect(found.partial).toBe(true);
    expect(unbounded.traces).toHaveLength(traces.length);
    expect(unbounded.partial).toBe(false);
  });

  it('reads only the traces whose index entry may match: a rare tag costs a few reads, not one per trace', async () => {
    // Prepare
    const { store, search } = await searchOnStandIns();
    const traces = Array.from({ length: 60 }, (_, i) =>
      kept(checkout(200 + i, 1_000 + i, { error: i === 7 })),
    );
    await store.write(traces, batchRef(1));
    // Act
    const rare = await search.findTraces(
      query({ service: 'payments', tags: [['http.status_code', '500']], limit: 60 }),
      FIXTURE_NOW_MS,
    );
    const every = await search.findTraces(query({ service: 'payments', limit: 60 }), FIXTURE_NOW_MS);
    // Assess: each trace read costs at least half a unit; the index pages are shared by both
    expect(ids(rare)).toEqual([traceIdOf(207)]);
    expect(every.traces).toHaveLength(60);
    expect(every.readUnits - rare.readUnits).toBeGreaterThanOrEqual(0.5 * (60 - 5));
  });

  it('finds spans written first in a window before their start once a late span moved the trace start earlier', async () => {
    // Prepare: payments' span starts at 1,002 ms; a late root at 990 ms moves the trace's start
    const { store, search } = await searchOnStandIns();
    const spans = checkout(1, 1_000).filter((s) => s.resource.serviceName === 'payments');
    await store.write([kept(spans)], batchRef(1));
    const root = testSpan({
      trace: traceIdOf(1),
      id: 'early',
      service: 'frontend',
      start: 990 * MS,
      end: 1_060 * MS,
    });
    await store.write([keptTrace([root], { late: true })], batchRef(2));
    const window = { startNano: BASE_NS + 980n * BigInt(MS), endNano: BASE_NS + 995n * BigInt(MS) };
    // Act
    const found = await search.findTraces(
      query({ service: 'payments', operation: 'POST /charge', ...window }),
      FIXTURE_NOW_MS,
    );
    // Assess
    expect(ids(found)).toEqual([traceIdOf(1)]);
  });

  it('orders a trace by its start once a late span moved it earlier, not by its first entry', async () => {
    // Prepare: trace 1 first written from 1,002 ms (payments), its late root at 990 ms; trace 2 at 995 ms
    const { store, search } = await searchOnStandIns();
    const first = checkout(1, 1_000).filter((s) => s.resource.serviceName === 'payments');
    await store.write([kept(first), kept(checkout(2, 995))], batchRef(1));
    const root = testSpan({
      trace: traceIdOf(1),
      id: 'early',
      service: 'frontend',
      start: 990 * MS,
      end: 1_060 * MS,
    });
    await store.write([keptTrace([root], { late: true })], batchRef(2));
    // Act
    const found = await search.findTraces(query({ service: 'payments' }), FIXTURE_NOW_MS);
    // Assess
    expect(ids(found)).toEqual([traceIdOf(2), traceIdOf(1)]);
  });
});
