/** Index entries of a trace write (pure): one per service, operations merged, names bounded. */
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode } from '../../../../lambdas/shared/span/model.ts';
import { TRUNCATION_MARKER } from '../../../../lambdas/storage/dynamodb/bounds.ts';
import {
  type IndexedWrite,
  MAX_ENTRY_OPERATIONS,
  type SearchEntry,
  searchEntriesOf,
  spanDurationMicros,
} from '../../../../lambdas/storage/search/search-entries.ts';
import { rootDecisionOf } from '../../../../lambdas/storage/search/search-terms.ts';
import { mayHoldTerm } from '../../../../lambdas/storage/search/term-filter.ts';
import { BASE_NS, span, TRACE_ID } from './spans.ts';

const ROOT = '00000000000000a1';
const DECISION = rootDecisionOf({ policy: 'latency', probability: 1, threshold: '0', reason: 'slow' });
const POLICY_TERM = 'tracesift.sampling.policy=latency';

function writeOf(spans: IndexedWrite['spans'], rootSpanId = ROOT): IndexedWrite {
  return {
    traceId: TRACE_ID,
    startNano: BASE_NS,
    expiresAt: 1_798_113_600,
    spans,
    rootSpanId,
    decision: DECISION,
  };
}

function entryOf(entries: readonly SearchEntry[], service: string): SearchEntry {
  const entry = entries.find((e) => e.service === service);
  if (!entry) throw new Error(`no entry of ${service}`);
  return entry;
}

const SPANS = [
  span({ spanId: ROOT, name: 'GET /cart', kind: SpanKind.SERVER, durationNano: 1_999n }),
  span({
    spanId: 'b1',
    parentSpanId: ROOT,
    name: 'render',
    durationNano: 12_345n,
    attributes: { 'template.name': 'cart' },
  }),
  span({
    spanId: 'b2',
    parentSpanId: ROOT,
    name: 'render',
    durationNano: 5_000n,
    status: { code: StatusCode.ERROR, message: 'template missing' },
  }),
  span({ spanId: 'b3', parentSpanId: ROOT, name: 'render', durationNano: 999n }),
  span({ spanId: 'b4', parentSpanId: ROOT, name: 'GET /cart', kind: SpanKind.CLIENT, durationNano: 7_000n }),
  span({
    spanId: 'c1',
    parentSpanId: 'b4',
    service: 'cart',
    name: 'GET /cart',
    kind: SpanKind.SERVER,
    durationNano: 6_000n,
    attributes: { 'db.system': 'redis' },
  }),
];

describe('searchEntriesOf', () => {
  it('writes one entry per service, with the trace, its start and its expiry', () => {
    // Act
    const entries = searchEntriesOf(writeOf(SPANS));

    // Assess
    expect(entries.map((e) => e.service).sort()).toEqual(['cart', 'frontend']);
    for (const entry of entries) {
      expect(entry.traceId).toBe(TRACE_ID);
      expect(entry.startNano).toBe(BASE_NS);
      expect(entry.expiresAt).toBe(1_798_113_600);
    }
  });

  it('merges operations per span kind and name: shortest and longest in truncated µs, error if any', () => {
    // Act
    const entries = searchEntriesOf(writeOf(SPANS));

    // Assess
    const byKey = (e: SearchEntry) =>
      [...e.operations].sort((a, b) => a.kind - b.kind || (a.name < b.name ? -1 : 1));
    expect(byKey(entryOf(entries, 'frontend'))).toEqual([
      { name: 'render', kind: SpanKind.INTERNAL, minDurationMicros: 0, maxDurationMicros: 12, error: true },
      { name: 'GET /cart', kind: SpanKind.SERVER, minDurationMicros: 1, maxDurationMicros: 1, error: false },
      { name: 'GET /cart', kind: SpanKind.CLIENT, minDurationMicros: 7, maxDurationMicros: 7, error: false },
    ]);
    expect(byKey(entryOf(entries, 'cart'))).toEqual([
      { name: 'GET /cart', kind: SpanKind.SERVER, minDurationMicros: 6, maxDurationMicros: 6, error: false },
    ]);
  });

  it("fills each service's filter with its own spans' terms", () => {
    // Act
    const entries = searchEntriesOf(writeOf(SPANS));

    // Assess
    const frontend = entryOf(entries, 'frontend').filter;
    const cart = entryOf(entries, 'cart').filter;
    for (const term of ['template.name=cart', 'error=true', 'otel.status_description=template missing'])
      expect(mayHoldTerm(frontend, term)).toBe(true);
    expect(mayHoldTerm(cart, 'db.system=redis')).toBe(true);
    expect(mayHoldTerm(cart, 'template.name=cart')).toBe(false);
    expect(mayHoldTerm(frontend, 'db.system=redis')).toBe(false);
  });

  it("puts the root decision's terms in the root span's service's filter only", () => {
    // Prepare: the root is the cart's span this time.
    const spans = [
      span({ spanId: ROOT, service: 'cart', name: 'GET /cart', kind: SpanKind.SERVER }),
      span({ spanId: 'b1', parentSpanId: ROOT, name: 'render' }),
    ];

    // Act
    const entries = searchEntriesOf(writeOf(spans));

    // Assess
    const decisionTerms = [POLICY_TERM, 'tracesift.sampling.probability=1', 'tracesift.sampling.reason=slow'];
    for (const term of decisionTerms) {
      expect(mayHoldTerm(entryOf(entries, 'cart').filter, term)).toBe(true);
      expect(mayHoldTerm(entryOf(entries, 'frontend').filter, term)).toBe(false);
    }
  });

  it("leaves the decision's terms out of a late fragment without the root span", () => {
    // Act
    const entries = searchEntriesOf(writeOf(SPANS.slice(1)));

    // Assess
    expect(entries.map((e) => mayHoldTerm(e.filter, POLICY_TERM))).toEqual([false, false]);
  });

  it('bounds a service and an operation name as the summary bounds them', () => {
    // Prepare
    const long = 'x'.repeat(300_000);
    const spans = [span({ spanId: ROOT, service: long, name: long })];

    // Act
    const [entry] = searchEntriesOf(writeOf(spans));

    // Assess: 256 bytes, the 3-byte marker included.
    const bounded = `${'x'.repeat(253)}${TRUNCATION_MARKER}`;
    expect(entry?.service).toBe(bounded);
    expect(entry?.operations.map((op) => op.name)).toEqual([bounded]);
  });

  it('writes nothing for a write of no spans', () => {
    // Act
    const entries = searchEntriesOf(writeOf([]));

    // Assess
    expect(entries).toEqual([]);
  });
});

describe('spanDurationMicros', () => {
  it.each([
    [0n, 0],
    [999n, 0],
    [1_000n, 1],
    [1_999n, 1],
    [2n ** 40n * 1_000n, 2 ** 40],
    [-5_000n, 0],
  ])('of a span lasting %i ns is %i µs', (durationNano, micros) => {
    // Act
    const out = spanDurationMicros({ startTimeUnixNano: BASE_NS, endTimeUnixNano: BASE_NS + durationNano });

    // Assess
    expect(out).toBe(micros);
  });

  it.each([
    ['at the bound', MAX_ENTRY_OPERATIONS, false],
    ['one over the bound', MAX_ENTRY_OPERATIONS + 1, true],
  ])('lists the operations of a write %s, else none and says any may match', (_, count, all) => {
    // Prepare
    const spans = Array.from({ length: count }, (_, i) => span({ spanId: `c${i}`, name: `GET /item/${i}` }));
    // Act
    const [entry] = searchEntriesOf(writeOf(spans));
    // Assess
    expect(entry?.allOperations).toBe(all);
    expect(entry?.operations).toHaveLength(all ? 0 : count);
  });
});
