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
 * come on top of the goal and are never dropped to meet it. Traces asked ahead (`context.lookahead`:
 * kept by a probabilistic keep rule, asked only for the probability the budget would give them, see
 * first-match.ts) get their key's probability from the traces that do arrive, and are not counted.
 * Its verdicts are final: a trace it answers for is kept or dropped here, never passed on.
 */
import type { BudgetConfig } from '../../shared/config/index.ts';
import { passes, type Threshold, thresholdOfProbability } from '../probability.ts';
import type { RootView, TraceView } from '../trace-view.ts';
import { tallyArrivals } from './arrival-tally.ts';
import type { DecisionContext, PolicyVerdict, SamplingPolicy } from './policy.ts';

export const BUDGET_POLICY = 'budget';

export function budgetKeyOf(root: Pick<RootView, 'service' | 'operation'>, key: BudgetConfig['key']): string {
  return key === 'service' ? root.service : `${root.service} ${root.operation}`;
}

/** How the budget samples one key in this batch. */
interface KeySampling {
  readonly threshold: Threshold | undefined;
  readonly reason: string;
}

export function budgetPolicy(config: BudgetConfig): SamplingPolicy {
  const goalOf = (key: string): number => config.overrides[key] ?? config.tracesPerSecond;
  const keyOf = (trace: TraceView, context: DecisionContext): string | undefined => {
    if (!trace.root) return undefined;
    const key = budgetKeyOf(trace.root, config.key);
    return context.state.rates.tracks(key) ? key : undefined;
  };
  const samplingOf = (key: string, count: number, context: DecisionContext): KeySampling => {
    const localRate = context.state.rates.ratePerSecond(key, count, context.coveredMs);
    const goal = goalOf(key);
    const wanted = localRate > 0 ? (goal * context.streamShare) / localRate : 1;
    const threshold = thresholdOfProbability(
      Math.min(config.maxProbability, Math.max(config.minProbability, wanted)),
    );
    const streamRate = localRate / context.streamShare;
    return {
      threshold,
      reason: `budget ${goal}/s for ${key} at ~${streamRate.toPrecision(3)}/s arriving (p ${threshold?.probability.toPrecision(3) ?? 0})`,
    };
  };
  return {
    name: BUDGET_POLICY,
    decide(traces, context) {
      const keys = traces.map((trace) => keyOf(trace, context));
      const counts = arrivals(traces, keys, context);
      const perKey = new Map<string, KeySampling>();
      return traces.map((trace, i): PolicyVerdict | undefined => {
        const key = keys[i];
        if (key === undefined) return undefined;
        const sampling = perKey.get(key) ?? samplingOf(key, counts.get(key) ?? 0, context);
        perKey.set(key, sampling);
        const { threshold, reason } = sampling;
        const keep = threshold !== undefined && passes(trace.randomness, threshold);
        return { keep, policy: `${BUDGET_POLICY}:${key}`, threshold, reason };
      });
    },
  };
}

/**
 * Traces per key among those that arrive (not asked ahead), recorded in the batch's tally when any
 * trace arrived: the observation the rate is learnt from.
 */
function arrivals(
  traces: readonly TraceView[],
  keys: ReadonlyArray<string | undefined>,
  context: DecisionContext,
): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  let arrived = 0;
  traces.forEach((trace, i) => {
    if (context.lookahead?.has(trace)) return;
    arrived++;
    const key = keys[i];
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  if (arrived > 0) tallyArrivals(context, counts);
  return counts;
}
