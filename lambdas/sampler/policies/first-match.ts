/**
 * The precedence combinator: asks its policies in order and the first verdict wins. It evaluates
 * policy by policy over the whole batch (not trace by trace), so each policy receives exactly the
 * traces no earlier policy decided, in one call.
 *
 * The threshold of a verdict is the chain's, not only its policy's. With consistent randomness a
 * trace is kept iff R passes the most permissive threshold among the policies it meets, up to the
 * first that decides it whatever R is. A keep rule below probability 1 is not such a policy: it
 * passes the traces it misses on (its keeps say `fallsThrough`). So a trace won by such a keep is
 * asked ahead: later policies are asked about it too, in the same call as the traces that do reach
 * them (named in `context.lookahead`, so that they observe only the latter), and its threshold
 * becomes the most permissive among the winning keep and every later keep up to and including the
 * first final verdict. A deterministic keep means probability 1; a drop or no verdict adds nothing;
 * another `fallsThrough` keep goes on asking. The verdict keeps the winner's `keep` and `policy`;
 * its reason names the later policy that raised the probability.
 *
 * Final verdicts (the budget's, the baseline's, deterministic ones) end the chain for the trace:
 * whatever follows them is never reached. Traces kept by a later policy after an earlier rule passed
 * them over need nothing more: passed over means R < T1, kept means R >= T2, so T2 < T1 already.
 * Example: rule p 0.5, then the budget at p 1 for a quiet service: every matching trace is kept (by
 * the rule, or else by the budget), and the rule's keeps record p 1, not 0.5.
 */
import { looser, type Threshold } from '../probability.ts';
import type { TraceView } from '../trace-view.ts';
import type { DecisionContext, PolicyVerdict, SamplingPolicy } from './policy.ts';

export function firstMatch(name: string, policies: readonly SamplingPolicy[]): SamplingPolicy {
  return {
    name,
    decide(traces, context) {
      const verdicts: Array<PolicyVerdict | undefined> = new Array(traces.length).fill(undefined);
      let open = traces.map((_, i) => i);
      let ahead: number[] = [];
      for (const policy of policies) {
        if (open.length + ahead.length === 0) break;
        const asked = [...open, ...ahead];
        const views = asked.map((i) => traces[i] as TraceView);
        const answers = policy.decide(views, contextAsking(context, views.slice(open.length)));
        open = [];
        ahead = [];
        asked.forEach((traceIndex, k) => {
          const earlier = verdicts[traceIndex];
          const verdict = earlier ? widened(earlier, answers[k]) : answers[k];
          verdicts[traceIndex] = verdict;
          if (!verdict) open.push(traceIndex);
          else if (asksAhead(verdict)) ahead.push(traceIndex);
        });
      }
      return verdicts;
    },
  };
}

/** Whether later policies can still raise the probability of a trace this verdict keeps. */
function asksAhead(verdict: PolicyVerdict): boolean {
  return verdict.keep && verdict.fallsThrough === true && (verdict.threshold?.probability ?? 1) < 1;
}

/** The context of one policy's call, naming the traces asked ahead (and any the caller named). */
function contextAsking(context: DecisionContext, ahead: readonly TraceView[]): DecisionContext {
  if (ahead.length === 0) return context;
  return { ...context, lookahead: new Set([...(context.lookahead ?? []), ...ahead]) };
}

/** A kept trace's verdict after a later policy's answer about it. */
function widened(kept: PolicyVerdict, answer: PolicyVerdict | undefined): PolicyVerdict {
  if (!answer) return kept;
  const threshold = permissive(kept.threshold, answer);
  const raised =
    threshold === kept.threshold
      ? ''
      : `; probability raised to ${(threshold?.probability ?? 1).toPrecision(3)} by ${answer.policy}`;
  return {
    keep: kept.keep,
    policy: kept.policy,
    threshold,
    reason: `${kept.reason}${raised}`,
    ...(answer.fallsThrough ? { fallsThrough: true } : {}),
  };
}

/** The more permissive of a kept trace's threshold and that of a later keep (undefined: p 1). */
function permissive(current: Threshold | undefined, answer: PolicyVerdict): Threshold | undefined {
  if (!answer.keep || current === undefined) return current;
  return answer.threshold && looser(current, answer.threshold);
}
