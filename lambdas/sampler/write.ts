/**
 * Write: the stream first (traces forwarded to their owner shard, records passed on undecoded, a
 * wake-up record while traces are pending), the sink second. Deferred traces are not written here:
 * they wait in the shard's pending set (pend.ts). If the sink then fails, the batch is retried and
 * its forwarded traces are written again; the copies meet in a later batch and are merged by span
 * id, so a retry costs duplicates that dedupe absorbs, never lost or double-stored spans.
 */
import { RecordOrigin } from '../shared/record/index.ts';
import type { ShardMap, ShardRange } from '../shared/routing/index.ts';
import {
  type BatchRef,
  type KeptTrace,
  NOTHING_OVER_LIMIT,
  type SinkWriteOutcome,
} from '../shared/sampling/kept-trace.ts';
import { type PreparedRecord, putWithDeadline } from '../shared/stream/index.ts';
import type { PassThroughRecord } from './batch.ts';
import { ShardRangeUnknownError, SinkWriteError, StreamWriteError } from './errors.ts';
import { type OutgoingTrace, packTraces } from './reput.ts';
import type { SamplerDeps } from './sampler.ts';

export interface Outgoing {
  readonly shardId: string;
  readonly forwarded: readonly OutgoingTrace[];
  readonly passThrough: readonly PassThroughRecord[];
  readonly openMap: ShardMap | undefined;
  /** This shard's range, listed or remembered: where undecoded records go back. */
  readonly range: ShardRange | undefined;
  /** Records without spans that bring a shard back to its pending traces (pend.ts). */
  readonly wakeUps: readonly PreparedRecord[];
}

export async function writeOutgoing(
  outgoing: Outgoing,
  deps: SamplerDeps,
  signal?: AbortSignal,
): Promise<void> {
  const routing = {
    shardMap: outgoing.openMap,
    lanes: deps.config.ingest.lanes,
    maxRecordBytes: deps.config.ingest.maxRecordBytes,
  };
  const records: PreparedRecord[] = [
    ...packTraces(outgoing.forwarded, RecordOrigin.FORWARDED, routing),
    ...passedOn(outgoing),
    ...outgoing.wakeUps,
  ];
  signal?.throwIfAborted();
  await putRecords(records, deps);
}

/**
 * Undecoded records keep their bytes; their traces' hash keys are unknown, so any key of this
 * shard's range brings them back here (a split child forwards what it does not own). Without a
 * known range the batch fails and is retried rather than sent to a guessed shard.
 */
function passedOn(outgoing: Outgoing): PreparedRecord[] {
  if (outgoing.passThrough.length === 0) return [];
  if (!outgoing.range) throw new ShardRangeUnknownError(outgoing.shardId);
  const explicitHashKey = outgoing.range.startingHashKey.toString();
  return outgoing.passThrough.map(({ record, spanCount }) => ({
    data: record.data,
    partitionKey: record.partitionKey,
    explicitHashKey,
    expectedShardId: undefined,
    spanCount,
  }));
}

export async function writeKept(
  kept: readonly KeptTrace[],
  batch: BatchRef,
  deps: SamplerDeps,
  signal?: AbortSignal,
): Promise<SinkWriteOutcome> {
  if (kept.length === 0) return NOTHING_OVER_LIMIT;
  signal?.throwIfAborted();
  try {
    return await deps.sink.write(kept, batch, signal);
  } catch (error) {
    deps.logger.log('error', 'trace sink failed', { shardId: batch.shardId, error });
    throw new SinkWriteError(kept.length, { cause: error });
  }
}

/** Puts records within the put deadline; a failure to put them all fails the batch (StreamWriteError). */
export async function putRecords(records: readonly PreparedRecord[], deps: SamplerDeps): Promise<void> {
  if (records.length === 0) return;
  const outcome = await putWithDeadline(records, {
    kinesis: deps.kinesis,
    streamName: deps.streamName,
    deadlineMs: deps.config.sampling.putDeadlineMs,
    now: deps.now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    shards: deps.shards,
    metrics: deps.metrics,
  });
  if (!outcome.ok) {
    deps.logger.log('error', 'stream did not accept deferred or forwarded traces', {
      recordsFailed: outcome.recordsFailed,
      lastError: outcome.lastError,
    });
    throw new StreamWriteError(outcome.recordsFailed, outcome.spansFailed, outcome.lastError);
  }
}
