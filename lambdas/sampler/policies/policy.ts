/**
 * The policy interface: one method over a batch's ready traces, in the order given, returning for
 * each a verdict or `undefined` ("not mine, ask the next policy"). Batch-shaped rather than
 * per-trace so that a policy can see exactly the traces that reach it, which the throughput budget
 * needs (its rate counts only traces no earlier policy kept); per-trace policies are written with
 * `perTrace`. Combinators (firstMatch) are policies too.
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
   * for a deterministic verdict (probability 1 for a keep, 0 for a drop).
   */
  readonly threshold: Threshold | undefined;
  readonly reason: string;
}

export interface DecisionContext {
  /** Arrival time the batch covers (ms), for rates. */
  readonly coveredMs: number;
  /** Share of the stream's traces this invocation sees: its shard's hash range fraction / lanes. */
  readonly streamShare: number;
  /** Committed statistics of the shard (read-only for policies). */
  readonly state: SamplerState;
  /** Observations of this batch, applied when it succeeds. */
  readonly tally: BatchTally;
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
