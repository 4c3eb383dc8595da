/**
 * Trace -> Kinesis hash key. Kinesis places a record by a 128-bit hash key; tracesift sets it
 * explicitly (ExplicitHashKey) to MD5 of the trace id, the same function Kinesis applies to
 * partition keys. Hashing (rather than using the id bytes directly) keeps shards even when trace ids
 * are not uniformly random, e.g. AWS X-Ray-style ids that start with a timestamp.
 */
import { createHash } from 'node:crypto';

/** 128-bit MD5 of the 16 trace id bytes at `offset`, as a bigint. */
export function traceHashKey(bytes: Uint8Array, offset = 0): bigint {
  const digest = createHash('md5')
    .update(bytes.subarray(offset, offset + 16))
    .digest();
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
}

/** Same as traceHashKey for a hex trace id. */
export function traceHashKeyOfHex(traceIdHex: string): bigint {
  return traceHashKey(Buffer.from(traceIdHex, 'hex'));
}

export const MAX_HASH_KEY = (1n << 128n) - 1n;

/**
 * Processing lane of a trace within its shard, for event source mappings with a
 * ParallelizationFactor above 1: Lambda keeps records with one partition key in one concurrent
 * batch, so every record carrying spans of a trace must use the same partition key. Derived from
 * the low bits of the hash key so it is independent of the shard boundaries (the high bits).
 */
export function laneOf(hashKey: bigint, lanes: number): number {
  return lanes <= 1 ? 0 : Number(hashKey & 0xffffffffn) % lanes;
}

export function partitionKeyOfLane(lane: number): string {
  return `lane-${lane}`;
}
