/**
 * Pend: traces that are not ready wait in their shard's (lane's) pending set (state/pending.ts)
 * rather than going back to the stream, so each span is written to the stream once. Phases:
 *
 *   restore   a container's first batch of a shard reads the set its state document names; a new
 *             shard after a reshard adopts its parents' sets, the traces that hash into its range
 *   commit    after the batch's writes, the next set goes to a new object and the state document
 *             naming it is saved: that save is the commit point. If S3 refuses either, the traces
 *             go back to the stream as before (never lost) and the set in memory is empty
 *   wake-up   while a set is pending, one record without spans is in the stream, so a shard that
 *             goes quiet is still invoked and decides its traces at their send delay or timeout
 */
import { encodeRecord, RecordOrigin } from '../shared/record/index.ts';
import { laneOf, partitionKeyOfLane, type ShardRange, traceHashKey } from '../shared/routing/index.ts';
import type { PreparedRecord } from '../shared/stream/index.ts';
import type { Accounting } from './accounting.ts';
import { assembleBatch, type StreamRecord } from './batch.ts';
import { PendingTracesLostError, StateStoreError } from './errors.ts';
import { carryOf, type OutgoingTrace, packTraces } from './reput.ts';
import type { SamplerDeps } from './sampler.ts';
import {
  decodePending,
  encodePending,
  NO_PENDING,
  type PendingRecord,
  type PendingTraces,
} from './state/pending.ts';
import { type SamplerState, type StateDocument, toStateDocument } from './state/sampler-state.ts';
import { putRecords } from './write.ts';

const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** The pending set a state document names (empty if none). Lost or corrupt sets are counted and skipped. */
export async function restorePending(
  document: StateDocument | undefined,
  deps: SamplerDeps,
): Promise<PendingTraces> {
  const reference = document?.pending;
  if (!reference) return NO_PENDING;
  const empty = { ...NO_PENDING, coveredSequence: reference.coveredSequence };
  if (reference.key === undefined) return empty;
  const records = await readPending(reference.key, reference.spans, deps);
  if (!records) return empty;
  return { records, spans: reference.spans, coveredSequence: reference.coveredSequence, key: reference.key };
}

async function readPending(
  key: string,
  spans: number,
  deps: SamplerDeps,
): Promise<PendingRecord[] | undefined> {
  try {
    return decodePending(await deps.stateStore.loadPending(key), key);
  } catch (error) {
    if (!(error instanceof PendingTracesLostError)) throw error;
    deps.metrics.add('PendingSpansLost', spans);
    deps.logger.log('error', 'pending traces lost', { key, spans, error });
    return undefined;
  }
}

export interface Adoption {
  readonly pending: PendingTraces;
  /**
   * One wake-up per lane towards each side of this shard's range where the parents left traces:
   * a sibling of a quiet stream is otherwise never invoked to adopt its share.
   */
  readonly siblingWakeUps: PreparedRecord[];
}

/**
 * A shard created by a reshard (no document of its own) takes over the traces of its parents'
 * pending sets that hash into its range; its sibling takes the rest, woken by this shard if the
 * stream is quiet. The event source mapping finishes a parent before its children start, so the
 * parents' sets are final.
 */
export async function adoptPending(
  stateId: string,
  own: ShardRange,
  lanes: number,
  deps: SamplerDeps,
): Promise<Adoption> {
  const records = await parentRecords(stateId, own, deps);
  if (records.length === 0) return { pending: NO_PENDING, siblingWakeUps: [] };
  const assembly = assembleBatch(records, {
    maxSpansPerInvocation: Number.MAX_SAFE_INTEGER,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
  });
  const mine: OutgoingTrace[] = [];
  const siblings = new Map<string, bigint>();
  for (const trace of assembly.traces.values()) {
    const hashKey = traceHashKey(trace.idBytes, trace.idAt);
    const side = hashKey < own.startingHashKey ? 'below' : hashKey > own.endingHashKey ? 'above' : undefined;
    if (side) siblings.set(`${side}/${laneOf(hashKey, lanes)}`, hashKey);
    else mine.push({ trace, hashKey, carry: carryOf(trace, trace.deferrals) });
  }
  const packed = packTraces(mine, RecordOrigin.DEFERRED, {
    shardMap: undefined,
    lanes,
    maxRecordBytes: deps.config.ingest.maxRecordBytes,
  });
  deps.metrics.add('PendingTracesAdopted', mine.length);
  const pending = {
    records: packed.map((r) => ({ data: r.data, arrivalMs: assembly.watermarkMs })),
    spans: packed.reduce((sum, r) => sum + r.spanCount, 0),
    coveredSequence: undefined,
    key: undefined,
  };
  return { pending, siblingWakeUps: [...siblings.values()].map((key) => wakeUpRecord(key, lanes)) };
}

/** The records of the parents' last pending sets, for the same lane. */
async function parentRecords(stateId: string, own: ShardRange, deps: SamplerDeps): Promise<StreamRecord[]> {
  const lane = stateId.includes('.lane-') ? stateId.slice(stateId.indexOf('.lane-')) : '';
  const parents = [own.parentShardId, own.adjacentParentShardId].filter((p): p is string => !!p);
  const records: StreamRecord[] = [];
  for (const parent of parents) {
    const pending = await restorePending(await deps.stateStore.load(`${parent}${lane}`), deps);
    for (const [i, record] of pending.records.entries()) {
      records.push({
        sequenceNumber: String(i),
        partitionKey: '',
        arrivalMs: record.arrivalMs,
        data: record.data,
      });
    }
  }
  return records;
}

/** A record without spans, routed to this shard and lane by a hash key of one of its pending traces. */
export function wakeUpRecord(hashKey: bigint, lanes: number): PreparedRecord {
  return {
    data: encodeRecord({ origin: RecordOrigin.WAKE_UP, spanCount: 0, traces: [] }, new Uint8Array()),
    partitionKey: partitionKeyOfLane(laneOf(hashKey, lanes)),
    explicitHashKey: hashKey.toString(),
    expectedShardId: undefined,
    spanCount: 0,
  };
}

export interface PendCommit {
  readonly stateId: string;
  readonly streamShare: number;
  /** The deferred traces packed as records (reput.ts), and their arrival time (the batch watermark). */
  readonly records: readonly PreparedRecord[];
  readonly watermarkMs: number;
  /** The last input record this batch folded in. */
  readonly coveredSequence: string;
  readonly decidedTraces: number;
}

/**
 * Commits the batch's pending set: a new object, then the state document naming it. The document is
 * saved whenever the batch decided traces, the set is or was non-empty, or the statistics' timer is
 * due. If S3 refuses, the traces go back to the stream (SpansDeferred) and the set in memory is empty.
 */
export async function commitPending(
  commit: PendCommit,
  state: SamplerState,
  accounting: Accounting,
  deps: SamplerDeps,
): Promise<void> {
  const spans = commit.records.reduce((sum, r) => sum + r.spanCount, 0);
  const previousKey = state.pending.key;
  if (!mustSave(commit, state, deps)) {
    state.pending = { ...NO_PENDING, coveredSequence: commit.coveredSequence };
    return;
  }
  try {
    await savePendingSet(commit, spans, state, deps);
    accounting.pending += spans;
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateSaveFailures', 1);
    deps.logger.log('warn', 'could not save pending traces; writing them back to the stream', {
      shardId: commit.stateId,
      error,
    });
    await putRecords(commit.records, deps);
    state.pending = { ...NO_PENDING, coveredSequence: commit.coveredSequence };
    accounting.deferred += spans;
    await forgetHandledSet(commit, state, previousKey, deps);
    return;
  }
  if (previousKey !== undefined) await removeQuietly(previousKey, deps);
}

/** Saved when the batch decided traces, the set is or was non-empty, a save is owed, or the timer is due. */
function mustSave(commit: PendCommit, state: SamplerState, deps: SamplerDeps): boolean {
  const timerDue =
    deps.now() - state.lastSavedAtMs >= deps.config.sampling.latency.persistIntervalSeconds * 1000;
  return (
    timerDue ||
    commit.decidedTraces > 0 ||
    commit.records.length > 0 ||
    state.pending.key !== undefined ||
    state.documentStale
  );
}

/** The new set's object, then the document naming it; an object no document came to name is deleted. */
async function savePendingSet(
  commit: PendCommit,
  spans: number,
  state: SamplerState,
  deps: SamplerDeps,
): Promise<void> {
  const records = commit.records.map((r) => ({ data: r.data, arrivalMs: commit.watermarkMs }));
  const key =
    records.length > 0
      ? await deps.stateStore.savePending(commit.stateId, commit.coveredSequence, encodePending(records))
      : undefined;
  const at = deps.now();
  state.pending = { records, spans, coveredSequence: commit.coveredSequence, key };
  try {
    await saveDocument(commit, state, at, deps);
  } catch (error) {
    if (key !== undefined) await removeQuietly(key, deps);
    throw error;
  }
  state.lastSavedAtMs = at;
  state.documentStale = false;
}

/**
 * After a fall back to the stream, the document in S3 may still name the set this batch read and
 * handled: it is saved once more naming none. If that fails too, the set in memory stays empty and
 * the document is saved by the next invocation; only a new container starting before then reads the
 * handled set again (RELIABILITY.md, known limits).
 */
async function forgetHandledSet(
  commit: PendCommit,
  state: SamplerState,
  previousKey: string | undefined,
  deps: SamplerDeps,
): Promise<void> {
  const at = deps.now();
  try {
    await saveDocument(commit, state, at, deps);
    state.lastSavedAtMs = at;
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateSaveFailures', 1);
    state.documentStale = true;
    return;
  }
  state.documentStale = false;
  if (previousKey !== undefined) await removeQuietly(previousKey, deps);
}

/** The commit point: the document naming the set, saved only over the version this state was read as. */
async function saveDocument(
  commit: PendCommit,
  state: SamplerState,
  at: number,
  deps: SamplerDeps,
): Promise<void> {
  const document = toStateDocument(state, commit.stateId, commit.streamShare, at);
  state.documentVersion = await deps.stateStore.save(document, state.documentVersion);
  deps.metrics.add('StateSaves', 1);
}

/** The replaced set's object; if the delete fails, the bucket's lifecycle rule removes it. */
async function removeQuietly(key: string, deps: SamplerDeps): Promise<void> {
  try {
    await deps.stateStore.removePending(key);
  } catch (error) {
    deps.logger.log('warn', 'could not delete replaced pending traces', { key, error });
  }
}
