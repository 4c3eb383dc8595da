/**
 * A drop rule: traces whose spans match its attribute conditions are dropped, before any keep
 * policy is asked (health checks, synthetic traffic). Scoped to the root by default.
 */
import type { DropRule } from '../../shared/config/index.ts';
import { compileRuleMatcher } from './conditions.ts';
import { perTrace, type SamplingPolicy } from './policy.ts';

export function dropRulePolicy(rule: DropRule): SamplingPolicy {
  const name = `drop:${rule.name}`;
  const matches = compileRuleMatcher(rule.when, rule.scope);
  const reason = `matches drop rule ${rule.name}`;
  return perTrace(name, (trace) =>
    matches(trace) ? { keep: false, policy: name, threshold: undefined, reason } : undefined,
  );
}
