/**
 * Arrival rate of budget candidates per key, as a ratio of two exponentially decayed sums: traces
 * counted, and Kinesis arrival time covered by the batches they came in.
 *
 * Why a ratio of sums rather than an average of counts over wall time: the event source mapping
 * may hand a shard's successive batches to different warm containers, so a container sees an
 * arbitrary subset of batches. Counting "traces per second since my last batch" would then
 * undercount by the share of batches seen elsewhere; each batch's count divided by the arrival time
 * that batch covers is right whoever sees it, and the decayed sums average those samples weighted
 * by the time they cover. Uniform decay leaves the ratio unchanged, so persisted sums stay valid
 * after a cold start however long ago they were saved; fresh batches take over within about one
 * smoothing time constant.
 */

export interface RatesDocument {
  readonly coveredMs: number;
  readonly counts: ReadonlyArray<readonly [string, number]>;
}

export interface RateOptions {
  readonly smoothingMs: number;
  readonly maxKeys: number;
}

/** Decayed counts below this are forgotten, so keys that stopped sending do not pile up. */
const FORGET_BELOW = 1e-3;

export class ArrivalRates {
  private readonly options: RateOptions;
  private counts = new Map<string, number>();
  private coveredMs = 0;

  public constructor(options: RateOptions) {
    this.options = options;
  }

  /** Whether `key` is (or can become) tracked under the key limit. */
  public tracks(key: string): boolean {
    return this.counts.has(key) || this.counts.size < this.options.maxKeys;
  }

  /**
   * Traces per second of arrival time for `key`, counting a batch not yet observed (`batchCount`
   * candidates over `batchCoveredMs`) as observe() will: decisions use the batch they are in.
   */
  public ratePerSecond(key: string, batchCount: number, batchCoveredMs: number): number {
    const decay = Math.exp(-batchCoveredMs / this.options.smoothingMs);
    const covered = this.coveredMs * decay + batchCoveredMs;
    if (covered <= 0) return 0;
    return (((this.counts.get(key) ?? 0) * decay + batchCount) / covered) * 1000;
  }

  public observe(batchCounts: ReadonlyMap<string, number>, batchCoveredMs: number): void {
    const decay = Math.exp(-batchCoveredMs / this.options.smoothingMs);
    for (const [key, count] of this.counts) {
      const decayed = count * decay;
      if (decayed < FORGET_BELOW && !batchCounts.has(key)) this.counts.delete(key);
      else this.counts.set(key, decayed);
    }
    for (const [key, count] of batchCounts) {
      if (!this.tracks(key)) continue;
      this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    }
    this.coveredMs = this.coveredMs * decay + batchCoveredMs;
  }

  public toDocument(): RatesDocument {
    return { coveredMs: this.coveredMs, counts: [...this.counts] };
  }

  /**
   * Adopts saved sums. `scale` converts another shard's counts to this shard's share of the stream
   * (their stream fractions' ratio); documents of several shards are averaged by calling this once
   * per document with `weight` 1/n.
   */
  public merge(document: RatesDocument, scale = 1, weight = 1): void {
    if (!(document.coveredMs > 0)) return;
    // Normalise every document to one smoothing time constant of coverage, so averages are fair.
    const norm = (this.options.smoothingMs / document.coveredMs) * weight;
    for (const [key, count] of document.counts) {
      if (!this.tracks(key)) continue;
      this.counts.set(key, (this.counts.get(key) ?? 0) + count * scale * norm);
    }
    this.coveredMs = Math.max(this.coveredMs, this.options.smoothingMs);
  }
}
