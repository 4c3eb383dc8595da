import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hashKeyOfWords,
  laneOf,
  laneOfLowWord,
  MAX_HASH_KEY,
  traceHashKey,
  traceHashKeyOfHex,
  traceHashWords,
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

/** The reference: node:crypto's MD5 of the 16 bytes, read big-endian. */
function md5Key(bytes: Uint8Array, offset: number): bigint {
  return BigInt(
    `0x${createHash('md5')
      .update(bytes.subarray(offset, offset + 16))
      .digest('hex')}`,
  );
}

describe('trace hash key: the hand-written MD5 against node:crypto', () => {
  const oneBit = Array.from({ length: 128 }, (_, bit) => {
    const id = new Uint8Array(16);
    id[bit >> 3] = 0x80 >> (bit & 7);
    return [`bit ${bit} set`, id] as const;
  });
  const boundaries: ReadonlyArray<readonly [string, Uint8Array]> = [
    ['all zero', new Uint8Array(16)],
    ['all 0xff', new Uint8Array(16).fill(0xff)],
    ['all 0x80 (sign bits of every byte)', new Uint8Array(16).fill(0x80)],
    ['ascending bytes', Uint8Array.from({ length: 16 }, (_, i) => i)],
    ...oneBit,
  ];
  it.each(boundaries)('agrees for %s', (_, id) => {
    expect(traceHashKey(id)).toBe(md5Key(id, 0));
  });

  it('agrees on random ids at any offset, and its words make the same key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 40 }), fc.nat(), (bytes, at) => {
        // Prepare
        const offset = at % (bytes.length - 15);
        const words = new Uint32Array(6);

        // Act
        traceHashWords(bytes, offset, words, 2);

        // Assess
        const expected = md5Key(bytes, offset);
        expect(traceHashKey(bytes, offset)).toBe(expected);
        expect(hashKeyOfWords(words, 2)).toBe(expected);
        expect([words[0], words[1]]).toEqual([0, 0]);
      }),
      { numRuns: 2000, seed: 18 },
    );
  });

  it('gives the lane of the low word that laneOf gives of the key', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: MAX_HASH_KEY }),
        fc.integer({ min: 0, max: 64 }),
        (key, lanes) => {
          expect(laneOfLowWord(Number(key & 0xffffffffn), lanes)).toBe(laneOf(key, lanes));
        },
      ),
      { numRuns: 500, seed: 19 },
    );
  });
});

describe('ShardMap.indexOfWords against indexOf', () => {
  const wordsOf = (key: bigint): Uint32Array =>
    Uint32Array.from({ length: 4 }, (_, w) => Number((key >> BigInt(96 - 32 * w)) & 0xffffffffn));
  // Starts that differ only in a low word, or only in a high one, and the ends of the key space.
  const starts = [
    0n,
    1n,
    0xffffffffn,
    1n << 32n,
    (1n << 64n) + 5n,
    1n << 96n,
    (1n << 127n) - 1n,
    MAX_HASH_KEY,
  ];
  const maps = [1, 2, 3, starts.length].map(
    (n) =>
      new ShardMap(
        starts.slice(0, n).map((start, i) => ({
          shardId: `shard-${i}`,
          startingHashKey: i === 0 ? 0n : start,
          endingHashKey: (starts[i + 1] ?? MAX_HASH_KEY + 1n) - 1n,
        })),
      ),
  );
  const edges = starts
    .flatMap((start) => [start - 1n, start, start + 1n])
    .filter((k) => k >= 0n && k <= MAX_HASH_KEY);

  it.each(edges)('puts key %s on the same shard as indexOf, in every map', (key) => {
    for (const map of maps) expect(map.indexOfWords(wordsOf(key), 0)).toBe(map.indexOf(key));
  });

  it('agrees on random keys and random shard boundaries', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 1n, max: MAX_HASH_KEY }), { minLength: 0, maxLength: 12 }),
        fc.array(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), { minLength: 1, maxLength: 20 }),
        (cuts, keys) => {
          const bounds = [0n, ...cuts.sort((a, b) => (a < b ? -1 : 1))];
          const map = new ShardMap(
            bounds.map((start, i) => ({
              shardId: `s${i}`,
              startingHashKey: start,
              endingHashKey: (bounds[i + 1] ?? MAX_HASH_KEY + 1n) - 1n,
            })),
          );
          for (const key of [...keys, ...bounds])
            expect(map.indexOfWords(wordsOf(key), 0)).toBe(map.indexOf(key));
        },
      ),
      { numRuns: 500, seed: 20 },
    );
  });
});
