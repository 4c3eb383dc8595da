/**
 * Conservation per invocation: every span the invocation took in ends in exactly one bucket,
 *
 *   SpansIn = SpansKept + SpansDropped + SpansDeferred + SpansForwarded + SpansDeadLettered
 *
 * where SpansIn counts unique spans (DuplicateSpans, the extra copies of redelivered spans, are
 * counted apart), late fragments count as kept or dropped under the policy of their trace's earlier
 * decision (and in LateSpans too), records passed back undecoded count as deferred, and a poison
 * record counts its announced spans as dead-lettered the first time the container meets it (a
 * later attempt counts them in neither SpansIn nor SpansDeadLettered). Emitted as EMF with
 * Function=sampler and, for kept/dropped, the deciding policy (budget keys folded into `budget` to
 * bound cardinality). What each counter means over many invocations: the metric catalogue.
 */
import type { Metrics } from '../shared/metrics/index.ts';
import type { KeptTrace, SamplingDecision } from '../shared/sampling/kept-trace.ts';

/** The Policy dimension of spans dropped because their kept trace is at its caps. */
export const OVER_TRACE_CAPS = 'trace-cap';

/**
 * Poison records whose spans a container counted as dead-lettered, by shard and sequence number.
 * The oldest are forgotten past `capacity`: a container meets few poison records, and the mapping
 * retries one until it is dead-lettered before the shard moves on.
 */
export class PoisonLedger {
  private readonly counted = new Set<string>();
  private readonly capacity: number;

  public constructor(capacity = 64) {
    this.capacity = capacity;
  }

  public has(shardId: string, poison: { readonly sequenceNumber: string } | undefined): boolean {
    return poison !== undefined && this.counted.has(`${shardId}/${poison.sequenceNumber}`);
  }

  public add(shardId: string, poison: { readonly sequenceNumber: string }): void {
    this.counted.add(`${shardId}/${poison.sequenceNumber}`);
    const oldest = this.counted.values().next();
    if (this.counted.size > this.capacity && !oldest.done) this.counted.delete(oldest.value);
  }
}

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
    metrics.add('SpansIn', this.spansIn);
    metrics.add('SpansDeferred', this.deferred);
    metrics.add('SpansPending', this.pending);
    metrics.add('SpansForwarded', this.forwarded);
    metrics.add('SpansDeadLettered', this.deadLettered);
    metrics.add('LateSpans', this.late);
    metrics.add('DuplicateSpans', this.duplicates);
    for (const [Policy, n] of this.keptSpans) metrics.add('SpansKept', n, 'Count', { Policy });
    for (const [Policy, n] of this.droppedSpans) metrics.add('SpansDropped', n, 'Count', { Policy });
    for (const [Policy, n] of this.keptTraces) metrics.add('TracesKept', n, 'Count', { Policy });
    for (const [Policy, n] of this.droppedTraces) metrics.add('TracesDropped', n, 'Count', { Policy });
  }
}
