/** Routing traces to shards: hash keys, lanes, the shard map and its directory. */
export {
  hashKeyOfWords,
  laneOf,
  laneOfLowWord,
  MAX_HASH_KEY,
  partitionKeyOfLane,
  traceHashKey,
  traceHashKeyOfHex,
  traceHashWords,
} from './hash-key.ts';
export { ShardDirectory } from './shard-directory.ts';
export { ShardMap, type ShardRange, shardOwns } from './shard-map.ts';
