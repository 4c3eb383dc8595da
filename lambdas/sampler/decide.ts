/**
 * Decide: the policy chain over the batch's ready traces, and the kept traces for the sink, both
 * the newly decided ones and the late fragments that follow a keep. The root durations of every
 * ready trace join the tally before any policy runs: live percentiles are judged against them too.
 */
import type { KeptTrace, SamplingDecision } from '../shared/sampling/kept-trace.ts';
import type { Accounting } from './accounting.ts';
import type { TraceAssembly } from './batch.ts';
import { type LateFragment, traceIdOf } from './follow.ts';
import type { DecisionContext, PolicyVerdict, SamplingPolicy } from './policies/policy.ts';
import { stricter } from './probability.ts';
import { decodeIndexedSpan } from './span-index.ts';
import { type TraceView, viewOf } from './trace-view.ts';

export interface Decisions {
  readonly kept: KeptTrace[];
  /** Every decision of this batch by trace key: new ones and followed ones. */
  readonly decided: Array<{ readonly key: string; readonly decision: SamplingDecision }>;
}

export function decide(
  ready: readonly TraceAssembly[],
  late: readonly LateFragment[],
  policy: SamplingPolicy,
  context: DecisionContext,
  accounting: Accounting,
): Decisions {
  const views = ready.map(viewOf);
  for (const view of views) if (view.root) context.tally.latencies.push({ ...view.root });
  const verdicts = policy.decide(views, context);
  const kept: KeptTrace[] = [];
  const decided: Decisions['decided'] = [];
  views.forEach((view, i) => {
    const trace = ready[i] as TraceAssembly;
    const decision = decisionOf(verdicts[i], view);
    decided.push({ key: trace.key, decision });
    accounting.decided(decision, trace.spans.length, false);
    if (!decision.keep) return;
    const spans = trace.spans.map((_, k) => view.span(k));
    kept.push({ traceId: view.traceId, spans, decision, late: false, firstArrivalMs: trace.firstArrivalMs });
  });
  for (const { trace, decision } of late) {
    decided.push({ key: trace.key, decision });
    accounting.decided(decision, trace.spans.length, true);
    if (!decision.keep) continue;
    const spans = trace.spans.map(decodeIndexedSpan);
    kept.push({
      traceId: traceIdOf(trace),
      spans,
      decision,
      late: true,
      firstArrivalMs: trace.firstArrivalMs,
    });
  }
  return { kept, decided };
}

/** The decision recorded for a trace: the verdict's threshold combined with the head threshold. */
export function decisionOf(verdict: PolicyVerdict | undefined, view: TraceView): SamplingDecision {
  if (!verdict) {
    // The factory always ends the chain with the baseline; a custom chain that decides nothing drops.
    return { keep: false, policy: 'none', probability: 0, threshold: '', reason: 'no policy decided' };
  }
  const threshold = verdict.threshold
    ? stricter(view.headThreshold, verdict.threshold)
    : verdict.keep
      ? view.headThreshold
      : undefined;
  return {
    keep: verdict.keep,
    policy: verdict.policy,
    probability: threshold?.probability ?? 0,
    threshold: threshold?.th ?? '',
    reason: verdict.reason,
  };
}
