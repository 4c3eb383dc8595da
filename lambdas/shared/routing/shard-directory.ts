/**
 * A cached view of a stream's open shards, listed with ListShards. Ingest packs by it; the sampler
 * uses it to know which hash range its own shard owns. Refreshed after a TTL or on demand (ingest
 * refreshes when PutRecords reports a record landing on another shard than planned).
 */
import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { ShardMap, type ShardRange } from './shard-map.ts';

export interface ShardDirectoryOptions {
  readonly streamName: string;
  readonly ttlMs: number;
  readonly now?: () => number;
}

export class ShardDirectory {
  private readonly client: KinesisClient;
  private readonly options: ShardDirectoryOptions;
  private cached: { map: ShardMap; all: ShardRange[]; at: number } | undefined;
  private inflight: Promise<ShardMap> | undefined;

  public constructor(client: KinesisClient, options: ShardDirectoryOptions) {
    this.client = client;
    this.options = options;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The open shards, listed at most once per TTL (concurrent callers share one listing). */
  public async openShards(): Promise<ShardMap> {
    if (this.cached && this.now() - this.cached.at < this.options.ttlMs) return this.cached.map;
    if (!this.inflight) {
      this.inflight = this.list().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** Every shard the last listing returned, open or closed (closed ones keep their ranges). */
  public async allShards(): Promise<readonly ShardRange[]> {
    await this.openShards();
    return this.cached?.all ?? [];
  }

  /** Forgets the cached map, so the next call lists shards again. */
  public invalidate(): void {
    this.cached = undefined;
  }

  private async list(): Promise<ShardMap> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const response = await this.client.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.options.streamName }),
      );
      shards.push(...(response.Shards ?? []));
      nextToken = response.NextToken;
    } while (nextToken);
    const all = shards.map(toRange);
    const open = shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).map(toRange);
    const map = new ShardMap(open);
    this.cached = { map, all, at: this.now() };
    return map;
  }
}

function toRange(shard: Shard): ShardRange {
  const range = shard.HashKeyRange;
  if (!shard.ShardId || !range?.StartingHashKey || !range.EndingHashKey) {
    throw new Error(`ListShards returned a shard without id or hash key range: ${JSON.stringify(shard)}`);
  }
  return {
    shardId: shard.ShardId,
    startingHashKey: BigInt(range.StartingHashKey),
    endingHashKey: BigInt(range.EndingHashKey),
    ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
    ...(shard.AdjacentParentShardId ? { adjacentParentShardId: shard.AdjacentParentShardId } : {}),
  };
}
