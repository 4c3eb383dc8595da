/** The per-trace token bucket: burst, refill, refusal without taking, bounded memory. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitTraces, estimatedSpanBytes, TraceRateLimiter } from '../../../lambdas/ingest/trace-rate.ts';
import { decodeTraceRequest, encodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { generateWorkload } from '../../../workload/workload.ts';

const limits = { bytesPerSecond: 1_000, burstBytes: 4_000, maxTraces: 1_000 };

describe('TraceRateLimiter', () => {
  it.each([
    ['the whole burst at once', [[0, 4_000, true]]],
    ['one byte more than the burst', [[0, 4_001, false]]],
    [
      'a refusal takes nothing',
      [
        [0, 5_000, false],
        [0, 4_000, true],
      ],
    ],
    [
      'refills at the rate',
      [
        [0, 4_000, true],
        [0, 1, false],
        [500, 500, true],
        [500, 1, false],
      ],
    ],
    [
      'never above the burst',
      [
        [0, 4_000, true],
        [60_000, 4_001, false],
        [60_000, 4_000, true],
      ],
    ],
  ] as const)('%s', (_, steps) => {
    // Prepare
    let clock = 0;
    const limiter = new TraceRateLimiter(limits, () => clock);

    // Act / Assess, step by step: [ms since the start, bytes, admitted]
    for (const [at, bytes, admitted] of steps) {
      clock = at;
      expect(limiter.admit('t', bytes), `${bytes} bytes at ${at} ms`).toBe(admitted);
    }
  });

  it('keeps traces apart', () => {
    const limiter = new TraceRateLimiter(limits, () => 0);
    expect([limiter.admit('a', 4_000), limiter.admit('b', 4_000), limiter.admit('a', 1)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('admits everything at a rate of 0', () => {
    const limiter = new TraceRateLimiter({ ...limits, bytesPerSecond: 0 }, () => 0);
    expect(limiter.admit('t', 10 ** 12)).toBe(true);
  });

  it('forgets the least recently seen trace beyond maxTraces (a new bucket starts full)', () => {
    // Prepare: 'a' spent; then 1,000 other traces seen after it
    const limiter = new TraceRateLimiter(limits, () => 0);
    limiter.admit('a', 4_000);
    limiter.admit('keep', 4_000);
    for (let i = 0; i < 999; i++) limiter.admit(`t${i}`, 1);
    limiter.admit('keep', 0);

    // Act / Assess: 'a' was evicted, 'keep' (seen again) was not
    expect(limiter.admit('a', 4_000)).toBe(true);
    expect(limiter.admit('keep', 1)).toBe(false);
  });
});

/**
 * The limiter's rules in their plainest form, for comparison: one bucket per trace in a Map whose
 * order is the order traces were last seen, the first evicted beyond maxTraces.
 */
function referenceLimiter(limits: { bytesPerSecond: number; burstBytes: number; maxTraces: number }) {
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  return (traceKey: string, bytes: number, nowMs: number): boolean => {
    const bucket = buckets.get(traceKey) ?? { tokens: limits.burstBytes, updatedMs: nowMs };
    bucket.tokens = Math.min(
      limits.burstBytes,
      bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * limits.bytesPerSecond,
    );
    bucket.updatedMs = nowMs;
    buckets.delete(traceKey);
    buckets.set(traceKey, bucket);
    if (buckets.size > limits.maxTraces) buckets.delete(buckets.keys().next().value as string);
    if (bucket.tokens < bytes) return false;
    bucket.tokens -= bytes;
    return true;
  };
}

describe('TraceRateLimiter recency', () => {
  it('forgets the least recently seen trace after the newest one is seen again', () => {
    // Prepare: room for two traces, no refill
    const limiter = new TraceRateLimiter({ ...limits, maxTraces: 2 }, () => 0);
    const steps: Array<[string, number, boolean]> = [
      ['a', 4_000, true],
      ['b', 4_000, true],
      ['b', 0, true], // b seen again while the most recent
      ['c', 4_000, true], // a forgotten
      ['b', 0, true],
      ['d', 1, true], // c forgotten: b was seen after it
      ['c', 4_000, true], // a new, full bucket; b forgotten
      ['b', 4_000, true], // a new, full bucket; d forgotten
      ['c', 1, false], // still known, and spent
    ];

    // Act / Assess
    for (const [trace, bytes, admitted] of steps)
      expect(limiter.admit(trace, bytes), `${trace} ${bytes}`).toBe(admitted);
  });
});

describe('TraceRateLimiter against the reference rules (property)', () => {
  it('admits, refuses and forgets as the reference does, whatever the order of traces', () => {
    const step = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(4_000), fc.nat(500));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 200 }), (maxTraces, steps) => {
        // Prepare
        const own = { ...limits, maxTraces };
        let clock = 0;
        const limiter = new TraceRateLimiter(own, () => clock);
        const reference = referenceLimiter(own);

        // Act / Assess, step by step: [trace, bytes, ms elapsed]
        for (const [trace, bytes, elapsed] of steps) {
          clock += elapsed;
          expect(limiter.admit(trace, bytes)).toBe(reference(trace, bytes, clock));
        }
      }),
      { numRuns: 1000, seed: 184 },
    );
  });
});

describe('admitTraces', () => {
  it("refuses a trace's spans together, keeps the others in request order", () => {
    // Prepare: trace x (3 spans of 2,000 bytes) is over the 4,000-byte burst, y is not
    const limiter = new TraceRateLimiter(limits, () => 0);
    const spans = [
      { trace: 'x', bytes: 2_000, id: 1 },
      { trace: 'y', bytes: 100, id: 2 },
      { trace: 'x', bytes: 2_000, id: 3 },
      { trace: 'y', bytes: 100, id: 4 },
      { trace: 'x', bytes: 2_000, id: 5 },
    ];

    // Act
    const { admitted, refused } = admitTraces(
      spans,
      (s) => s.trace,
      (group) => group.reduce((n, s) => n + s.bytes, 0),
      limiter,
    );

    // Assess
    expect(admitted.map((s) => s.id)).toEqual([2, 4]);
    expect(refused).toBe(3);
  });
});

describe('estimatedSpanBytes', () => {
  it('stays within a factor of two of the protobuf size, trace by trace, over the reference workload', () => {
    // Prepare: the spans of a seeded workload, grouped by trace
    const spans = generateWorkload({ traces: 200, seed: 9, batchSize: 50, bigTraceRate: 0 }).requests.flatMap(
      (r) => decodeTraceRequest(r.protobuf),
    );
    const byTrace = Map.groupBy(spans, (span) => span.traceId);

    // Act / Assess
    for (const [traceId, trace] of byTrace) {
      const ratio =
        trace.reduce((n, span) => n + estimatedSpanBytes(span), 0) / encodeTraceRequest(trace).length;
      expect(ratio, traceId).toBeGreaterThan(0.5);
      expect(ratio, traceId).toBeLessThan(2);
    }
  });

  it('a disabled limiter admits without measuring', () => {
    let measured = 0;
    const limiter = new TraceRateLimiter({ ...limits, bytesPerSecond: 0 }, () => 0);
    const { admitted } = admitTraces([1, 2], String, () => measured++, limiter);
    expect([admitted.length, measured]).toEqual([2, 0]);
  });
});
