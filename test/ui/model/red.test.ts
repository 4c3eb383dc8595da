import { describe, expect, it } from 'vitest';
import type { JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';
import { redByOperation } from '../../../ui/src/model/red.ts';
import { jaegerTrace, keptWith, type SpanSpec, samplingTags } from './jaeger-traces.ts';

const TEN_SECONDS = { fromUs: 0, toUs: 10_000_000 };

/** A trace of one `api` span of `operation`, kept with `probability` (its root carries it). */
function keptSpan(
  probability: number,
  durationUs: number,
  more: Partial<SpanSpec> = {},
  operation = 'GET /a',
): JaegerTrace {
  return jaegerTrace([
    { id: 'root', service: 'web', tags: keptWith(probability) },
    { id: 'api', parent: 'root', service: 'api', operation, duration: durationUs, ...more },
  ]);
}

describe('redByOperation', () => {
  it("weighs each span by its trace's adjusted count", () => {
    // Prepare: three slow errors kept with probability 1, one fast success standing for 10.
    // Weights 1, 1, 1, 10: total 13; sorted by duration 100 (10), 500 (1, 1, 1). p50: 6.5 is
    // reached at 100; p99: 12.87 at 500. Counted as kept, p50 would be 500 and errors 3 / 4.
    const traces = [
      keptSpan(1, 500, { error: true }),
      keptSpan(0.1, 100),
      keptSpan(1, 500, { error: true }),
      keptSpan(1, 500, { error: true }),
    ];
    // Act
    const red = redByOperation(traces, 'api', TEN_SECONDS);
    // Assess
    expect(red).toEqual([
      {
        operation: 'GET /a',
        sampleSpans: 4,
        sampleTraces: 4,
        estimatedRequests: 13,
        ratePerSecond: 1.3,
        errorRate: 3 / 13,
        p50Us: 100,
        p99Us: 500,
      },
    ]);
  });

  it.each([
    {
      case: 'all weights 1: nearest rank, the ⌈q·n⌉-th smallest',
      spans: Array.from({ length: 100 }, (_, i) => [1, 100 - i] as const),
      p50: 50,
      p99: 99,
    },
    { case: 'one span', spans: [[0.25, 42]] as const, p50: 42, p99: 42 },
    {
      // Weights 4, 1, 5 over 10, 20, 30: cumulative 4, 5, 10; p50 target 5 reached at 20.
      case: 'the target reached exactly at a boundary',
      spans: [
        [0.2, 30],
        [0.25, 10],
        [1, 20],
      ] as const,
      p50: 20,
      p99: 30,
    },
    {
      // Weights 2, 2, 1 over 10, 10, 20: cumulative 4 at 10 ≥ 2.5; 4.95 reached at 20.
      case: 'ties in duration',
      spans: [
        [0.5, 10],
        [1, 20],
        [0.5, 10],
      ] as const,
      p50: 10,
      p99: 20,
    },
    {
      // Weights 1/0.1, 1/0.1, 1/0.7 at 900, then again at 100: exactly half the weight lasts 100,
      // but the float sum in trace order exceeds twice the sum of the short half.
      case: 'an exact half that float sums round apart',
      spans: [
        [0.1, 900],
        [0.1, 900],
        [0.7, 900],
        [0.1, 100],
        [0.1, 100],
        [0.7, 100],
      ] as const,
      p50: 100,
      p99: 900,
    },
  ])('weighted quantiles: $case', ({ spans, p50, p99 }) => {
    // Prepare
    const traces = spans.map(([probability, duration]) => keptSpan(probability, duration));
    // Act
    const [red] = redByOperation(traces, 'api', TEN_SECONDS);
    // Assess
    expect(red).toMatchObject({ p50Us: p50, p99Us: p99, sampleSpans: spans.length });
  });

  it('counts a trace once per operation, however many of its spans it has', () => {
    // Prepare
    const trace = jaegerTrace([
      { id: 'root', service: 'api', operation: 'GET /a', duration: 100, tags: keptWith(0.5) },
      { id: 'x', parent: 'root', service: 'api', operation: 'query', duration: 10 },
      { id: 'y', parent: 'root', service: 'api', operation: 'query', duration: 30, error: true },
      { id: 'y', parent: 'root', service: 'api', operation: 'query', duration: 99 },
      { id: 'z', parent: 'root', service: 'db', operation: 'query', duration: 20 },
    ]);
    // Act
    const red = redByOperation([trace, keptSpan(1, 40, {}, 'query')], 'api', TEN_SECONDS);
    // Assess: query has weights 2, 2 (one trace) and 1 (another); GET /a has 2.
    expect(red).toEqual([
      expect.objectContaining({ operation: 'query', sampleSpans: 3, sampleTraces: 2, estimatedRequests: 5 }),
      expect.objectContaining({ operation: 'GET /a', sampleSpans: 1, sampleTraces: 1, estimatedRequests: 2 }),
    ]);
    expect(red[0]).toMatchObject({ errorRate: 2 / 5, p50Us: 30, p99Us: 40 });
  });

  it('orders operations by estimated requests, then name', () => {
    // Prepare
    const traces = [
      keptSpan(1, 10, {}, 'b'),
      keptSpan(0.5, 10, {}, 'c'),
      keptSpan(1, 10, {}, 'a'),
      keptSpan(1, 10, {}, 'b'),
    ];
    // Act
    const red = redByOperation(traces, 'api', TEN_SECONDS);
    // Assess
    expect(red.map((op) => [op.operation, op.estimatedRequests])).toEqual([
      ['b', 2],
      ['c', 2],
      ['a', 1],
    ]);
  });

  it.each([
    { case: 'an empty window', window: { fromUs: 5, toUs: 5 } },
    { case: 'a reversed window', window: { fromUs: 10, toUs: 5 } },
    { case: 'a NaN window', window: { fromUs: Number.NaN, toUs: 5 } },
    { case: 'an infinite window', window: { fromUs: 0, toUs: Number.POSITIVE_INFINITY } },
  ])('gives a rate of 0 over $case', ({ window }) => {
    // Prepare
    const traces = [keptSpan(0.5, 10)];
    // Act
    const [red] = redByOperation(traces, 'api', window);
    // Assess
    expect(red).toMatchObject({ ratePerSecond: 0, estimatedRequests: 2 });
  });

  it.each([
    { case: 'no traces', traces: [] },
    { case: 'no span of the service', traces: [keptSpan(1, 10, { service: 'other' })] },
    { case: 'a trace without spans', traces: [jaegerTrace([])] },
  ])('has no operations for $case', ({ traces }) => {
    // Act
    const red = redByOperation(traces, 'api', TEN_SECONDS);
    // Assess
    expect(red).toEqual([]);
  });

  it('weighs a trace with an unreadable decision as 1 and a bad duration as 0', () => {
    // Prepare
    const hostile = jaegerTrace([
      {
        id: 'root',
        service: 'api',
        operation: 'op',
        tags: samplingTags({ probability: 'NaN', adjustedCount: 'many' }),
        raw: { duration: 'long' },
      },
    ]);
    // Act
    const [red] = redByOperation([hostile], 'api', TEN_SECONDS);
    // Assess
    expect(red).toMatchObject({ estimatedRequests: 1, p50Us: 0, p99Us: 0, errorRate: 0 });
  });
});
