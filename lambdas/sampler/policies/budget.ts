/**
 * Throughput budget: a goal of kept traces per second per key (root service, or root service and
 * operation) for the whole stream, met by choosing each key's probability from its arrival rate:
 * p = goal / rate, clamped to [minProbability, maxProbability], applied consistently (R >= T).
 *
 * Whole stream without coordination: traces are routed by the hash of their random ids, so a shard
 * sees a uniform random share of every key's traffic equal to its hash range fraction (and a lane
 * 1/lanes of that). A shard's goal is the stream goal times that share; its measured rate is the
 * stream rate times the same share; both shares cancel in p, so every shard applies the
 * probability the stream as a whole needs, and their kept traces add up to the goal. After a
 * reshard the fractions change with the ranges, and the arithmetic stays right.
 *
 * Only traces that reach the budget count towards the rate: those kept for errors, latency or rules
 * come on top of the goal and are never dropped to meet it.
 */
import type { BudgetConfig } from '../../shared/config/sampling.ts';
import { passes, thresholdOfProbability } from '../probability.ts';
import type { RootView } from '../trace-view.ts';
import type { PolicyVerdict, SamplingPolicy } from './policy.ts';

export const BUDGET_POLICY = 'budget';

export function budgetKeyOf(root: Pick<RootView, 'service' | 'operation'>, key: BudgetConfig['key']): string {
  return key === 'service' ? root.service : `${root.service} ${root.operation}`;
}

export function budgetPolicy(config: BudgetConfig): SamplingPolicy {
  const goalOf = (key: string): number => config.overrides[key] ?? config.tracesPerSecond;
  return {
    name: BUDGET_POLICY,
    decide(traces, context) {
      const keys = traces.map((trace) => {
        if (!trace.root) return undefined;
        const key = budgetKeyOf(trace.root, config.key);
        return context.state.rates.tracks(key) ? key : undefined;
      });
      const counts = new Map<string, number>();
      for (const key of keys) if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
      context.tally.budget = { counts, coveredMs: context.coveredMs };

      const perKey = new Map<string, { probability: number; reason: string }>();
      for (const [key, count] of counts) {
        const localRate = context.state.rates.ratePerSecond(key, count, context.coveredMs);
        const goal = goalOf(key);
        const wanted = localRate > 0 ? (goal * context.streamShare) / localRate : 1;
        const probability = Math.min(config.maxProbability, Math.max(config.minProbability, wanted));
        const streamRate = localRate / context.streamShare;
        perKey.set(key, {
          probability,
          reason: `budget ${goal}/s for ${key} at ~${streamRate.toPrecision(3)}/s arriving`,
        });
      }
      return traces.map((trace, i): PolicyVerdict | undefined => {
        const key = keys[i];
        if (key === undefined) return undefined;
        const { probability, reason } = perKey.get(key) as { probability: number; reason: string };
        const threshold = thresholdOfProbability(probability);
        return {
          keep: threshold !== undefined && passes(trace.randomness, threshold),
          policy: `${BUDGET_POLICY}:${key}`,
          threshold,
          reason: `${reason} (p ${threshold?.probability.toPrecision(3) ?? 0})`,
        };
      });
    },
  };
}
