/**
 * Where a batch stands: its shard's hash key range (to spot traces it does not own), its share of
 * the stream (for the budget), its lane, and the shard-and-lane state (statistics, recent
 * decisions, pending traces) restored from S3 on the container's first batch (saved by pend.ts).
 */
import { ShardMap, type ShardRange } from '../shared/routing/index.ts';
import type { StreamRecord } from './batch.ts';
import { PendingUnavailableError, StateStoreError } from './errors.ts';
import { adoptPending, restorePending } from './pend.ts';
import type { SamplerDeps, SamplerRuntime } from './sampler.ts';
import { newSamplerState, restoreState, type SamplerState } from './state/sampler-state.ts';
import type { VersionedDocument } from './state/state-store.ts';

/** Documents of other shards merged when a shard has no state of its own. */
const MAX_FALLBACK_STATES = 16;

export interface ShardContext {
  /** This shard's hash key range; undefined when the shard listing is unavailable. */
  readonly own: ShardRange | undefined;
  /** The range listed now or remembered from an earlier batch: where undecoded records go back. */
  readonly range: ShardRange | undefined;
  readonly openMap: ShardMap | undefined;
  readonly streamShare: number;
}

/**
 * This shard's range and its share of the stream. Without a shard listing the sampler still
 * works: it forwards nothing, and uses the share and range it last knew for this shard.
 */
export async function shardContext(
  shardId: string,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<ShardContext> {
  const lanes = deps.config.ingest.lanes;
  const remembered = runtime.ranges.get(shardId);
  try {
    let all = await deps.shards.allShards();
    let own = all.find((s) => s.shardId === shardId);
    if (!own) {
      // A shard created since the listing was cached (a split): list again once.
      deps.shards.invalidate();
      all = await deps.shards.allShards();
      own = all.find((s) => s.shardId === shardId);
    }
    const openMap = await deps.shards.openShards();
    if (!own) {
      deps.logger.log('warn', 'shard not found in the stream listing; not forwarding', { shardId });
      const streamShare = runtime.shares.get(shardId) ?? 1 / (openMap.shards.length * lanes);
      return { own: undefined, range: remembered, openMap, streamShare };
    }
    const streamShare = ShardMap.fractionOf(own) / lanes;
    runtime.shares.set(shardId, streamShare);
    runtime.ranges.set(shardId, own);
    return { own, range: own, openMap, streamShare };
  } catch (error) {
    deps.metrics.add('ShardListFailures', 1);
    deps.logger.log('warn', 'could not list shards; not forwarding this batch', { shardId, error });
    const streamShare = runtime.shares.get(shardId) ?? 1 / lanes;
    return { own: undefined, range: remembered, openMap: undefined, streamShare };
  }
}

/**
 * The state's name: the shard id, and with several lanes the lane too, so lanes of one shard
 * (run at once by the event source mapping's ParallelizationFactor) never overwrite each other.
 * A record's lane is its partition key `lane-N` (ingest and the sampler write a lane's traces
 * under it); a batch holding several lanes is split first (lanes.ts), so `records` are of one lane.
 */
export function stateIdOf(shardId: string, records: readonly StreamRecord[], lanes: number): string {
  if (lanes <= 1) return shardId;
  const lane = /^lane-(\d+)$/.exec(records[0]?.partitionKey ?? '')?.[1] ?? '0';
  return `${shardId}.lane-${lane}`;
}

/**
 * The shard's state in this container, restored from S3 on the container's first batch of it:
 * statistics and recent decisions from its own document (or other shards' when it has none), and
 * the pending traces its document names (or, for a new shard after a reshard, its parents').
 * Statistics that cannot be read cost accuracy and are skipped; pending traces that cannot be read
 * fail the batch (PendingUnavailableError), since going on without them would lose their spans.
 */
export async function stateFor(
  stateId: string,
  shard: ShardContext,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<SamplerState> {
  const existing = runtime.states.get(stateId);
  if (existing) return existing;
  const now = deps.now();
  const state = newSamplerState(deps.config.sampling, now, deps.config.window.batchingWindowSeconds);
  const { document: own, version } = await ownDocument(stateId, deps);
  state.documentVersion = version;
  try {
    const others = own ? [] : await deps.stateStore.loadOthers(stateId, MAX_FALLBACK_STATES);
    const source = restoreState(state, own, others, shard.streamShare, now);
    deps.logger.log('info', 'sampler state restored', {
      shardId: stateId,
      source,
      sketches: state.sketches.size,
      recentDecisions: state.recent.size,
      pendingRecords: own?.pending?.records ?? 0,
    });
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateLoadFailures', 1);
    deps.logger.log('warn', "could not read other shards' states; starting empty", {
      shardId: stateId,
      error,
    });
  }
  if (own || !shard.own) state.pending = await restorePending(own, deps);
  else {
    const adoption = await adoptPending(stateId, shard.own, deps.config.ingest.lanes, deps);
    state.pending = adoption.pending;
    state.siblingWakeUps = adoption.siblingWakeUps;
  }
  state.wakeUpOutstanding = own?.wakeUpOutstanding === true;
  runtime.states.set(stateId, state);
  return state;
}

/** The shard's own document; unreadable, it may name pending traces, so the batch fails and is retried. */
async function ownDocument(stateId: string, deps: SamplerDeps): Promise<VersionedDocument> {
  try {
    return await deps.stateStore.loadVersioned(stateId);
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateLoadFailures', 1);
    deps.logger.log('error', 'could not read the sampler state; retrying the batch', {
      shardId: stateId,
      error,
    });
    throw new PendingUnavailableError(`the state document of ${stateId}`, { cause: error });
  }
}
