/**
 * Builds the sampling policy from configuration, in the documented precedence: explicit drop rules,
 * then errors, latency, keep rules (first keep wins), the throughput budget for the keys it covers,
 * and the probabilistic baseline, which decides every trace that reaches it. The probability each
 * kept trace records is the whole chain's (first-match.ts). The errors policy is wrapped in its
 * per-service budget unless every budget is 0 (error-budget.ts).
 */
import type { SamplingConfig } from '../../shared/config/index.ts';
import { baselinePolicy } from './baseline.ts';
import { budgetPolicy } from './budget.ts';
import { dropRulePolicy } from './drop-rule.ts';
import { errorBudget } from './error-budget.ts';
import { erringService, errorPolicy } from './error-spans.ts';
import { firstMatch } from './first-match.ts';
import { keepRulePolicy } from './keep-rule.ts';
import { latencyPolicy } from './latency.ts';
import type { SamplingPolicy } from './policy.ts';

export function policyFromConfig(config: SamplingConfig): SamplingPolicy {
  const chain: SamplingPolicy[] = config.dropRules.map(dropRulePolicy);
  if (config.errors.enabled) chain.push(errorsWithBudget(config.errors));
  chain.push(
    latencyPolicy({
      percentile: config.latency.percentile,
      minSamples: config.latency.minSamples,
      minLiveThresholdMs: config.latency.minLiveThresholdMs,
      thresholds: config.latency.thresholds,
    }),
  );
  chain.push(...config.rules.map(keepRulePolicy));
  if (config.budget) chain.push(budgetPolicy(config.budget));
  chain.push(
    baselinePolicy(config.baselineProbability, config.budget?.minProbability ?? config.baselineProbability),
  );
  return firstMatch('sampling', chain);
}

function errorsWithBudget(errors: SamplingConfig['errors']): SamplingPolicy {
  const policy = errorPolicy(errors);
  const { budget } = errors;
  const budgeted = budget.tracesPerSecond > 0 || Object.values(budget.overrides).some((goal) => goal > 0);
  return budgeted ? errorBudget(policy, budget, (trace) => erringService(trace, errors)) : policy;
}
