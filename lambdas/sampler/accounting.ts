/**
 * Conservation per invocation: every span the invocation took in ends in exactly one bucket,
 *
 *   SpansIn = SpansKept + SpansDropped + SpansDeferred + SpansForwarded + SpansDeadLettered
 *
 * where SpansIn counts unique spans (DuplicateSpans, the extra copies of redelivered spans, are
 * counted apart), late fragments count as kept or dropped under the policy of their trace's earlier
 * decision (and in LateSpans too), records passed back undecoded count as deferred, and a poison
 * record counts its announced spans as dead-lettered. Emitted as EMF with Function=sampler and, for
 * kept/dropped, the deciding policy (budget keys folded into `budget` to bound cardinality).
 */
import type { Metrics } from '../shared/metrics/emf.ts';
import type { KeptTrace, SamplingDecision } from '../shared/sampling/kept-trace.ts';

/** The Policy dimension of spans dropped because their kept trace is at its caps. */
export const OVER_TRACE_CAPS = 'trace-cap';

export const SamplerMetric = {
  SPANS_IN: 'SpansIn',
  SPANS_KEPT: 'SpansKept',
  SPANS_DROPPED: 'SpansDropped',
  SPANS_DEFERRED: 'SpansDeferred',
  SPANS_PENDING: 'SpansPending',
  SPANS_FORWARDED: 'SpansForwarded',
  SPANS_DEAD_LETTERED: 'SpansDeadLettered',
  LATE_SPANS: 'LateSpans',
  TRACES_KEPT: 'TracesKept',
  TRACES_DROPPED: 'TracesDropped',
  DUPLICATE_SPANS: 'DuplicateSpans',
} as const;

/** The Policy dimension of a decision: budget keys are data, not configuration. */
export function policyDimension(policy: string): string {
  return policy.startsWith('budget:') ? 'budget' : policy;
}

export class Accounting {
  public spansIn = 0;
  public deferred = 0;
  /** Spans left in the shard's pending set (pend.ts); deferred counts those written back to the stream. */
  public pending = 0;
  public forwarded = 0;
  public deadLettered = 0;
  public late = 0;
  public duplicates = 0;
  public readonly keptSpans = new Map<string, number>();
  public readonly droppedSpans = new Map<string, number>();
  public readonly keptTraces = new Map<string, number>();
  public readonly droppedTraces = new Map<string, number>();

  /** A trace (or late fragment) decided: its spans go to kept or dropped under the decision's policy. */
  public decided(decision: SamplingDecision, spans: number, late: boolean): void {
    const dimension = policyDimension(decision.policy);
    const spanMap = decision.keep ? this.keptSpans : this.droppedSpans;
    spanMap.set(dimension, (spanMap.get(dimension) ?? 0) + spans);
    if (late) this.late += spans;
    else {
      const traceMap = decision.keep ? this.keptTraces : this.droppedTraces;
      traceMap.set(dimension, (traceMap.get(dimension) ?? 0) + 1);
    }
  }

  /**
   * Spans the store refused because their stored trace is at its span or byte cap: kept by the
   * trace's decision, then dropped by the cap (Policy `trace-cap`).
   */
  public overTraceCaps(kept: readonly KeptTrace[], spansOverLimit: ReadonlyMap<string, number>): void {
    for (const [traceId, spans] of spansOverLimit) {
      const policy = kept.find((trace) => trace.traceId === traceId)?.decision.policy;
      if (policy === undefined) continue;
      const dimension = policyDimension(policy);
      this.keptSpans.set(dimension, (this.keptSpans.get(dimension) ?? 0) - spans);
      this.droppedSpans.set(OVER_TRACE_CAPS, (this.droppedSpans.get(OVER_TRACE_CAPS) ?? 0) + spans);
    }
  }

  public get spansOut(): number {
    let total = this.deferred + this.pending + this.forwarded + this.deadLettered;
    for (const n of this.keptSpans.values()) total += n;
    for (const n of this.droppedSpans.values()) total += n;
    return total;
  }

  public emit(metrics: Metrics): void {
    metrics.add(SamplerMetric.SPANS_IN, this.spansIn);
    metrics.add(SamplerMetric.SPANS_DEFERRED, this.deferred);
    metrics.add(SamplerMetric.SPANS_PENDING, this.pending);
    metrics.add(SamplerMetric.SPANS_FORWARDED, this.forwarded);
    metrics.add(SamplerMetric.SPANS_DEAD_LETTERED, this.deadLettered);
    metrics.add(SamplerMetric.LATE_SPANS, this.late);
    metrics.add(SamplerMetric.DUPLICATE_SPANS, this.duplicates);
    for (const [Policy, n] of this.keptSpans) metrics.add(SamplerMetric.SPANS_KEPT, n, 'Count', { Policy });
    for (const [Policy, n] of this.droppedSpans)
      metrics.add(SamplerMetric.SPANS_DROPPED, n, 'Count', { Policy });
    for (const [Policy, n] of this.keptTraces) metrics.add(SamplerMetric.TRACES_KEPT, n, 'Count', { Policy });
    for (const [Policy, n] of this.droppedTraces)
      metrics.add(SamplerMetric.TRACES_DROPPED, n, 'Count', { Policy });
  }
}
