import { describe, expect, it } from 'vitest';
import { policyFromConfig } from '../../../../lambdas/sampler/policies/factory.ts';
import { parseConfig } from '../../../../lambdas/shared/config/load.ts';
import { StatusCode } from '../../../../lambdas/shared/span/model.ts';
import { contextOf, traceIds, traceOf, viewOfTrace } from '../../../support/sampler.ts';

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
