/**
 * Trace -> Kinesis hash key. Kinesis places a record by a 128-bit hash key; tracesift sets it
 * explicitly (ExplicitHashKey) to MD5 of the trace id, the same function Kinesis applies to
 * partition keys. Hashing (rather than using the id bytes directly) keeps shards even when trace ids
 * are not uniformly random, e.g. AWS X-Ray-style ids that start with a timestamp.
 *
 * MD5 is computed here rather than with node:crypto: a trace id is 16 bytes, one MD5 block with
 * fixed padding, and createHash's object, native calls and digest Buffer took 11% of protobuf
 * ingest in a CPU profile of the benchmark workload (issue 18): 2.1 us a key against 0.33 us for
 * this loop, bigint included.
 */

/** MD5's per-step additive constants, floor(|sin(i + 1)| * 2^32) (RFC 1321). */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32));
/** MD5's per-step rotations, by round. */
const SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
] as const;
const S = Uint8Array.from({ length: 64 }, (_, i) => SHIFTS[i >> 4]?.[i & 3] ?? 0);
/** Message word of each step: i, 5i + 1, 3i + 5, 7i (mod 16) in rounds 1 to 4. */
const G = Uint8Array.from({ length: 64 }, (_, i) =>
  i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15,
);

/** The one block of a 16-byte message: its four words, then the padding and its bit length (128). */
const block = new Int32Array(16);
block[4] = 0x80;
block[14] = 128;

/**
 * MD5 of the 16 trace id bytes at `offset`, written to `out` from `at` as the four 32-bit words of
 * the 128-bit hash key, most significant first (the digest read big-endian, as Kinesis reads it).
 */
export function traceHashWords(bytes: Uint8Array, offset: number, out: Uint32Array, at = 0): void {
  for (let i = 0; i < 4; i++) {
    const at = offset + 4 * i;
    block[i] =
      (bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    const f =
      round === 0
        ? (b & c) | (~b & d)
        : round === 1
          ? (d & b) | (~d & c)
          : round === 2
            ? b ^ c ^ d
            : c ^ (b | ~d);
    const sum = (a + f + (K[i] as number) + (block[G[i] as number] as number)) | 0;
    const s = S[i] as number;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
  }
  out[at] = byteSwapped((a + 0x67452301) | 0);
  out[at + 1] = byteSwapped((b + 0xefcdab89) | 0);
  out[at + 2] = byteSwapped((c + 0x98badcfe) | 0);
  out[at + 3] = byteSwapped((d + 0x10325476) | 0);
}

/** MD5 writes its words little-endian; the hash key reads the digest big-endian. */
function byteSwapped(x: number): number {
  return ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24)) >>> 0;
}

const words = new Uint32Array(4);

/** 128-bit MD5 of the 16 trace id bytes at `offset`, as a bigint. */
export function traceHashKey(bytes: Uint8Array, offset = 0): bigint {
  traceHashWords(bytes, offset, words);
  return hashKeyOfWords(words, 0);
}

/** The hash key whose four words (most significant first) start at `at` in `words`. */
export function hashKeyOfWords(words: Uint32Array, at: number): bigint {
  return (
    (BigInt(words[at] as number) << 96n) |
    (BigInt(words[at + 1] as number) << 64n) |
    (BigInt(words[at + 2] as number) << 32n) |
    BigInt(words[at + 3] as number)
  );
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
  return laneOfLowWord(Number(hashKey & 0xffffffffn), lanes);
}

/** laneOf from the hash key's least significant 32 bits (its last word). */
export function laneOfLowWord(lowWord: number, lanes: number): number {
  return lanes <= 1 ? 0 : lowWord % lanes;
}

export function partitionKeyOfLane(lane: number): string {
  return `lane-${lane}`;
}
