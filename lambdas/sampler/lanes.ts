/**
 * Lanes: with a ParallelizationFactor above 1, Lambda runs several batches of one shard at once and
 * keeps each partition key's records in order on one of them, but several keys may share one, so a
 * batch can hold records of several lanes (partition keys `lane-N`). Each lane has its own state
 * (stateIdOf) that only its own records change, so the batch is sampled lane by lane, each lane's
 * records in their order, lanes in the order of their first record.
 *
 * Failures keep the event source mapping's contract for the batch as a whole:
 *   - a lane whose poison record is not the batch's first record reports it as the batch item
 *     failure instead of failing the invocation. The mapping retries from it; the records of other
 *     lanes after it were committed and are skipped on the retry as already folded
 *     (state/pending.ts `unfolded`), so nothing is decided twice;
 *   - any other error fails the invocation after the lanes before it committed; on the retry their
 *     records are skipped the same way.
 */
import type { StreamRecord } from './batch.ts';
import { PoisonBatchError } from './errors.ts';
import { type BatchInput, type SamplerDeps, type SamplerRuntime, sampleBatch } from './sampler.ts';
import { stateIdOf } from './shard-context.ts';

export interface LanesOutcome {
  /** The earliest record not handled in any lane, to report as the batch item failure. */
  readonly failedSequenceNumber: string | undefined;
}

export async function sampleLanes(
  input: BatchInput,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<LanesOutcome> {
  const lanes = lanesOf(input, deps.config.ingest.lanes);
  if (lanes.length <= 1) return sampleBatch(input, deps, runtime);
  const batchHead = input.records[0]?.sequenceNumber;
  const failures: string[] = [];
  for (const records of lanes) {
    try {
      const outcome = await sampleBatch({ ...input, records }, deps, runtime);
      if (outcome.failedSequenceNumber) failures.push(outcome.failedSequenceNumber);
    } catch (error) {
      if (!(error instanceof PoisonBatchError) || error.sequenceNumber === batchHead) throw error;
      failures.push(error.sequenceNumber);
    }
  }
  return { failedSequenceNumber: earliest(failures) };
}

/** The batch's records grouped by lane (their state's name), each group in the batch's order. */
export function lanesOf(input: BatchInput, lanes: number): StreamRecord[][] {
  const byLane = new Map<string, StreamRecord[]>();
  for (const record of input.records) {
    const lane = stateIdOf(input.shardId, [record], lanes);
    const group = byLane.get(lane);
    if (group) group.push(record);
    else byLane.set(lane, [record]);
  }
  return [...byLane.values()];
}

function earliest(sequenceNumbers: readonly string[]): string | undefined {
  let first: string | undefined;
  for (const s of sequenceNumbers) if (first === undefined || BigInt(s) < BigInt(first)) first = s;
  return first;
}
