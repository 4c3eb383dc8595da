import { describe, expect, it } from 'vitest';
import { BASELINE_POLICY, baselinePolicy } from '../../../../lambdas/sampler/policies/baseline.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import { contextOf, spanOf, traceIds, traceOf, viewsOf } from '../../../support/sampler.ts';

describe('baselinePolicy', () => {
  const views = viewsOf(traceIds(10_000, 11).flatMap((id) => traceOf(id, { children: 0 })));

  it.each([0.5, 0.1, 0.01])(
    'keeps exactly the traces whose randomness passes T(%s), near the target rate',
    (p) => {
      // Prepare
      const threshold = thresholdOfProbability(p);

      // Act
      const verdicts = baselinePolicy(p, p).decide(views, contextOf());

      // Assess: every trace is decided (keep or drop), with the baseline's threshold
      expect(verdicts.map((v) => v?.keep)).toEqual(
        views.map((view) => threshold !== undefined && passes(view.randomness, threshold)),
      );
      expect(new Set(verdicts.map((v) => v?.threshold))).toEqual(new Set([threshold]));
      expect(new Set(verdicts.map((v) => v?.policy))).toEqual(new Set([BASELINE_POLICY]));
      const rate = verdicts.filter((v) => v?.keep).length / views.length;
      // Binomial: 4 standard deviations around p.
      const sd = Math.sqrt((p * (1 - p)) / views.length);
      expect(Math.abs(rate - p)).toBeLessThan(4 * sd);
    },
  );

  it('drops everything at probability 0, with no threshold', () => {
    const [verdict] = baselinePolicy(0, 0).decide(viewsOf(traceOf(traceIds(1)[0] as string)), contextOf());
    expect(verdict).toEqual({
      keep: false,
      policy: BASELINE_POLICY,
      threshold: undefined,
      reason: 'baseline probability is 0',
    });
  });

  it('samples traces without their root at the smaller rootless probability', () => {
    // Prepare: lone child spans (their root never arrived)
    const views = viewsOf(
      traceIds(2_000, 12).map((id) =>
        spanOf({ traceId: id, spanId: '1111111111111111', parentSpanId: '2222222222222222' }),
      ),
    );

    // Act
    const verdicts = baselinePolicy(0.5, 0.01).decide(views, contextOf());

    // Assess
    expect(new Set(verdicts.map((v) => v?.threshold?.th))).toEqual(new Set(['fd70a']));
    expect(verdicts[0]?.reason).toMatch(/root never arrived/);
  });

  it.each([
    ['ffffffffffffff', true],
    ['00000000000000', false],
  ])('takes randomness from an explicit ot=rv:%s when the trace carries one', (rv, keep) => {
    // Prepare: the same trace ids, with explicit randomness in the root's tracestate
    const withRv = viewsOf(
      traceIds(20, 14).flatMap((id) => traceOf(id, { children: 0, root: { traceState: `ot=rv:${rv}` } })),
    );

    // Act
    const verdicts = baselinePolicy(0.5, 0.5).decide(withRv, contextOf());

    // Assess: the trace ids no longer matter
    expect(new Set(verdicts.map((v) => v?.keep))).toEqual(new Set([keep]));
  });

  it('is consistent: a trace kept at p is kept at every larger p', () => {
    const at = (p: number) =>
      baselinePolicy(p, p)
        .decide(views, contextOf())
        .map((v) => v?.keep);
    const small = at(0.05);
    const large = at(0.2);
    expect(small.filter((keep, i) => keep && !large[i])).toEqual([]);
    expect(small.filter(Boolean).length).toBeGreaterThan(0);
  });
});
