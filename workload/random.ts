/**
 * Seeded randomness shared by the reference workload, the demo and the tests: the same seed gives
 * the same sequence, so a run or a failing case can be repeated.
 */

/** mulberry32: small, fast, good enough for shaping a workload; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
