/**
 * Recent decisions of this container, keep and drop, by trace: a cache only. A late fragment found
 * here follows its trace's decision without asking the store, and is dropped along with a trace
 * that was dropped. When the container is gone, the kept-traces store still answers for kept traces
 * and consistent probability still answers for the probabilistic part; only decisions of
 * deterministic drop policies are forgotten (see sampler.ts on rootless fragments).
 */
import type { SamplingDecision } from '../shared/sampling/kept-trace.ts';

export class DecisionCache {
  private readonly capacity: number;
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, SamplingDecision>();

  public constructor(capacity: number) {
    this.capacity = capacity;
  }

  public get(key: string): SamplingDecision | undefined {
    const decision = this.entries.get(key);
    if (decision) {
      this.entries.delete(key);
      this.entries.set(key, decision);
    }
    return decision;
  }

  public set(key: string, decision: SamplingDecision): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, decision);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
