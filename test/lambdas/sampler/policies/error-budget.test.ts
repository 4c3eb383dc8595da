import { describe, expect, it } from 'vitest';
import { errorBudget, errorRateKey } from '../../../../lambdas/sampler/policies/error-budget.ts';
import {
  ERRORS_POLICY,
  erringService,
  errorPolicy,
} from '../../../../lambdas/sampler/policies/error-spans.ts';
import { policyFromConfig } from '../../../../lambdas/sampler/policies/factory.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import { commitTally, newSamplerState } from '../../../../lambdas/sampler/state/sampler-state.ts';
import type { TraceView } from '../../../../lambdas/sampler/trace-view.ts';
import {
  type ErrorBudgetConfig,
  errorBudgetSchema,
  parseConfig,
} from '../../../../lambdas/shared/config/index.ts';
import { StatusCode } from '../../../../lambdas/shared/span/model.ts';
import { contextOf, traceIds, traceOf, viewsOf } from '../../../support/sampler.ts';

const OPTIONS = { httpServerErrors: true, exceptionEvents: true };

function budgetOf(input: Record<string, unknown>): ErrorBudgetConfig {
  return errorBudgetSchema.parse(input);
}

function policyOf(input: Record<string, unknown>) {
  return errorBudget(errorPolicy(OPTIONS), budgetOf(input), (trace) => erringService(trace, OPTIONS));
}

/** `count` traces of `service` whose root has status ERROR (or OK), ids deterministic per seed. */
function traces(
  count: number,
  seed: number,
  service = 'checkout',
  status: StatusCode = StatusCode.ERROR,
): TraceView[] {
  return viewsOf(
    traceIds(count, seed).flatMap((id) => traceOf(id, { service, children: 0, root: { status } })),
  );
}

describe('errorBudget', () => {
  // A batch covering 10 s on the whole stream: n error traces arrive at n / 10 per second.
  it.each([
    { name: 'below the budget', count: 99, probability: 1 },
    { name: 'at the budget', count: 100, probability: 1 },
    { name: 'just above the budget', count: 101, probability: 100 / 101 },
    { name: 'four times the budget', count: 400, probability: 0.25 },
  ])('keeps error traces $name with probability budget / rate', ({ count, probability }) => {
    // Prepare
    const batch = traces(count, count);

    // Act
    const verdicts = policyOf({ tracesPerSecond: 10 }).decide(batch, contextOf({ coveredMs: 10_000 }));

    // Assess: every verdict is the errors policy's; below 1, exactly R >= T is kept and T recorded
    const threshold = probability < 1 ? thresholdOfProbability(probability) : undefined;
    batch.forEach((view, i) => {
      const verdict = verdicts[i];
      expect(verdict?.policy).toBe(ERRORS_POLICY);
      expect(verdict?.threshold).toEqual(threshold);
      expect(verdict?.keep).toBe(threshold === undefined || passes(view.randomness, threshold));
    });
  });

  it.each([
    { name: 'a quarter of the stream', streamShare: 0.25, local: 100, probability: 0.25 },
    { name: 'the whole stream', streamShare: 1, local: 100, probability: 1 },
  ])("scales the budget to the shard's share: $name", ({ streamShare, local, probability }) => {
    // Prepare: 100 local error traces in 10 s are 10/s locally, 10 / share per second on the stream
    const batch = traces(local, 7);

    // Act
    const [verdict] = policyOf({ tracesPerSecond: 10 }).decide(
      batch,
      contextOf({ coveredMs: 10_000, streamShare }),
    );

    // Assess
    expect(verdict?.threshold?.probability ?? 1).toBeCloseTo(probability, 3);
  });

  it('never samples below minProbability', () => {
    // Prepare: 1,000 in 10 s = 100/s against 1/s wants p 0.01
    const batch = traces(1_000, 8);

    // Act
    const [verdict] = policyOf({ tracesPerSecond: 1, minProbability: 0.05 }).decide(batch, contextOf());

    // Assess
    expect(verdict?.threshold?.probability).toBeCloseTo(0.05, 3);
  });

  it('gives honest adjusted counts: the kept traces weighted 1/p add up to the error traces sent', () => {
    // Prepare: 4,000 error traces at 400/s against 10/s -> p 0.025
    const batch = traces(4_000, 9);

    // Act
    const verdicts = policyOf({ tracesPerSecond: 10 }).decide(batch, contextOf());

    // Assess: the estimate is within 4 binomial standard deviations (about 25%) of the truth
    const kept = verdicts.filter((v) => v?.keep);
    const estimate = kept.reduce((sum, v) => sum + 1 / (v?.threshold?.probability ?? 1), 0);
    expect(kept.length).toBeGreaterThan(0);
    expect(Math.abs(estimate - 4_000)).toBeLessThan(1_000);
    // Every error trace is answered by the errors policy, kept or dropped: metrics count them all.
    expect(verdicts.every((v) => v?.policy === ERRORS_POLICY)).toBe(true);
  });

  it('budgets each service apart, with overrides, and none for a service whose budget is 0', () => {
    // Prepare: 400 error traces of each service in 10 s (40/s)
    const batch = [...traces(400, 10, 'checkout'), ...traces(400, 11, 'search'), ...traces(400, 12, 'cart')];
    const policy = policyOf({ tracesPerSecond: 10, overrides: { search: 20, cart: 0 } });

    // Act
    const verdicts = policy.decide(batch, contextOf());

    // Assess
    expect(verdicts[0]?.threshold?.probability).toBeCloseTo(0.25, 3);
    expect(verdicts[400]?.threshold?.probability).toBeCloseTo(0.5, 3);
    expect(verdicts.slice(800).every((v) => v?.keep && v.threshold === undefined)).toBe(true);
  });

  it('passes on traces without errors, and counts the error traces over the batch time', () => {
    // Prepare
    const batch = [...traces(5, 13, 'checkout', StatusCode.OK), ...traces(3, 14, 'checkout')];
    const context = contextOf({ coveredMs: 10_000 });

    // Act
    const verdicts = policyOf({}).decide(batch, context);

    // Assess
    expect(verdicts.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(context.tally.budget).toEqual({
      counts: new Map([[errorRateKey('checkout'), 3]]),
      coveredMs: 10_000,
    });
  });

  it('observes nothing from a batch without error traces, as the throughput budget without candidates', () => {
    // Prepare
    const context = contextOf({ coveredMs: 10_000 });

    // Act
    policyOf({}).decide(traces(2, 15, 'checkout', StatusCode.OK), context);

    // Assess
    expect(context.tally.budget).toBeUndefined();
  });

  it("samples a small batch by the service's committed rate", () => {
    // Prepare: earlier batches brought 1,000 error traces in 10 s (100/s)
    const context = contextOf({ coveredMs: 10_000 });
    commitTally(
      context.state,
      { latencies: [], budget: { counts: new Map([[errorRateKey('checkout'), 1_000]]), coveredMs: 10_000 } },
      0,
    );

    // Act: 10 more in the next 10 s
    const [verdict] = policyOf({ tracesPerSecond: 10 }).decide(traces(10, 16), context);

    // Assess: the rate is the decayed sums' ratio (60 s smoothing): (1000 d + 10) / (10 s d + 10 s)
    const d = Math.exp(-10 / 60);
    const rate = (1_000 * d + 10) / (10 * d + 10);
    expect(verdict?.threshold?.probability).toBeCloseTo(10 / rate, 3);
    expect(rate).toBeGreaterThan(10);
  });

  it('keeps every error trace of a service the rates cannot track (key limit reached)', () => {
    // Prepare: the rates track one key, taken by another service
    const config = parseConfig({ sampling: { budget: { tracesPerSecond: 1, maxKeys: 1 } } }).sampling;
    const state = newSamplerState(config, 0, 1);
    state.rates.observe(new Map([['other', 1]]), 1_000);
    const batch = traces(400, 17);

    // Act
    const verdicts = policyOf({ tracesPerSecond: 1 }).decide(batch, contextOf({ state }));

    // Assess
    expect(verdicts.every((v) => v?.keep && v.threshold === undefined)).toBe(true);
  });

  it('is in the default chain, its arrivals tallied beside the throughput budget', () => {
    // Prepare: 4,000 error traces of checkout, 100 good traces of search, in 10 s
    const config = parseConfig({ sampling: { budget: { tracesPerSecond: 5 } } }).sampling;
    const batch = [...traces(4_000, 18), ...traces(100, 19, 'search', StatusCode.OK)];
    const context = contextOf({}, config);

    // Act
    const verdicts = policyFromConfig(config).decide(batch, context);

    // Assess: default budget 100/s against 400/s; both policies' arrivals are in the one tally
    expect(verdicts[0]?.policy).toBe(ERRORS_POLICY);
    expect(verdicts[0]?.threshold?.probability).toBeCloseTo(0.25, 3);
    expect(context.tally.budget?.counts).toEqual(
      new Map([
        [errorRateKey('checkout'), 4_000],
        ['search', 100],
      ]),
    );
  });

  it('leaves the errors policy alone when every budget is 0', () => {
    // Prepare
    const config = parseConfig({ sampling: { errors: { budget: { tracesPerSecond: 0 } } } }).sampling;
    const batch = traces(4_000, 20);

    // Act
    const verdicts = policyFromConfig(config).decide(batch, contextOf({}, config));

    // Assess
    expect(verdicts.every((v) => v?.keep && v.policy === ERRORS_POLICY && v.threshold === undefined)).toBe(
      true,
    );
  });
});

describe('errorBudgetSchema', () => {
  it('defaults to 100 error traces a second per service, sampled no lower than 0.001', () => {
    expect(parseConfig({}).sampling.errors.budget).toEqual({
      tracesPerSecond: 100,
      overrides: {},
      minProbability: 0.001,
    });
  });

  it.each([
    [{ tracesPerSecond: -1 }, 'tracesPerSecond'],
    [{ minProbability: 0 }, 'minProbability'],
    [{ minProbability: 1.5 }, 'minProbability'],
    [{ overrides: { checkout: -2 } }, 'overrides'],
    [{ overrides: { '': 2 } }, 'overrides'],
    [{ perService: 2 }, 'perService'],
  ])('rejects %o', (budget, key) => {
    // Act
    const act = () => parseConfig({ sampling: { errors: { budget } } });

    // Assess
    expect(act).toThrow(`sampling.errors.budget.${key}`);
  });
});
