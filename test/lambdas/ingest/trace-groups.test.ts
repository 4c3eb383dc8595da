/** Grouping a request's spans by trace id, and metering each trace, against plain reference versions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupDecodedSpans,
  groupScannedSpans,
  meterScannedTraces,
} from '../../../lambdas/ingest/trace-groups.ts';
import { admitTraces, TraceRateLimiter } from '../../../lambdas/ingest/trace-rate.ts';
import type { ScannedRequest } from '../../../lambdas/shared/otlp/index.ts';
import { traceHashKey } from '../../../lambdas/shared/routing/index.ts';

/**
 * A scanned request as plain data: each span is a 16-byte trace id and `padding` bytes of body,
 * so that the span sizes differ (metering sums them).
 */
function scannedRequest(ids: readonly Uint8Array[], padding: readonly number[] = []): ScannedRequest {
  const bytes = new Uint8Array(ids.reduce((n, _, i) => n + 17 + (padding[i] ?? 0), 1));
  let at = 1; // no span at offset 0
  const spans = ids.map((id, i) => {
    bytes.set(id, at);
    const span = { start: at, end: at + 16 + (padding[i] ?? 0), traceIdAt: at, group: 0 };
    at = span.end + 1;
    return span;
  });
  return { bytes, spans, groups: [], rejected: new Map(), needsRewrite: false };
}

/** The reference grouping: a Map keyed by the id's hex, traces numbered by their first span. */
function referenceGroups(ids: readonly Uint8Array[]) {
  const traces = new Map<string, number>();
  const traceOfSpan = ids.map((id) => {
    const hex = Buffer.from(id).toString('hex');
    if (!traces.has(hex)) traces.set(hex, traces.size);
    return traces.get(hex) as number;
  });
  return {
    count: traces.size,
    traceOfSpan,
    hashKeys: [...traces.keys()].map((hex) => traceHashKey(Buffer.from(hex, 'hex'))),
  };
}

function groupedAsPlainData(groups: { count: number; traceOfSpan: Int32Array; hashWords: Uint32Array }) {
  const hashKeys = Array.from({ length: groups.count }, (_, t) =>
    [0, 1, 2, 3].reduce((key, w) => (key << 32n) | BigInt(groups.hashWords[4 * t + w] as number), 0n),
  );
  return { count: groups.count, traceOfSpan: [...groups.traceOfSpan], hashKeys };
}

/** Trace ids: random, or a base id with one byte changed (ids that differ as little as ids can). */
const idPool = fc
  .tuple(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.array(fc.tuple(fc.nat(15), fc.nat(255)), { maxLength: 6 }),
  )
  .map(([base, variants]) => [
    base,
    ...variants.map(([at, value]) => {
      const id = base.slice();
      id[at] = value;
      return id;
    }),
  ]);
const spanIds = idPool.chain((pool) => fc.array(fc.constantFrom(...pool), { maxLength: 300 }));

describe('groupScannedSpans', () => {
  const same = new Uint8Array(16).fill(7);
  const zeroes = new Uint8Array(16);
  const lastByte = (value: number) => Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? value : 0));
  it.each([
    ['no spans', []],
    ['one span', [same]],
    ['every span of one trace', Array.from({ length: 40 }, () => same)],
    [
      'ids differing in the last byte only, interleaved',
      [lastByte(1), lastByte(2), lastByte(1), zeroes, lastByte(2)],
    ],
    ['more traces than the smallest table holds', Array.from({ length: 100 }, (_, i) => lastByte(i))],
  ])('groups %s as the reference does', (_, ids) => {
    expect(groupedAsPlainData(groupScannedSpans(scannedRequest(ids)))).toEqual(referenceGroups(ids));
  });

  it('groups any ids as the reference does (property)', () => {
    fc.assert(
      fc.property(spanIds, (ids) => {
        const groups = groupScannedSpans(scannedRequest(ids));
        expect(groupedAsPlainData(groups)).toEqual(referenceGroups(ids));
        // Each trace's id offset is its first span's.
        for (let t = 0; t < groups.count; t++)
          expect(groups.idAt[t]).toBe(scannedRequest(ids).spans[groups.traceOfSpan.indexOf(t)]?.traceIdAt);
      }),
      { numRuns: 500, seed: 181 },
    );
  });
});

describe('groupDecodedSpans', () => {
  it('groups hex trace ids as the reference does (property)', () => {
    fc.assert(
      fc.property(spanIds, (ids) => {
        const spans = ids.map((id) => ({ traceId: Buffer.from(id).toString('hex') }));
        expect(groupedAsPlainData(groupDecodedSpans(spans))).toEqual(referenceGroups(ids));
      }),
      { numRuns: 300, seed: 182 },
    );
  });
});

describe('meterScannedTraces', () => {
  const limits = { bytesPerSecond: 1_000, burstBytes: 2_000, maxTraces: 1_000 };

  it('refuses the traces admitTraces refuses, by the bytes of their spans (property)', () => {
    fc.assert(
      fc.property(
        spanIds.chain((ids) =>
          fc.tuple(fc.constant(ids), fc.array(fc.nat(600), { minLength: ids.length, maxLength: ids.length })),
        ),
        ([ids, padding]) => {
          // Prepare: the same request and limits on both sides
          const scan = scannedRequest(ids, padding);
          const reference = admitTraces(
            scan.spans,
            (span) =>
              Buffer.from(scan.bytes.subarray(span.traceIdAt, span.traceIdAt + 16)).toString('latin1'),
            (spans) => spans.reduce((n, span) => n + span.end - span.start, 0),
            new TraceRateLimiter(limits, () => 0),
          );

          // Act
          const { groups, refusedSpans } = meterScannedTraces(
            scan,
            groupScannedSpans(scan),
            new TraceRateLimiter(limits, () => 0),
          );

          // Assess
          expect(refusedSpans).toBe(reference.refused);
          const admitted = scan.spans.filter((_, s) => !groups.refused?.[groups.traceOfSpan[s] as number]);
          expect(admitted).toEqual(reference.admitted);
          if (refusedSpans === 0) expect(groups.refused).toBeUndefined();
        },
      ),
      { numRuns: 300, seed: 183 },
    );
  });

  it.each([
    ['spans of the burst exactly', 2_000 - 32, 0],
    ['one byte over the burst', 2_000 - 31, 2],
  ])('meters a trace by the bytes of all its spans: %s', (_, padding, refused) => {
    // Prepare: one trace of two spans of 16 id bytes each, plus padding
    const id = new Uint8Array(16).fill(3);
    const scan = scannedRequest([id, id], [padding, 0]);

    // Act
    const { refusedSpans } = meterScannedTraces(
      scan,
      groupScannedSpans(scan),
      new TraceRateLimiter(limits, () => 0),
    );

    // Assess
    expect(refusedSpans).toBe(refused);
  });

  it('meters nothing with a disabled limiter', () => {
    const id = new Uint8Array(16).fill(1);
    const scan = scannedRequest([id, id], [5_000, 5_000]);
    const limiter = new TraceRateLimiter({ ...limits, bytesPerSecond: 0 }, () => 0);
    const { groups, refusedSpans } = meterScannedTraces(scan, groupScannedSpans(scan), limiter);
    expect([refusedSpans, groups.refused]).toEqual([0, undefined]);
  });
});
