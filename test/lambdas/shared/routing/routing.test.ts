import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  laneOf,
  MAX_HASH_KEY,
  traceHashKey,
  traceHashKeyOfHex,
} from '../../../../lambdas/shared/routing/hash-key.ts';
import { ShardMap, shardOwns } from '../../../../lambdas/shared/routing/shard-map.ts';

const shards = [
  { shardId: 'shardId-000000000002', startingHashKey: 200n, endingHashKey: MAX_HASH_KEY },
  { shardId: 'shardId-000000000000', startingHashKey: 0n, endingHashKey: 99n },
  { shardId: 'shardId-000000000001', startingHashKey: 100n, endingHashKey: 199n },
];

describe('ShardMap', () => {
  const map = new ShardMap(shards);
  const cases: Array<[bigint, string]> = [
    [0n, 'shardId-000000000000'],
    [99n, 'shardId-000000000000'],
    [100n, 'shardId-000000000001'],
    [199n, 'shardId-000000000001'],
    [200n, 'shardId-000000000002'],
    [MAX_HASH_KEY, 'shardId-000000000002'],
  ];
  it.each(cases)('puts hash key %s (a range boundary) on %s', (hash, shardId) => {
    expect(map.shardOf(hash).shardId).toBe(shardId);
    expect(shardOwns(map.shardOf(hash), hash)).toBe(true);
  });

  it('gives each shard its share of the key space', () => {
    const total = map.shards.reduce((sum, s) => sum + ShardMap.fractionOf(s), 0);
    expect(total).toBeCloseTo(1, 12);
  });

  it('refuses an empty shard list', () => {
    expect(() => new ShardMap([])).toThrow(/at least one open shard/);
  });
});

describe('trace hash key', () => {
  it('is the MD5 of the trace id bytes, as Kinesis hashes partition keys', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const expected = BigInt(`0x${createHash('md5').update(Buffer.from(id, 'hex')).digest('hex')}`);
    expect(traceHashKeyOfHex(id)).toBe(expected);
    expect(traceHashKey(Buffer.concat([Buffer.from([1, 2]), Buffer.from(id, 'hex')]), 2)).toBe(expected);
  });

  it('spreads sequential, timestamp-led ids (X-Ray style) evenly over four shards', () => {
    const quarter = (MAX_HASH_KEY + 1n) / 4n;
    const counts = new Map<bigint, number>();
    for (let i = 0; i < 4000; i++) {
      const shard = traceHashKeyOfHex(`6740a1b2${i.toString(16).padStart(24, '0')}`) / quarter;
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('assigns lanes from the low bits, independent of shard ranges', () => {
    expect(laneOf(12345n, 1)).toBe(0);
    expect(laneOf((1n << 127n) + 7n, 4)).toBe(3);
  });
});
