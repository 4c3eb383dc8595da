/**
 * Trace buckets: how a shard-hour above `compaction.maxInputBytes` is cut into parts that each
 * hold whole traces, so that every part is refreshed (refresh.ts) exactly as a small shard-hour is:
 * spans de-duplicated by span id, one summary row per trace, edges recounted from the kept spans.
 *
 * Every trace id hashes to one of SLOTS slots. A census of the input files' trace ids (the key
 * column alone) weighs each slot in Parquet bytes, a file's bytes spread evenly over its rows; runs
 * of consecutive slots are then packed into buckets of at most the target weight. A slot heavier
 * than the target (one trace, bounded by the sampler's per-trace limits) is a bucket alone; SLOTS
 * keeps every bucket within the target up to SLOTS targets of input (4 GiB at the default 1 MiB).
 * Memory: SLOTS weights.
 */

const SLOTS = 4096;

/** Slot of a trace id: FNV-1a of its characters, so ids that share a prefix still spread. */
export function traceSlot(traceId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) hash = Math.imul(hash ^ traceId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SLOTS;
}

/** Parquet bytes of each slot. */
export class TraceCensus {
  public readonly weights = new Float64Array(SLOTS);

  /** Counts rows of a file by their trace ids, each weighing `bytesPerRow` (the file's size / rows). */
  public add(traceIds: readonly string[], bytesPerRow: number): void {
    for (const traceId of traceIds) {
      const slot = traceSlot(traceId);
      this.weights[slot] = (this.weights[slot] ?? 0) + bytesPerRow;
    }
  }
}

/** Consecutive slots packed into buckets of at most `target` bytes of input. */
export class TraceBuckets {
  public readonly count: number;
  private readonly bucketOfSlot: Uint32Array;

  public constructor(weights: Float64Array, target: number) {
    this.bucketOfSlot = new Uint32Array(weights.length);
    let bucket = 0;
    let filled = 0;
    for (let slot = 0; slot < weights.length; slot++) {
      const weight = weights[slot] ?? 0;
      if (filled > 0 && filled + weight > target) {
        bucket++;
        filled = 0;
      }
      this.bucketOfSlot[slot] = bucket;
      filled += weight;
    }
    this.count = bucket + 1;
  }

  public bucketOf(traceId: string): number {
    return this.bucketOfSlot[traceSlot(traceId)] ?? 0;
  }
}
