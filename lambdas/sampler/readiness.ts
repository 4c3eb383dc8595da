/**
 * When a trace is complete enough to decide. Time is the Kinesis arrival time of records (the batch
 * watermark), never the spans' own clocks, which drift between hosts and can be set to anything.
 */
import type { TraceAssembly } from './batch.ts';

export const Readiness = {
  /** The root arrived and the send delay has passed since. */
  ROOT: 'root',
  /** The trace timeout has passed since its first span arrived, root or not. */
  TIMEOUT: 'timeout',
  SPAN_LIMIT: 'span-limit',
  BYTE_LIMIT: 'byte-limit',
  /** Deferred too often: a guard against anything that would keep a trace circling. */
  DEFERRAL_LIMIT: 'deferral-limit',
  /** The shard's pending set was full (sampling.maxPendingBytes): the earliest traces go first. */
  PENDING_LIMIT: 'pending-limit',
} as const;
export type Readiness = (typeof Readiness)[keyof typeof Readiness];

export interface ReadinessRules {
  readonly sendDelayMs: number;
  readonly traceTimeoutMs: number;
  readonly maxSpansPerTrace: number;
  readonly maxBytesPerTrace: number;
  readonly maxDeferrals: number;
}

/** Why the trace is ready at `watermarkMs`, or undefined if it must wait. */
export function readinessOf(
  trace: Pick<TraceAssembly, 'root' | 'rootArrivalMs' | 'firstArrivalMs' | 'spans' | 'bytes' | 'deferrals'>,
  watermarkMs: number,
  rules: ReadinessRules,
): Readiness | undefined {
  if (trace.root && trace.rootArrivalMs > 0 && watermarkMs - trace.rootArrivalMs >= rules.sendDelayMs) {
    return Readiness.ROOT;
  }
  if (watermarkMs - trace.firstArrivalMs >= rules.traceTimeoutMs) return Readiness.TIMEOUT;
  if (trace.spans.length >= rules.maxSpansPerTrace) return Readiness.SPAN_LIMIT;
  if (trace.bytes >= rules.maxBytesPerTrace) return Readiness.BYTE_LIMIT;
  if (trace.deferrals >= rules.maxDeferrals) return Readiness.DEFERRAL_LIMIT;
  return undefined;
}
