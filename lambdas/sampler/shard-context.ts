/**
 * Where a batch stands: its shard's hash key range (to spot traces it does not own), its share of
 * the stream (for the budget), its lane, and the shard-and-lane state (statistics and recent
 * decisions) restored from S3 on the container's first batch and persisted after each batch.
 */
import { laneOf, traceHashKey } from '../shared/routing/hash-key.ts';
import { ShardMap, type ShardRange } from '../shared/routing/shard-map.ts';
import type { BatchAssembly } from './batch.ts';
import { StateStoreError } from './errors.ts';
import type { SamplerDeps, SamplerRuntime } from './sampler.ts';
import { newSamplerState, restoreState, type SamplerState, toStateDocument } from './state/sampler-state.ts';

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
 * Every trace of a batch is of one lane (ingest puts a lane's traces under the lane's partition
 * key), so the batch's first trace tells it.
 */
export function stateIdOf(shardId: string, assembly: BatchAssembly, lanes: number): string {
  if (lanes <= 1) return shardId;
  const first = assembly.traces.values().next().value;
  const lane = first ? laneOf(traceHashKey(first.idBytes, first.idAt), lanes) : 0;
  return `${shardId}.lane-${lane}`;
}

export async function stateFor(
  stateId: string,
  streamShare: number,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<SamplerState> {
  const existing = runtime.states.get(stateId);
  if (existing) return existing;
  const now = deps.now();
  const state = newSamplerState(deps.config.sampling, now, deps.config.window.batchingWindowSeconds);
  try {
    const own = await deps.stateStore.load(stateId);
    const others = own ? [] : await deps.stateStore.loadOthers(stateId, MAX_FALLBACK_STATES);
    const source = restoreState(state, own, others, streamShare, now);
    deps.logger.log('info', 'sampler state restored', {
      shardId: stateId,
      source,
      sketches: state.sketches.size,
      recentDecisions: state.recent.size,
    });
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateLoadFailures', 1);
    deps.logger.log('warn', 'could not restore sampler state; starting empty', { shardId: stateId, error });
  }
  runtime.states.set(stateId, state);
  return state;
}

/**
 * Saves the state when the batch decided traces (their decisions must outlive this container) or
 * when the statistics' timer is due. A failed save is logged and counted, never fatal: until the
 * next save succeeds, fragments in another container follow kept traces through the trace table
 * and the probabilistic part through consistent probability, but not drops by rule or budget.
 */
export async function persistState(
  stateId: string,
  streamShare: number,
  state: SamplerState,
  decidedTraces: number,
  deps: SamplerDeps,
): Promise<void> {
  const at = deps.now();
  const timerDue = at - state.lastSavedAtMs >= deps.config.sampling.latency.persistIntervalSeconds * 1000;
  if (decidedTraces === 0 && !timerDue) return;
  state.lastSavedAtMs = at;
  try {
    await deps.stateStore.save(toStateDocument(state, stateId, streamShare, at));
    deps.metrics.add('StateSaves', 1);
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateSaveFailures', 1);
    deps.logger.log('warn', 'could not persist sampler state', { shardId: stateId, error });
  }
}
