/**
 * The contract between the sampler and the stores: what a sampling decision records, what a kept
 * trace carries, and the two interfaces the stores implement for the sampler.
 */
import type { Span } from '../span/model.ts';

export interface SamplingDecision {
  readonly keep: boolean;
  /** The policy that decided, e.g. `errors`, `latency`, `rule:<name>`, `budget:<key>`, `baseline`, `drop:<name>`. */
  readonly policy: string;
  /** Probability with which a trace like this one is kept: 1 for deterministic keeps, p for the baseline. */
  readonly probability: number;
  /** OpenTelemetry consistent-probability threshold (`ot=th:` hex value); '0' when probability is 1. */
  readonly threshold: string;
  /** Human-readable detail, e.g. "root 2.31 s > live p99 1.10 s (GET /checkout)". */
  readonly reason: string;
}

/** 1 / probability: how many traces a kept one stands for, for re-weighting counts in SQL. */
export function adjustedCount(decision: Pick<SamplingDecision, 'probability'>): number {
  return decision.probability > 0 ? 1 / decision.probability : 0;
}

export interface KeptTrace {
  readonly traceId: string;
  /** Spans of this trace seen in this batch, de-duplicated by span id. */
  readonly spans: readonly Span[];
  readonly decision: SamplingDecision;
  /** True when these spans arrived after the trace had already been decided and kept. */
  readonly late: boolean;
  /** Kinesis arrival time (ms) of the trace's first span. */
  readonly firstArrivalMs: number;
}

/** The batch a write comes from: S3 objects and DynamoDB chunk keys are derived from it (idempotency). */
export interface BatchRef {
  /** The shard, with several lanes qualified by the lane (`shardId-000000000001.lane-1`). */
  readonly shardId: string;
  readonly firstSequenceNumber: string;
  readonly lastSequenceNumber: string;
}

/** What a sink did not keep of what it was given, so the sampler's accounting stays exact. */
export interface SinkWriteOutcome {
  /**
   * Spans of fragments merging into a stored trace that is at its span or byte cap, by trace id:
   * not stored anywhere, so counted as dropped rather than kept.
   */
  readonly spansOverLimit: ReadonlyMap<string, number>;
}

export const NOTHING_OVER_LIMIT: SinkWriteOutcome = { spansOverLimit: new Map() };

/** Where kept traces go. A failed write must throw: the batch is then retried (at-least-once). */
export interface TraceSink {
  /**
   * `signal` aborts when the invocation has timed out: its batch is being retried, so the sink
   * stops before making anything more of this attempt visible to queries.
   */
  write(traces: readonly KeptTrace[], batch: BatchRef, signal?: AbortSignal): Promise<SinkWriteOutcome>;
}

/** The kept-traces store as the decision cache for late spans. */
export interface DecisionLookup {
  /** The decisions of those of `traceIds` that were already kept; absent ids were not (or not yet). */
  keptDecisions(traceIds: readonly string[]): Promise<ReadonlyMap<string, SamplingDecision>>;
}
