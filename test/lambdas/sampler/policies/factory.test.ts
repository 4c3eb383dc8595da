import { describe, expect, it } from 'vitest';
import { policyFromConfig } from '../../../../lambdas/sampler/policies/factory.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import { parseConfig } from '../../../../lambdas/shared/config/index.ts';
import { StatusCode } from '../../../../lambdas/shared/span/model.ts';
import { contextOf, traceIds, traceOf, viewOfTrace, viewsOf } from '../../../support/sampler.ts';

const config = parseConfig({
  sampling: {
    baselineProbability: 0,
    dropRules: [{ name: 'health', when: [{ attribute: 'http.route', op: 'equals', value: '/health' }] }],
    rules: [{ name: 'vip', when: [{ attribute: 'tier', op: 'equals', value: 'gold' }] }],
    latency: { thresholds: [{ thresholdMs: 1_000 }] },
    budget: { tracesPerSecond: 1_000_000 },
  },
}).sampling;

const ids = traceIds(10, 31);
const trace = (i: number, root: Parameters<typeof traceOf>[1]) =>
  viewOfTrace(traceOf(ids[i] as string, root));

describe('policyFromConfig precedence', () => {
  it.each([
    [
      'a drop rule beats an error',
      0,
      { root: { attributes: { 'http.route': '/health' }, status: StatusCode.ERROR } },
      'drop:health',
      false,
    ],
    ['errors before latency', 1, { durationMs: 5_000, root: { status: StatusCode.ERROR } }, 'errors', true],
    [
      'latency before keep rules',
      2,
      { durationMs: 5_000, root: { attributes: { tier: 'gold' } } },
      'latency',
      true,
    ],
    ['keep rules before the budget', 3, { root: { attributes: { tier: 'gold' } } }, 'rule:vip', true],
    ['the budget for the rest (goal far above the rate: p 1)', 4, {}, 'budget:checkout', true],
  ])('%s', (_name, i, root, policy, keep) => {
    const [verdict] = policyFromConfig(config).decide([trace(i, root)], contextOf({}, config));
    expect(verdict).toMatchObject({ policy, keep });
  });

  it('ends with the baseline, which decides every trace that reaches it', () => {
    const plain = parseConfig({ sampling: { baselineProbability: 1, errors: { enabled: false } } }).sampling;
    const [verdict] = policyFromConfig(plain).decide(
      [trace(5, { root: { status: StatusCode.ERROR } })],
      contextOf({}, plain),
    );
    expect(verdict).toMatchObject({ policy: 'baseline', keep: true });
  });
});

describe("policyFromConfig: a kept trace records the chain's probability", () => {
  const vip = (probability: number) => ({
    name: 'vip',
    when: [{ attribute: 'tier', op: 'equals', value: 'gold' }],
    probability,
  });
  const fixedBudget = (p: number) => ({ tracesPerSecond: 1, minProbability: p, maxProbability: p });

  it.each([
    ['rule 0.5, baseline 0.75', 0.5, { baselineProbability: 0.75 }, 0.75],
    ['rule 0.5, baseline 0.25', 0.5, { baselineProbability: 0.25 }, 0.5],
    ['rule 0.25, baseline 0.5', 0.25, { baselineProbability: 0.5 }, 0.5],
    ['rule 0.5, budget 0.75', 0.5, { budget: fixedBudget(0.75) }, 0.75],
    ['rule 0.5, budget 0.25', 0.5, { budget: fixedBudget(0.25) }, 0.5],
    ['rule 0.5, budget 1 (a quiet service)', 0.5, { budget: { tracesPerSecond: 1_000_000 } }, 1],
    [
      'rule 0.5, budget 0.2, baseline 0.9 (never reached)',
      0.5,
      { baselineProbability: 0.9, budget: fixedBudget(0.2) },
      0.5,
    ],
  ])('%s: keeps exactly R >= T(max), each recording max', (_name, ruleP, sampling, expected) => {
    // Prepare: 1,000 traces matching the rule
    const config = parseConfig({
      sampling: { baselineProbability: 0, rules: [vip(ruleP)], ...sampling },
    }).sampling;
    const views = viewsOf(
      traceIds(1_000, 61).flatMap((id) =>
        traceOf(id, { children: 0, root: { attributes: { tier: 'gold' } } }),
      ),
    );
    const context = contextOf({ coveredMs: 10_000 }, config);

    // Act
    const verdicts = policyFromConfig(config).decide(views, context);

    // Assess: kept by the rule, or passed over and kept by the budget or baseline: all at max
    const threshold = thresholdOfProbability(expected);
    views.forEach((view, i) => {
      const kept = threshold !== undefined && passes(view.randomness, threshold);
      expect(verdicts[i]?.keep).toBe(kept);
      if (kept) expect(verdicts[i]?.threshold?.probability ?? 1).toBeCloseTo(expected, 4);
    });
    const byRule = verdicts.filter((v) => v?.policy === 'rule:vip').length;
    expect(byRule).toBeGreaterThan(ruleP * 1_000 - 100);
    // The budget counts the traces that reached it, never those the rule kept and asked ahead.
    const reached = 'budget' in sampling ? new Map([['checkout', 1_000 - byRule]]) : undefined;
    expect(context.tally.budget?.counts).toEqual(reached);
  });

  it("names the policy that raised the probability in the reason, keeping the rule's policy", () => {
    // Prepare
    const config = parseConfig({ sampling: { baselineProbability: 0.75, rules: [vip(0.5)] } }).sampling;
    const view = viewOfTrace(
      traceOf('0123456789abcdef01ffffffffffffff', { children: 0, root: { attributes: { tier: 'gold' } } }),
    );

    // Act
    const [verdict] = policyFromConfig(config).decide([view], contextOf({}, config));

    // Assess
    expect(verdict).toMatchObject({
      keep: true,
      policy: 'rule:vip',
      reason: 'matches rule vip (kept with probability 0.5); probability raised to 0.750 by baseline',
    });
    expect(verdict?.threshold?.th).toBe('4');
  });
});
