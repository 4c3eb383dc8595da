/**
 * Seeded randomness for the demo workload: the same seed plans the same requests (arrival times,
 * routes, tenants, faults) and the same per-hop latencies, so a run can be repeated. Trace ids stay
 * truly random (the SDK's generator): repeating ids would collide with traces kept by earlier runs.
 */

/** A uniform generator in [0, 1) from a 32-bit seed (mulberry32: tiny, fast, good enough for a workload). */
export type Uniform = () => number;

export function seededUniform(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over a string: derives independent seeds per (request, service, step) from one request seed. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** An exponentially distributed gap with the given mean (Poisson arrivals). */
export function exponential(uniform: Uniform, mean: number): number {
  return -Math.log(1 - uniform()) * mean;
}

/** An integer in [min, max], both inclusive. */
export function integerBetween(uniform: Uniform, min: number, max: number): number {
  return min + Math.floor(uniform() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(uniform: Uniform, items: readonly [T, ...T[]]): T {
  return items[Math.floor(uniform() * items.length)] ?? items[0];
}
