/**
 * A keep rule: traces whose spans match its attribute conditions are kept, all of them or, with a
 * probability below 1, a consistent share (R >= T on the trace's randomness, so fragments agree).
 * A matching trace outside that share goes on to the next policy, so such a keep says
 * `fallsThrough`: a later policy would keep it too when R passes its own threshold, and firstMatch
 * records the most permissive of them (first-match.ts).
 */
import type { KeepRule } from '../../shared/config/index.ts';
import { passes, thresholdOfProbability } from '../probability.ts';
import { compileRuleMatcher } from './conditions.ts';
import { type PolicyVerdict, perTrace, type SamplingPolicy } from './policy.ts';

export function keepRulePolicy(rule: KeepRule): SamplingPolicy {
  const name = `rule:${rule.name}`;
  const matches = compileRuleMatcher(rule.when, rule.scope);
  const threshold = rule.probability < 1 ? thresholdOfProbability(rule.probability) : undefined;
  const reason = `matches rule ${rule.name}${threshold ? ` (kept with probability ${threshold.probability})` : ''}`;
  const verdict: PolicyVerdict = threshold
    ? { keep: true, policy: name, threshold, reason, fallsThrough: true }
    : { keep: true, policy: name, threshold, reason };
  return perTrace(name, (trace) => {
    if (!matches(trace)) return undefined;
    if (threshold && !passes(trace.randomness, threshold)) return undefined;
    return verdict;
  });
}
