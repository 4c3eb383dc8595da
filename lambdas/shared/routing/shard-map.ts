/**
 * The stream's open shards and their hash key ranges, to pack the traces bound for one shard into
 * one record (as the Kinesis Producer Library's aggregation does).
 */

export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
}

/** A lookup structure over open shards, sorted by starting hash key. */
export class ShardMap {
  public readonly shards: readonly ShardRange[];
  private readonly starts: bigint[];
  /** The starting hash keys as four 32-bit words each, most significant first, for indexOfWords. */
  private readonly startWords: Uint32Array;

  public constructor(shards: readonly ShardRange[]) {
    if (shards.length === 0) throw new Error('a shard map needs at least one open shard');
    this.shards = [...shards].sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
    this.starts = this.shards.map((s) => s.startingHashKey);
    this.startWords = new Uint32Array(this.starts.length * 4);
    this.starts.forEach((start, i) => {
      for (let w = 0; w < 4; w++)
        this.startWords[4 * i + w] = Number((start >> BigInt(96 - 32 * w)) & 0xffffffffn);
    });
  }

  /** Index of the shard whose range holds `hashKey`. */
  public indexOf(hashKey: bigint): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as bigint) <= hashKey) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * indexOf for the hash key whose four words (most significant first) start at `at` in `words`:
   * ingest routes every trace of a request, and comparing words takes no bigint per trace.
   */
  public indexOfWords(words: Uint32Array, at: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.startsAtOrBelow(mid, words, at)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Whether shard `index` starts at or below the hash key in `words` at `at`. */
  private startsAtOrBelow(index: number, words: Uint32Array, at: number): boolean {
    const start = this.startWords;
    for (let w = 0; w < 4; w++) {
      const s = start[4 * index + w] as number;
      const k = words[at + w] as number;
      if (s !== k) return s < k;
    }
    return true;
  }

  public shardOf(hashKey: bigint): ShardRange {
    return this.shards[this.indexOf(hashKey)] as ShardRange;
  }

  public get(shardId: string): ShardRange | undefined {
    return this.shards.find((s) => s.shardId === shardId);
  }

  /** Fraction of the hash key space a shard owns: the share of all traces it sees. */
  public static fractionOf(shard: ShardRange): number {
    return Number(shard.endingHashKey - shard.startingHashKey + 1n) / 2 ** 128;
  }
}

/** Whether `hashKey` lies in the shard's range. */
export function shardOwns(shard: ShardRange, hashKey: bigint): boolean {
  return hashKey >= shard.startingHashKey && hashKey <= shard.endingHashKey;
}
