/** The shard layout a workload is routed over in benchmarks and tests. */
import { MAX_HASH_KEY, ShardMap } from '../lambdas/shared/routing/index.ts';

/** Open shards splitting the hash key space evenly, as CreateStream does. */
export function evenShardMap(count: number): ShardMap {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  return new ShardMap(
    Array.from({ length: count }, (_, i) => ({
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      startingHashKey: width * BigInt(i),
      endingHashKey: i === count - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n,
    })),
  );
}
