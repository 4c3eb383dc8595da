/**
 * The probabilistic baseline: keeps a trace when its randomness passes the threshold of the
 * baseline probability (R >= T), so every fragment of a trace, decided wherever and whenever, gets
 * the same answer.
 *
 * A trace decided without its root (its timeout passed first) may be the late fragment of a trace
 * already dropped by a policy that needed the root: the budget, whose probability can be as low as
 * its minProbability. Such fragments are sampled with the smallest probability any policy could have
 * applied, so that whatever dropped the rest of the trace drops them too.
 */
import { passes, thresholdOfProbability } from '../probability.ts';
import { perTrace, type SamplingPolicy } from './policy.ts';

export const BASELINE_POLICY = 'baseline';

export function baselinePolicy(probability: number, rootlessProbability: number): SamplingPolicy {
  const withRoot = thresholdOfProbability(probability);
  const withoutRoot = thresholdOfProbability(Math.min(probability, rootlessProbability));
  return perTrace(BASELINE_POLICY, (trace) => {
    const threshold = trace.root ? withRoot : withoutRoot;
    if (!threshold) {
      return { keep: false, policy: BASELINE_POLICY, threshold, reason: 'baseline probability is 0' };
    }
    const keep = passes(trace.randomness, threshold);
    return {
      keep,
      policy: BASELINE_POLICY,
      threshold,
      reason: `trace randomness ${keep ? '>=' : '<'} threshold th:${threshold.th} (p ${threshold.probability.toPrecision(3)}${trace.root ? '' : ', root never arrived'})`,
    };
  });
}
