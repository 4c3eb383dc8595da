/**
 * Seeded randomness for the demo workload: the same seed plans the same requests (arrival times,
 * routes, tenants, faults) and the same per-hop latencies, so a run can be repeated. Trace ids stay
 * truly random (the SDK's generator): repeating ids would collide with traces kept by earlier runs.
 */
import { seededRandom } from '../workload/random.ts';

/** A uniform generator in [0, 1) from a 32-bit seed: the benchmark workload's mulberry32. */
export type Uniform = () => number;

export const seededUniform: (seed: number) => Uniform = seededRandom;

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
