/**
 * Keeps traces whose root lasted longer than a static threshold for its service/operation, or than
 * the live percentile (p99 by default) of that root operation's duration. The live percentile
 * comes from the shard's committed sketches (traffic before this batch) joined with the root
 * durations of the batch's own ready traces, kept or not, so that a burst decided in one or two
 * batches (after a cold start, or a quiet spell) still keeps its slow traces. It is used only once
 * it rests on `minSamples` durations: a p99 of ten traces is noise.
 */
import type { LatencyThreshold } from '../../shared/config/index.ts';
import type { BatchTally } from '../state/sampler-state.ts';
import type { RootView } from '../trace-view.ts';
import type { PolicyVerdict, SamplingPolicy } from './policy.ts';

export interface LatencyPolicyOptions {
  /** 0-100, e.g. 99. */
  readonly percentile: number;
  readonly minSamples: number;
  readonly minLiveThresholdMs: number;
  readonly thresholds: readonly LatencyThreshold[];
}

export const LATENCY_POLICY = 'latency';

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toPrecision(3));

export function staticThresholdFor(
  root: Pick<RootView, 'service' | 'operation'>,
  thresholds: readonly LatencyThreshold[],
): LatencyThreshold | undefined {
  return thresholds.find(
    (t) =>
      (t.service === undefined || t.service === root.service) &&
      (t.operation === undefined || t.operation === root.operation),
  );
}

/** The batch's root durations by service and operation (the sketches' key). */
function batchDurations(latencies: BatchTally['latencies']): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { service, operation, durationMs } of latencies) {
    const key = `${service}\u0000${operation}`;
    const list = out.get(key);
    if (list) list.push(durationMs);
    else out.set(key, [durationMs]);
  }
  return out;
}

export function latencyPolicy(options: LatencyPolicyOptions): SamplingPolicy {
  const quantile = options.percentile / 100;
  const label = `p${options.percentile}`;
  return {
    name: LATENCY_POLICY,
    decide(traces, context) {
      // Sketches do not change within a batch: one quantile per key per batch.
      const live = new Map<string, { valueMs: number; count: number } | undefined>();
      const batch = batchDurations(context.tally.latencies);
      return traces.map((trace): PolicyVerdict | undefined => {
        const root = trace.root;
        if (!root) return undefined;
        const where = `(${root.service} "${root.operation}")`;
        const fixed = staticThresholdFor(root, options.thresholds);
        if (fixed && root.durationMs > fixed.thresholdMs) {
          return {
            keep: true,
            policy: LATENCY_POLICY,
            threshold: undefined,
            reason: `root ${ms(root.durationMs)} ms > static threshold ${ms(fixed.thresholdMs)} ms ${where}`,
          };
        }
        const key = `${root.service}\u0000${root.operation}`;
        if (!live.has(key)) {
          const q = context.state.sketches.quantile(root.service, root.operation, quantile, batch.get(key));
          live.set(
            key,
            q && q.count >= options.minSamples && q.valueMs >= options.minLiveThresholdMs ? q : undefined,
          );
        }
        const threshold = live.get(key);
        if (threshold && root.durationMs > threshold.valueMs) {
          return {
            keep: true,
            policy: LATENCY_POLICY,
            threshold: undefined,
            reason: `root ${ms(root.durationMs)} ms > live ${label} ${ms(threshold.valueMs)} ms of ${threshold.count} traces ${where}`,
          };
        }
        return undefined;
      });
    },
  };
}
