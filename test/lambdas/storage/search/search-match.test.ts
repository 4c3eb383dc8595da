/** Whether a trace or an index entry matches a search (pure), by Jaeger's per-span rule. */
import { describe, expect, it } from 'vitest';
import { newAttributes, SpanKind, StatusCode } from '../../../../lambdas/shared/span/model.ts';
import { TRUNCATION_MARKER } from '../../../../lambdas/storage/dynamodb/bounds.ts';
import type { StoredTraceView } from '../../../../lambdas/storage/dynamodb/trace-reader.ts';
import type { SearchEntry } from '../../../../lambdas/storage/search/search-entries.ts';
import { criteriaOf, entryMayMatch, traceMatches } from '../../../../lambdas/storage/search/search-match.ts';
import { mayHoldTerm, termFilterOf } from '../../../../lambdas/storage/search/term-filter.ts';
import type { TraceQuery } from '../../../../lambdas/storage/search/trace-search.ts';
import { BASE_NS, span, summaryOf, TRACE_ID } from './spans.ts';

const US = 1_000;
const ROOT = '00000000000000a1';

function query(overrides: Partial<TraceQuery> = {}): TraceQuery {
  return {
    service: 'frontend',
    tags: [],
    startNano: BASE_NS - 60_000_000_000n,
    endNano: BASE_NS + 60_000_000_000n,
    limit: 20,
    ...overrides,
  };
}

const kvlist = newAttributes();
kvlist.k = 'v';
/** frontend: GET /cart (root, 10.999 µs) > render (2 µs, tags of every type); cart: GET /items (7 µs). */
const SPANS = [
  span({
    spanId: ROOT,
    name: 'GET /cart',
    kind: SpanKind.SERVER,
    durationNano: 10_999n,
    attributes: { 'http.method': 'GET' },
  }),
  span({
    spanId: '00000000000000b1',
    parentSpanId: ROOT,
    name: 'render',
    startNano: 1_000n,
    durationNano: 2_000n,
    attributes: {
      template: 'cart',
      bool: true,
      int: 42,
      big: 2n ** 63n - 1n,
      float: 0.1,
      bytes: Uint8Array.from([0xca, 0xfe]),
      list: ['a', 'b'],
      map: kvlist,
    },
    status: { code: StatusCode.ERROR, message: 'template missing' },
    events: [{ timeUnixNano: BASE_NS, name: 'exception', attributes: {}, droppedAttributesCount: 0 }],
  }),
  span({
    spanId: '00000000000000c1',
    parentSpanId: ROOT,
    service: 'cart',
    name: 'GET /items',
    kind: SpanKind.CLIENT,
    startNano: 3_000n,
    durationNano: 7_000n,
    attributes: { 'db.system': 'redis' },
  }),
];
const VIEW: StoredTraceView = { spans: SPANS, summary: summaryOf(SPANS, ROOT) };

describe('criteriaOf', () => {
  it('writes tags as terms and leaves the bounds open when not given', () => {
    // Act
    const criteria = criteriaOf(
      query({
        tags: [
          ['http.method', 'GET'],
          ['error', 'true'],
        ],
      }),
    );

    // Assess
    expect(criteria).toEqual({
      service: 'frontend',
      terms: ['http.method=GET', 'error=true'],
      minDurationNano: 0,
      maxDurationNano: Number.POSITIVE_INFINITY,
      startNano: BASE_NS - 60_000_000_000n,
      endNano: BASE_NS + 60_000_000_000n,
    });
  });

  it('bounds the service and the operation as the index stores them', () => {
    // Prepare
    const long = 'o'.repeat(300_000);

    // Act
    const criteria = criteriaOf(
      query({ service: long, operation: long, minDurationNano: 5, maxDurationNano: 9 }),
    );

    // Assess
    const bounded = `${'o'.repeat(253)}${TRUNCATION_MARKER}`;
    expect(criteria).toMatchObject({
      service: bounded,
      operation: bounded,
      minDurationNano: 5,
      maxDurationNano: 9,
    });
  });
});

describe('traceMatches', () => {
  it.each([
    ['no duration bounds', {}, true],
    ['min equal to the truncated µs', { minDurationNano: 10 * US }, true],
    ['min one µs above', { minDurationNano: 11 * US }, false],
    ['min one ns above the truncated µs', { minDurationNano: 10 * US + 1 }, false],
    ['max equal to the truncated µs', { maxDurationNano: 10 * US }, true],
    ['max one µs below', { maxDurationNano: 9 * US }, false],
    ['min and max equal', { minDurationNano: 10 * US, maxDurationNano: 10 * US }, true],
  ])('of GET /cart (10.999 µs) with %s: %s', (_case, bounds, expected) => {
    // Act
    const matched = traceMatches(VIEW, criteriaOf(query({ operation: 'GET /cart', ...bounds })));

    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ['starting at the start', 0n, 0n, true],
    ['ending at the start', -60_000_000_000n, 0n, true],
    ['starting 1 ns after', 1n, 60_000_000_000n, false],
    ['ending 1 ns before', -60_000_000_000n, -1n, false],
  ])('in a window %s of the trace', (_case, from, to, expected) => {
    // Act
    const matched = traceMatches(
      VIEW,
      criteriaOf(query({ startNano: BASE_NS + from, endNano: BASE_NS + to })),
    );

    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ['frontend', undefined, true],
    ['frontend', 'render', true],
    ['frontend', 'GET /items', false],
    ['cart', 'GET /items', true],
    ['cart', 'GET /cart', false],
    ['payments', undefined, false],
  ])('of service %s and operation %s: %s', (service, operation, expected) => {
    // Act
    const matched = traceMatches(VIEW, criteriaOf(query({ service, ...(operation ? { operation } : {}) })));

    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ['a string', 'template', 'cart', true],
    ['a bool', 'bool', 'true', true],
    ['a bool, other case', 'bool', 'True', false],
    ['an int', 'int', '42', true],
    ['an int as a float', 'int', '42.0', false],
    ['an int64 past 2^53', 'big', '9223372036854775807', true],
    ['a float', 'float', '0.1', true],
    ['bytes as hex', 'bytes', 'cafe', true],
    ['bytes as base64', 'bytes', 'yv4=', false],
    ['an array as JSON', 'list', '["a","b"]', true],
    ['a kvlist as JSON', 'map', '{"k":"v"}', true],
    ['the status', 'otel.status_code', 'ERROR', true],
    ['the error flag', 'error', 'true', true],
    ['a log field', 'event', 'exception', true],
    ['a process tag', 'host.name', 'frontend-1', true],
    ["another service's process tag", 'host.name', 'cart-1', false],
    ['the root decision', 'tracesift.sampling.policy', 'baseline', true],
    ['a value of no span', 'template', 'checkout', false],
  ])('with the tag of %s (%s=%s): %s', (_case, key, value, expected) => {
    // Act
    const matched = traceMatches(VIEW, criteriaOf(query({ tags: [[key, value]] })));

    // Assess
    expect(matched).toBe(expected);
  });

  it('needs every tag on one span: two tags on two spans do not match', () => {
    // Prepare
    const onRoot: [string, string] = ['http.method', 'GET'];
    const onRender: [string, string] = ['template', 'cart'];

    // Act
    const each = [onRoot, onRender].map((tag) => traceMatches(VIEW, criteriaOf(query({ tags: [tag] }))));
    const both = traceMatches(VIEW, criteriaOf(query({ tags: [onRoot, onRender] })));

    // Assess
    expect(each).toEqual([true, true]);
    expect(both).toBe(false);
  });

  it('needs the tags and the duration on one span', () => {
    // Act: render carries the tag but lasts 2 µs; GET /cart lasts 10 µs without it.
    const matched = traceMatches(
      VIEW,
      criteriaOf(query({ tags: [['template', 'cart']], minDurationNano: 5 * US })),
    );

    // Assess
    expect(matched).toBe(false);
  });

  it("does not count the tags of another service's span", () => {
    // Act
    const other = traceMatches(VIEW, criteriaOf(query({ service: 'cart', tags: [['template', 'cart']] })));
    const own = traceMatches(VIEW, criteriaOf(query({ service: 'cart', tags: [['db.system', 'redis']] })));

    // Assess
    expect(other).toBe(false);
    expect(own).toBe(true);
  });

  it("gives the root decision's tags to the root span only", () => {
    // Act
    const root = traceMatches(
      VIEW,
      criteriaOf(query({ operation: 'GET /cart', tags: [['tracesift.sampling.adjusted_count', '4']] })),
    );
    const child = traceMatches(
      VIEW,
      criteriaOf(query({ operation: 'render', tags: [['tracesift.sampling.adjusted_count', '4']] })),
    );

    // Assess
    expect(root).toBe(true);
    expect(child).toBe(false);
  });
});

describe('entryMayMatch', () => {
  const EXPIRES_AT = 1_798_113_600;
  const TERMS = ['template=cart', 'error=true'];
  const ENTRY: SearchEntry = {
    traceId: TRACE_ID,
    service: 'frontend',
    startNano: BASE_NS,
    expiresAt: EXPIRES_AT,
    operations: [
      {
        name: 'GET /cart',
        kind: SpanKind.SERVER,
        minDurationMicros: 10,
        maxDurationMicros: 10,
        error: false,
      },
      { name: 'render', kind: SpanKind.INTERNAL, minDurationMicros: 2, maxDurationMicros: 30, error: true },
    ],
    allOperations: false,
    filter: termFilterOf(TERMS),
  };
  const NOW_MS = EXPIRES_AT * 1000 - 86_400_000;

  it.each([
    ['a second before it', EXPIRES_AT * 1000 - 1_000, true],
    ['its last ms', EXPIRES_AT * 1000 - 1, true],
    ['its expiry', EXPIRES_AT * 1000, false],
    ['after its expiry', EXPIRES_AT * 1000 + 1, false],
  ])('refuses an expired entry: at %s, may match %s', (_case, nowMs, expected) => {
    // Act
    const may = entryMayMatch(ENTRY, criteriaOf(query()), nowMs);

    // Assess
    expect(may).toBe(expected);
  });

  it.each([
    ['starting at the start', 0n, 0n, true],
    ['ending at the start', -60_000_000_000n, 0n, true],
    ['starting 1 ns after', 1n, 60_000_000_000n, false],
    ['ending 1 ns before', -60_000_000_000n, -1n, false],
  ])('in a window %s of the trace', (_case, from, to, expected) => {
    // Act
    const may = entryMayMatch(
      ENTRY,
      criteriaOf(query({ startNano: BASE_NS + from, endNano: BASE_NS + to })),
      NOW_MS,
    );

    // Assess
    expect(may).toBe(expected);
  });

  it.each([
    ['min equal to the longest span', undefined, { minDurationNano: 30 * US }, true],
    ['min one µs above the longest span', undefined, { minDurationNano: 31 * US }, false],
    ['max equal to the shortest span', undefined, { maxDurationNano: 2 * US }, true],
    ['max one µs below the shortest span', undefined, { maxDurationNano: 1 * US }, false],
    ['an operation', 'render', {}, true],
    ['an operation of no span', 'checkout', {}, false],
    ['an operation and min equal to its longest', 'GET /cart', { minDurationNano: 10 * US }, true],
    [
      "an operation and min above its longest, another's longer",
      'GET /cart',
      { minDurationNano: 11 * US },
      false,
    ],
    ['an operation and max below its shortest', 'GET /cart', { maxDurationNano: 9 * US }, false],
  ])('with %s', (_case, operation, bounds, expected) => {
    // Act
    const may = entryMayMatch(
      ENTRY,
      criteriaOf(query({ ...(operation ? { operation } : {}), ...bounds })),
      NOW_MS,
    );

    // Assess
    expect(may).toBe(expected);
  });

  it('lets an entry listing no operations (allOperations) match any operation and duration', () => {
    // Prepare
    const criteria = criteriaOf(query({ operation: 'GET /item/77', minDurationNano: 1e12 }));
    // Act
    const listed = entryMayMatch(ENTRY, criteria, NOW_MS);
    const all = entryMayMatch({ ...ENTRY, operations: [], allOperations: true }, criteria, NOW_MS);
    // Assess
    expect(listed).toBe(false);
    expect(all).toBe(true);
  });

  it('refuses an entry of another service', () => {
    // Act
    const may = entryMayMatch(ENTRY, criteriaOf(query({ service: 'cart' })), NOW_MS);

    // Assess
    expect(may).toBe(false);
  });

  it('accepts an entry whose filter holds every term, refuses one whose filter lacks one', () => {
    // Prepare
    const absent: [string, string] = ['template', 'checkout'];
    expect(mayHoldTerm(ENTRY.filter, 'template=checkout')).toBe(false);

    // Act
    const held = entryMayMatch(
      ENTRY,
      criteriaOf(
        query({
          tags: [
            ['template', 'cart'],
            ['error', 'true'],
          ],
        }),
      ),
      NOW_MS,
    );
    const lacking = entryMayMatch(ENTRY, criteriaOf(query({ tags: [['template', 'cart'], absent] })), NOW_MS);

    // Assess
    expect(held).toBe(true);
    expect(lacking).toBe(false);
  });
});
