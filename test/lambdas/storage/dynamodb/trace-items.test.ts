/**
 * The items of a trace (trace-items.ts): version 2 written and read back, version 1 items (the
 * summary as named attributes, OTLP blobs) still read and merged with, and write units counted as
 * DynamoDB bills them.
 */
import { constants as zlibConstants, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeTraceRequest } from '../../../../lambdas/shared/otlp/index.ts';
import type { Span } from '../../../../lambdas/shared/span/model.ts';
import { boundSummary } from '../../../../lambdas/storage/dynamodb/bounds.ts';
import { SPAN_BLOB_DICTIONARY_V1 } from '../../../../lambdas/storage/dynamodb/span-blob-dictionary.ts';
import { decodeHead } from '../../../../lambdas/storage/dynamodb/trace-head.ts';
import {
  decisionOfItem,
  deliveryOf,
  firstWriteItems,
  isResourceItem,
  itemSize,
  lateWriteItems,
  rejectedTraceItem,
  spansOf,
  storedHeadOf,
  storedTraceOf,
  type TraceItem,
  writeUnits,
} from '../../../../lambdas/storage/dynamodb/trace-items.ts';
import { summarizeTrace, type TraceSummary } from '../../../../lambdas/storage/enrich/summary.ts';
import { StoredTraceCorruptError } from '../../../../lambdas/storage/errors.ts';
import { BASELINE, FIXTURE_NOW_MS, TRACE_A, testSpan } from '../../../support/storage.ts';
import { workloadTraces } from '../../../support/workload-traces.ts';

const FIRST = deliveryOf({
  shardId: 'shardId-000000000001',
  firstSequenceNumber: '100',
  lastSequenceNumber: '200',
});
const LATE = deliveryOf({
  shardId: 'shardId-000000000001',
  firstSequenceNumber: '300',
  lastSequenceNumber: '400',
});
const EXPIRES_AT = Math.floor(FIXTURE_NOW_MS / 1000) + 7 * 86_400;

const spans: Span[] = [
  testSpan({ id: 'root', service: 'frontend', name: 'GET /cart', start: 0, end: 1_000 }),
  testSpan({ id: 'api', parent: 'root', service: 'carts', start: 100, end: 800, error: true }),
  testSpan({
    id: 'db',
    parent: 'api',
    service: 'carts',
    start: 200,
    end: 300,
    attributes: { 'db.system.name': 'redis' },
  }),
];
const lateSpan = testSpan({ id: 'late', parent: 'root', service: 'payments', start: 1_100, end: 1_500 });

function summaryOf(traced: readonly Span[]): TraceSummary {
  return summarizeTrace(TRACE_A, traced, BASELINE, FIXTURE_NOW_MS);
}

function byId(list: readonly Span[]): Span[] {
  return [...list].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

/** Items as version 1 wrote them: the summary as named attributes, the spans an OTLP zstd blob. */
function version1Items(summary: TraceSummary, stored: readonly Span[]): TraceItem[] {
  const protobuf = encodeTraceRequest(stored);
  const blob = zstdCompressSync(protobuf, {
    params: { [zlibConstants.ZSTD_c_compressionLevel]: 9 },
    dictionary: Buffer.from(SPAN_BLOB_DICTIONARY_V1, 'utf8'),
  });
  return [
    {
      trace_id: { S: TRACE_A },
      part: { S: 'trace' },
      gsi_service: { S: `${summary.rootService}#3` },
      gsi_start_ms: { N: String(summary.startTimeUnixNano / 1_000_000n) },
      root_span_id: { S: summary.rootSpanId },
      root_service: { S: summary.rootService },
      root_name: { S: summary.rootName },
      start_ns: { N: summary.startTimeUnixNano.toString() },
      end_ns: { N: summary.endTimeUnixNano.toString() },
      duration_ns: { N: String(summary.durationNano) },
      span_count: { N: String(summary.spanCount) },
      error_count: { N: String(summary.errorCount) },
      services: { L: summary.services.map((s) => ({ S: s })) },
      policy: { S: summary.policy },
      probability: { N: String(summary.probability) },
      threshold: { S: summary.threshold },
      reason: { S: summary.reason },
      first_arrival_ms: { N: String(summary.firstArrivalMs) },
      stored_bytes: { N: String(protobuf.length) },
      expires_at: { N: String(EXPIRES_AT) },
      batch: { S: FIRST.tag },
      batch_range: { S: FIRST.range },
      codec: { S: 'otlp+zstd:d1' },
      spans: { B: new Uint8Array(blob) },
      span_bytes: { N: String(protobuf.length) },
    },
  ];
}

describe('version 2 items', () => {
  it('read back as written: the spans, the summary computed from them, the batch', () => {
    // Prepare
    const summary = summaryOf(spans);
    const items = firstWriteItems(summary, spans, FIRST, EXPIRES_AT);

    // Act
    const stored = storedTraceOf(TRACE_A, items);

    // Assess
    expect(byId(spansOf(stored ?? { parts: [] }))).toEqual(
      byId(decodeTraceRequest(encodeTraceRequest(spans))),
    );
    expect(stored?.summary).toEqual(boundSummary(summary));
    expect(stored?.delivery).toEqual(FIRST);
    expect(stored?.parts[0]?.protobufBytes).toBe(encodeTraceRequest(spans).length);
  });

  it('carry the keys, expires_at, head and spans only, and the resources in items of their own', () => {
    // Act
    const items = firstWriteItems(summaryOf(spans), spans, FIRST, EXPIRES_AT);

    // Assess
    const own = items.filter((item) => !isResourceItem(item));
    expect(own.map((item) => Object.keys(item).sort())).toEqual([
      ['expires_at', 'head', 'part', 'spans', 'trace_id'],
    ]);
    const resources = items.filter(isResourceItem);
    expect(resources.map((item) => item.part?.S)).toEqual(['resource', 'resource']);
    for (const item of resources) expect(Number(item.expires_at?.N)).toBe(EXPIRES_AT + 86_400);
    const head = decodeHead(own[0]?.head?.B ?? new Uint8Array());
    expect(head.resources.map((hash) => `resource#${Buffer.from(hash).toString('hex')}`).sort()).toEqual(
      resources.map((item) => item.trace_id?.S).sort(),
    );
  });

  it('give the decision and the head a late write needs, from the trace item alone', () => {
    // Prepare
    const [traceItem] = firstWriteItems(summaryOf(spans), spans, FIRST, EXPIRES_AT).filter(
      (i) => !isResourceItem(i),
    );
    const item = traceItem as TraceItem;

    // Act
    const decision = decisionOfItem(TRACE_A, item);
    const head = storedHeadOf(TRACE_A, item);

    // Assess
    expect(decision).toEqual(BASELINE);
    expect(head).toEqual({
      delivery: FIRST,
      last: FIRST,
      spanCount: 3,
      storedBytes: encodeTraceRequest(spans).length,
    });
  });

  it('keep a refused trace as its summary alone, marked, with the reason', () => {
    // Prepare
    const summary = summaryOf(spans);
    const item = rejectedTraceItem(
      summary,
      FIRST,
      EXPIRES_AT,
      'Item size has exceeded the maximum allowed size',
    );

    // Act
    const stored = storedTraceOf(TRACE_A, [item]);

    // Assess
    expect(stored?.parts).toEqual([]);
    expect(stored?.summary).toEqual({ ...boundSummary(summary), truncated: ['spans'] });
    expect(decodeHead(item.head?.B ?? new Uint8Array()).trace?.rejectedReason).toMatch(/Item size/);
  });

  it('merge a late fragment: new part, trace item re-put with the late batch, summary over all spans', () => {
    // Prepare
    const first = firstWriteItems(summaryOf(spans), spans, FIRST, EXPIRES_AT);
    const stored = storedTraceOf(TRACE_A, first);
    if (!stored) throw new Error('no stored trace');
    const all = [...spans, lateSpan];

    // Act
    const late = lateWriteItems(stored, summaryOf(all), [lateSpan], LATE, encodeTraceRequest(spans).length);
    const merged = storedTraceOf(TRACE_A, [...first.filter((i) => i.part?.S !== 'trace'), ...late]);

    // Assess
    expect(byId(spansOf(merged ?? { parts: [] })).map((s) => s.spanId)).toEqual(
      byId(all).map((s) => s.spanId),
    );
    expect(merged?.summary).toEqual(boundSummary(summaryOf(all)));
    const traceItem = late.find((i) => i.part?.S === 'trace');
    expect(traceItem?.spans).toEqual(first.find((i) => i.part?.S === 'trace')?.spans);
    expect(storedHeadOf(TRACE_A, traceItem as TraceItem)).toMatchObject({
      delivery: FIRST,
      last: LATE,
      spanCount: 4,
    });
  });

  it('fail as corrupt when a resource they name is missing', () => {
    // Prepare
    const items = firstWriteItems(summaryOf(spans), spans, FIRST, EXPIRES_AT).filter(
      (i) => !isResourceItem(i),
    );

    // Act
    const act = () => storedTraceOf(TRACE_A, items);

    // Assess
    expect(act).toThrow(StoredTraceCorruptError);
    expect(act).toThrow(/resource [0-9a-f]{16} is missing/);
  });

  it('fail as corrupt when a head is not one', () => {
    // Prepare
    const items = firstWriteItems(summaryOf(spans), spans, FIRST, EXPIRES_AT).map((item) =>
      isResourceItem(item) ? item : { ...item, head: { B: Uint8Array.from([8, 9]) } },
    );

    // Act
    const act = () => storedTraceOf(TRACE_A, items);

    // Assess
    expect(act).toThrow(StoredTraceCorruptError);
    expect(act).toThrow(/head version 9/);
  });
});

describe('version 1 items', () => {
  it('are read: the summary from their attributes, the spans from their OTLP blob', () => {
    // Prepare
    const summary = summaryOf(spans);

    // Act
    const stored = storedTraceOf(TRACE_A, version1Items(summary, spans));

    // Assess
    expect(byId(spansOf(stored ?? { parts: [] }))).toEqual(
      byId(decodeTraceRequest(encodeTraceRequest(spans))),
    );
    expect(stored?.summary).toEqual({ ...summary, truncated: [], servicesOmitted: 0 });
    expect(stored?.delivery).toEqual(FIRST);
  });

  it('give the decision and the head from their attributes', () => {
    // Prepare
    const [item] = version1Items(summaryOf(spans), spans);

    // Act
    const decision = decisionOfItem(TRACE_A, item as TraceItem);
    const head = storedHeadOf(TRACE_A, {
      ...item,
      late_batch: { S: LATE.tag },
      late_batch_range: { S: LATE.range },
    });

    // Assess
    expect(decision).toEqual(BASELINE);
    expect(head).toEqual({
      delivery: FIRST,
      last: LATE,
      spanCount: 3,
      storedBytes: encodeTraceRequest(spans).length,
    });
  });

  it('take a late fragment: the trace item turns version 2, its OTLP blob kept byte for byte', () => {
    // Prepare
    const old = version1Items(summaryOf(spans), spans);
    const stored = storedTraceOf(TRACE_A, old);
    if (!stored) throw new Error('no stored trace');
    const all = [...spans, lateSpan];

    // Act
    const late = lateWriteItems(stored, summaryOf(all), [lateSpan], LATE, encodeTraceRequest(spans).length);

    // Assess
    const traceItem = late.find((i) => i.part?.S === 'trace') as TraceItem;
    expect(Object.keys(traceItem).sort()).toEqual([
      'codec',
      'expires_at',
      'head',
      'part',
      'span_bytes',
      'spans',
      'trace_id',
    ]);
    expect(traceItem.spans).toEqual(old[0]?.spans);
    const merged = storedTraceOf(TRACE_A, late);
    expect(byId(spansOf(merged ?? { parts: [] })).map((s) => s.spanId)).toEqual(
      byId(all).map((s) => s.spanId),
    );
    expect(merged?.summary).toEqual(boundSummary(summaryOf(all)));
    expect(merged?.delivery).toEqual(FIRST);
  });

  it('fail as corrupt under an unknown codec', () => {
    // Prepare
    const [item] = version1Items(summaryOf(spans), spans);

    // Act
    const act = () => storedTraceOf(TRACE_A, [{ ...item, codec: { S: 'otlp+zstd:d9' } }]);

    // Assess
    expect(act).toThrow(StoredTraceCorruptError);
    expect(act).toThrow(/unknown span blob codec "otlp\+zstd:d9"/);
  });
});

describe('write units', () => {
  it.each<[string, TraceItem, number]>([
    // Sizes by DynamoDB's rules: names and values in UTF-8 bytes; a number takes one byte per two
    // significant digits, plus one; binary its length; a list 3 bytes plus one per element.
    ['a string', { ab: { S: 'xyz' } }, 2 + 3],
    ['a multi-byte string', { a: { S: '\u20ac' } }, 1 + 3],
    ['a number', { n: { N: '12345' } }, 1 + 3 + 1],
    ['a number with leading zeros and a sign', { n: { N: '-0012.5' } }, 1 + 2 + 1],
    ['binary', { b: { B: new Uint8Array(10) } }, 1 + 10],
    ['a list', { l: { L: [{ S: 'a' }, { S: 'bc' }] } }, 1 + 3 + (1 + 1) + (1 + 2)],
    ['a string set', { s: { SS: ['a', 'bc'] } }, 1 + 3],
  ])('counts %s as DynamoDB does', (_case, item, bytes) => {
    // Act
    const size = itemSize(item);

    // Assess
    expect(size).toBe(bytes);
  });

  it.each([
    [1, 1],
    [1024, 1],
    [1025, 2],
    [2048, 2],
    [2049, 3],
  ])('bills an item of %i bytes %i write unit(s)', (bytes, units) => {
    // Prepare: one attribute `b` of bytes - 1 bytes
    const item: TraceItem = { b: { B: new Uint8Array(bytes - 1) } };

    // Act
    const billed = writeUnits(item);

    // Assess
    expect(billed).toBe(units);
  });

  it("writes at least half of the reference workload's kept traces in one write unit", () => {
    // Prepare: the benchmark's workload, every trace kept, under a Kinesis batch's 56-digit range
    const batch = deliveryOf({
      shardId: 'shardId-000000000003',
      firstSequenceNumber: '49659220371849765438295470633934405227394856377402441730',
      lastSequenceNumber: '49659220371849765438295470634069609345983017937648353282',
    });
    const byTrace = workloadTraces({ seed: 42, traces: 400 });

    // Act
    const units = [...byTrace].map(([traceId, traced]) => {
      const summary = summarizeTrace(traceId, traced, BASELINE, FIXTURE_NOW_MS);
      const items = firstWriteItems(summary, traced, batch, EXPIRES_AT).filter((i) => !isResourceItem(i));
      return items.reduce((sum, item) => sum + writeUnits(item), 0);
    });

    // Assess
    expect(units.filter((u) => u === 1).length).toBeGreaterThanOrEqual(units.length / 2);
  });
});
