/**
 * The precedence combinator: asks its policies in order and the first verdict wins. It evaluates
 * policy by policy over the whole batch (not trace by trace), so each policy receives exactly the
 * traces no earlier policy decided, in one call.
 */
import type { PolicyVerdict, SamplingPolicy } from './policy.ts';

export function firstMatch(name: string, policies: readonly SamplingPolicy[]): SamplingPolicy {
  return {
    name,
    decide(traces, context) {
      const verdicts: Array<PolicyVerdict | undefined> = new Array(traces.length).fill(undefined);
      let open = traces.map((_, i) => i);
      for (const policy of policies) {
        if (open.length === 0) break;
        const answers = policy.decide(
          open.map((i) => traces[i] as (typeof traces)[number]),
          context,
        );
        const stillOpen: number[] = [];
        open.forEach((traceIndex, k) => {
          const verdict = answers[k];
          if (verdict) verdicts[traceIndex] = verdict;
          else stillOpen.push(traceIndex);
        });
        open = stillOpen;
      }
      return verdicts;
    },
  };
}
