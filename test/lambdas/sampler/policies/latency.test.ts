import { describe, expect, it } from 'vitest';
import {
  LATENCY_POLICY,
  latencyPolicy,
  staticThresholdFor,
} from '../../../../lambdas/sampler/policies/latency.ts';
import { contextOf, spanOf, traceOf, viewOfTrace } from '../../../support/sampler.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const view = (durationMs: number, service = 'checkout', name = 'POST /checkout') =>
  viewOfTrace(traceOf(TRACE, { durationMs, service, name }));

/** A context whose sketch for checkout "POST /checkout" holds 1..n ms, one each. */
function warmContext(n: number) {
  const context = contextOf();
  for (let i = 1; i <= n; i++) context.state.sketches.record('checkout', 'POST /checkout', i, 0);
  return context;
}

describe('latencyPolicy: static thresholds', () => {
  const policy = latencyPolicy({
    percentile: 99,
    minSamples: 100,
    minLiveThresholdMs: 0,
    thresholds: [
      { service: 'checkout', operation: 'POST /checkout', thresholdMs: 500 },
      { service: 'checkout', thresholdMs: 2_000 },
      { thresholdMs: 10_000 },
    ],
  });

  it.each([
    ['above its operation threshold', 501, 'checkout', 'POST /checkout', true],
    ['equal to its operation threshold', 500, 'checkout', 'POST /checkout', false],
    ['below its operation threshold', 499, 'checkout', 'POST /checkout', false],
    ['another operation, below the service threshold', 1_500, 'checkout', 'GET /cart', false],
    ['another operation, above the service threshold', 2_001, 'checkout', 'GET /cart', true],
    ['another service, equal to the catch-all', 10_000, 'search', 'GET /q', false],
    ['another service, above the catch-all', 10_001, 'search', 'GET /q', true],
  ])('a root %s (%s ms)', (_name, durationMs, service, name, keep) => {
    const [verdict] = policy.decide([view(durationMs, service, name)], contextOf());
    expect(verdict?.keep).toBe(keep ? true : undefined);
    if (keep) expect(verdict?.reason).toMatch(/> static threshold/);
  });

  it('uses the first matching threshold in list order', () => {
    expect(
      staticThresholdFor({ service: 'checkout', operation: 'POST /checkout' }, [
        { thresholdMs: 1 },
        { service: 'checkout', thresholdMs: 2 },
      ])?.thresholdMs,
    ).toBe(1);
  });
});

describe('latencyPolicy: live percentile', () => {
  const policy = latencyPolicy({ percentile: 99, minSamples: 100, minLiveThresholdMs: 0, thresholds: [] });

  it('keeps roots slower than the live p99 and passes the others on', () => {
    // Prepare: 1..1000 ms, so p99 is about 990 ms (within the sketch's 1 % accuracy)
    const context = warmContext(1_000);
    const p99 = context.state.sketches.quantile('checkout', 'POST /checkout', 0.99)?.valueMs as number;

    // Act
    const verdicts = policy.decide([view(p99 + 0.001), view(p99), view(p99 - 0.001), view(5_000)], context);

    // Assess: strictly greater than the percentile keeps; equal does not
    expect(p99).toBeGreaterThan(980);
    expect(p99).toBeLessThan(1_000);
    expect(verdicts.map((v) => v?.keep)).toEqual([true, undefined, undefined, true]);
    expect(verdicts[0]).toMatchObject({ policy: LATENCY_POLICY, threshold: undefined });
    expect(verdicts[0]?.reason).toMatch(/> live p99 .* of 1000 traces \(checkout "POST \/checkout"\)/);
  });

  it.each([
    ['fewer samples than minSamples', 99, undefined],
    ['exactly minSamples', 100, true],
  ])('with %s, the live threshold %s', (_name, samples, keep) => {
    const [verdict] = policy.decide([view(10_000)], warmContext(samples));
    expect(verdict?.keep).toBe(keep);
  });

  it('ignores a live percentile below minLiveThresholdMs', () => {
    const floor = latencyPolicy({
      percentile: 99,
      minSamples: 100,
      minLiveThresholdMs: 2_000,
      thresholds: [],
    });
    expect(floor.decide([view(1_500)], warmContext(1_000))[0]).toBeUndefined();
  });

  it('uses the configured percentile', () => {
    const p50 = latencyPolicy({ percentile: 50, minSamples: 100, minLiveThresholdMs: 0, thresholds: [] });
    const [kept, passed] = p50.decide([view(600), view(400)], warmContext(1_000));
    expect(kept?.reason).toMatch(/live p50/);
    expect(passed).toBeUndefined();
  });

  it('passes on traces without a root, and keys without a sketch', () => {
    // Prepare: a lone child span (no root)
    const child = spanOf({
      traceId: TRACE,
      spanId: '1111111111111111',
      parentSpanId: '2222222222222222',
      durationMs: 1e6,
    });
    const context = warmContext(1_000);

    // Act
    const verdicts = policy.decide([viewOfTrace([child]), view(1e6, 'search', 'GET /q')], context);

    // Assess
    expect(verdicts).toEqual([undefined, undefined]);
  });
});

describe('latencyPolicy: the batch counts toward its own live percentile', () => {
  const policy = latencyPolicy({ percentile: 99, minSamples: 100, minLiveThresholdMs: 0, thresholds: [] });

  /** A cold context whose batch tally holds `fast` roots of 10 ms and the given slow ones. */
  function coldBatch(fast: number, slowMs: readonly number[]) {
    const context = contextOf();
    for (let i = 0; i < fast; i++)
      context.tally.latencies.push({ service: 'checkout', operation: 'POST /checkout', durationMs: 10 });
    for (const durationMs of slowMs)
      context.tally.latencies.push({ service: 'checkout', operation: 'POST /checkout', durationMs });
    return context;
  }

  it.each([
    ['a burst of 999 fast and 1 slow root after a cold start: the slow one is kept', 999, true],
    ['98 fast and 1 slow: below minSamples (100), nothing is judged', 98, false],
    ['99 fast and 1 slow: exactly minSamples, the slow one is kept', 99, true],
  ])('%s', (_name, fast, kept) => {
    // Prepare: no committed sketch at all
    const context = coldBatch(fast, [500]);
    // Act
    const [slowVerdict, fastVerdict] = policy.decide([view(500), view(10)], context);
    // Assess
    expect(slowVerdict?.keep).toBe(kept ? true : undefined);
    expect(fastVerdict).toBeUndefined();
    expect(context.state.sketches.size).toBe(0);
  });
});
