/**
 * What a sampler learns from traffic, per shard (and lane): root-duration sketches (live
 * percentiles), budget arrival rates, and the decisions of the last traceTimeout + sendDelay.
 * Statistics are persisted on a timer (losing them costs accuracy for a while, not spans); recent
 * decisions are persisted after every invocation that decided a trace, so that fragments of a
 * trace follow its decision in whichever container the shard's next batch lands.
 *
 * Observations of a batch are collected in a BatchTally while deciding and applied only once the
 * batch has succeeded, so a retried batch is not counted twice.
 */
import type { SamplingConfig } from '../../shared/config/index.ts';
import type { PreparedRecord } from '../../shared/stream/index.ts';
import { ArrivalRates, type RatesDocument } from './arrival-rates.ts';
import { LatencySketches, type SketchDocument } from './latency-sketches.ts';
import { NO_PENDING, type PendingReference, type PendingTraces, pendingBytes } from './pending.ts';
import { RecentDecisions, type RecentDecisionsDocument } from './recent-decisions.ts';
import type { DocumentVersion } from './state-store.ts';

export interface SamplerState {
  readonly sketches: LatencySketches;
  readonly rates: ArrivalRates;
  readonly recent: RecentDecisions;
  /** The traces not ready yet, as last committed (pending.ts). */
  pending: PendingTraces;
  /** A wake-up record is in the stream and has not come back yet. */
  wakeUpOutstanding: boolean;
  /** The saved document may name a set already handled (a fall back could not save): save next time. */
  documentStale: boolean;
  /**
   * The version of the shard's document this state was read from or last saved as (null: none
   * yet). Saves are conditional on it, so a container whose state is stale (another one committed
   * meanwhile) cannot overwrite the newer document and its pending set.
   */
  documentVersion: DocumentVersion;
  /** Wake-up records for sibling shards that adopt part of the same parents' sets (pend.ts), not yet put. */
  siblingWakeUps: PreparedRecord[];
  /** Wall-clock time of the last save (or load), to save on a timer. */
  lastSavedAtMs: number;
}

/** The persisted form of one shard's state. */
export interface StateDocument {
  readonly version: 1;
  readonly shardId: string;
  readonly savedAtMs: number;
  /** The share of the stream's traces the shard saw (its hash range fraction / lanes). */
  readonly streamShare: number;
  readonly sketches: SketchDocument;
  readonly rates: RatesDocument;
  /** Absent in documents saved before decisions were persisted. */
  readonly recent?: RecentDecisionsDocument;
  /** The pending traces this document commits; absent when there are none. */
  readonly pending?: PendingReference;
  readonly wakeUpOutstanding?: boolean;
}

export interface BatchTally {
  /** Root durations of every trace decided in the batch, kept or not. */
  readonly latencies: Array<{ service: string; operation: string; durationMs: number }>;
  /** Budget candidates per key, and the arrival time the batch covers. */
  budget: { readonly counts: ReadonlyMap<string, number>; readonly coveredMs: number } | undefined;
}

export function emptyTally(): BatchTally {
  return { latencies: [], budget: undefined };
}

export function newSamplerState(
  config: SamplingConfig,
  nowMs: number,
  batchingWindowSeconds: number,
): SamplerState {
  return {
    sketches: new LatencySketches({
      relativeAccuracy: config.latency.relativeAccuracy,
      windowMs: config.latency.windowSeconds * 1000,
      maxKeys: config.latency.maxKeys,
    }),
    rates: new ArrivalRates({
      smoothingMs: (config.budget?.smoothingSeconds ?? 60) * 1000,
      maxKeys: config.budget?.maxKeys ?? 2_000,
    }),
    recent: new RecentDecisions(decisionHorizonMs(config, batchingWindowSeconds)),
    pending: NO_PENDING,
    wakeUpOutstanding: false,
    documentStale: false,
    documentVersion: null,
    siblingWakeUps: [],
    lastSavedAtMs: nowMs,
  };
}

/**
 * How long a decision must be followable from the shard's own state: a fragment can arrive up to
 * traceTimeout after the trace's first span, and the trace can be decided as early as sendDelay
 * after its root, each seen one batching window late.
 */
export function decisionHorizonMs(config: SamplingConfig, batchingWindowSeconds: number): number {
  return (config.traceTimeoutSeconds + config.sendDelaySeconds + batchingWindowSeconds) * 1000;
}

/** Applies a successful batch's observations. */
export function commitTally(state: SamplerState, tally: BatchTally, watermarkMs: number): void {
  for (const { service, operation, durationMs } of tally.latencies) {
    state.sketches.record(service, operation, durationMs, watermarkMs);
  }
  if (tally.budget) state.rates.observe(tally.budget.counts, tally.budget.coveredMs);
}

export function toStateDocument(
  state: SamplerState,
  shardId: string,
  streamShare: number,
  savedAtMs: number,
): StateDocument {
  return {
    version: 1,
    shardId,
    savedAtMs,
    streamShare,
    sketches: state.sketches.toDocument(),
    rates: state.rates.toDocument(),
    recent: state.recent.toDocument(),
    ...(state.pending.key !== undefined || state.pending.coveredSequence !== undefined
      ? { pending: pendingReferenceOf(state.pending) }
      : {}),
    ...(state.wakeUpOutstanding ? { wakeUpOutstanding: true } : {}),
  };
}

function pendingReferenceOf(pending: PendingTraces): PendingReference {
  return {
    key: pending.key,
    records: pending.records.length,
    spans: pending.spans,
    bytes: pendingBytes(pending.records),
    coveredSequence: pending.coveredSequence,
  };
}

/** Saved states older than this describe traffic too old to be worth starting from. */
export const MAX_STATE_AGE_MS = 24 * 3600 * 1000;

/**
 * Seeds a fresh state from the shard's own saved document or, when it has none (a new shard after
 * a split, or a first start), from other shards' documents: their sketches merge (each is an
 * unbiased sample of the same traffic) and their rates are scaled to this shard's share.
 */
export function restoreState(
  state: SamplerState,
  own: StateDocument | undefined,
  others: readonly StateDocument[],
  streamShare: number,
  nowMs: number,
): 'own' | 'others' | 'none' {
  const fresh = (doc: StateDocument): boolean => nowMs - doc.savedAtMs <= MAX_STATE_AGE_MS;
  if (own && fresh(own)) {
    state.sketches.merge(own.sketches);
    state.rates.merge(own.rates, streamShare / own.streamShare);
    if (own.recent) state.recent.merge(own.recent);
    return 'own';
  }
  const usable = others.filter(fresh);
  if (usable.length === 0) return 'none';
  for (const doc of usable) {
    // A split child adopts its parent's decisions: ids outside its range are never asked for.
    if (doc.recent) state.recent.merge(doc.recent);
    state.sketches.merge(doc.sketches);
    state.rates.merge(doc.rates, streamShare / doc.streamShare, 1 / usable.length);
  }
  return 'others';
}
