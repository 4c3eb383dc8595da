/**
 * The policy interface: one method over a batch's ready traces, in the order given, returning for
 * each a verdict or `undefined` ("not mine, ask the next policy"). Batch-shaped rather than
 * per-trace so that a policy can see exactly the traces that reach it, which the throughput budget
 * needs (its rate counts only traces no earlier policy kept); per-trace policies are written with
 * `perTrace`. Combinators (firstMatch) are policies too.
 *
 * Asking ahead: a trace kept with a threshold by a policy that passes on the traces it misses (a
 * keep rule below probability 1, `fallsThrough`) would also be kept by a later policy whenever R
 * passes that one's threshold, so the chain's probability for it depends on the later policies too.
 * firstMatch asks them about it, in the same call as the traces that do reach them, and names such
 * traces in `context.lookahead`: a policy decides them as any other, but does not count them among
 * the traces that reached it (the budget's arrival rate).
 */

import type { Threshold } from '../probability.ts';
import type { BatchTally, SamplerState } from '../state/sampler-state.ts';
import type { TraceView } from '../trace-view.ts';

export interface PolicyVerdict {
  readonly keep: boolean;
  /** Decision name: `errors`, `latency`, `rule:<name>`, `budget:<key>`, `baseline`, `drop:<name>`. */
  readonly policy: string;
  /**
   * The consistent-probability threshold the policy applied (its verdict is `R >= T`), or undefined
   * for a deterministic verdict (probability 1 for a keep, 0 for a drop). A combinator's verdict
   * carries the threshold of its whole chain (first-match.ts).
   */
  readonly threshold: Threshold | undefined;
  readonly reason: string;
  /**
   * True on a keep whose policy passes on (answers undefined for) the traces its threshold rejects,
   * as a keep rule below probability 1 does: later policies may still keep those. Absent, the verdict
   * is final: the policy decides every trace it answers for, whatever its randomness.
   */
  readonly fallsThrough?: boolean;
}

export interface DecisionContext {
  /** Arrival time the batch covers (ms), for rates. */
  readonly coveredMs: number;
  /** Share of the stream's traces this invocation sees: its shard's hash range fraction / lanes. */
  readonly streamShare: number;
  /** Committed statistics of the shard (read-only for policies). */
  readonly state: SamplerState;
  /**
   * Observations of this batch, applied when it succeeds. Its `latencies` already hold the root
   * durations of every ready trace of the batch before any policy runs (live percentiles count them).
   */
  readonly tally: BatchTally;
  /**
   * Traces of this call that an earlier policy already kept (asked ahead, see above): decide them,
   * but leave them out of observations. Absent: none.
   */
  readonly lookahead?: ReadonlySet<TraceView>;
}

export interface SamplingPolicy {
  readonly name: string;
  decide(traces: readonly TraceView[], context: DecisionContext): ReadonlyArray<PolicyVerdict | undefined>;
}

/** A policy from a function of one trace. */
export function perTrace(
  name: string,
  evaluate: (trace: TraceView, context: DecisionContext) => PolicyVerdict | undefined,
): SamplingPolicy {
  return { name, decide: (traces, context) => traces.map((trace) => evaluate(trace, context)) };
}
