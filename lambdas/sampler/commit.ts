/**
 * Commit: only once the stream and the sink have taken the batch's writes is it as good as
 * checkpointed. Then its decisions go into the container's cache and the shard's recent
 * decisions, its observations into the statistics, and its counters out as metrics; the state is
 * saved (sampler.ts) before the invocation returns, so the next container follows these decisions.
 */

import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import type { Accounting } from './accounting.ts';
import type { Decisions } from './decide.ts';
import type { Readiness } from './readiness.ts';
import type { SamplerRuntime } from './sampler.ts';
import { type BatchTally, commitTally, type SamplerState } from './state/sampler-state.ts';

export interface BatchCounts {
  readonly readiness: ReadonlyMap<Readiness, number>;
  readonly deferredTraces: number;
  readonly forwardedTraces: number;
}

export function commitDecisions(
  decisions: Decisions,
  tally: BatchTally,
  watermarkMs: number,
  state: SamplerState,
  runtime: SamplerRuntime,
): void {
  for (const { key, decision } of decisions.decided) {
    runtime.decisions.set(key, decision);
    state.recent.record(key, decision, watermarkMs);
  }
  state.recent.prune(watermarkMs);
  commitTally(state, tally, watermarkMs);
}

export function emitBatchMetrics(
  counts: BatchCounts,
  accounting: Accounting,
  metrics: Metrics,
  logger: Logger,
): void {
  metrics.add('TracesDeferred', counts.deferredTraces);
  // Why traces were decided: many timeouts mean roots arrive late or never (tune the windows).
  for (const [Readiness, n] of counts.readiness) metrics.add('TracesReady', n, 'Count', { Readiness });
  metrics.add('TracesForwarded', counts.forwardedTraces);
  if (accounting.spansOut !== accounting.spansIn) {
    // Cannot happen by construction; if it ever does, it must be loud.
    metrics.add('ConservationViolations', 1);
    logger.log('error', 'span conservation violated', {
      spansIn: accounting.spansIn,
      spansOut: accounting.spansOut,
    });
  }
}
