/**
 * Trace buckets of an oversized shard-hour: every trace in exactly one bucket, buckets no heavier
 * than the target except for a slot that is heavier alone.
 */
import { describe, expect, it } from 'vitest';
import { TraceBuckets, TraceCensus, traceSlot } from '../../../lambdas/compaction/trace-buckets.ts';

/** Trace ids as the pipeline sees them: 32 hex characters. */
function traceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (0xc0ffee * (i + 1)).toString(16).padStart(32, '0'));
}

function bucketWeights(buckets: TraceBuckets, ids: readonly string[], bytesPerTrace: number): number[] {
  const weights = new Array<number>(buckets.count).fill(0);
  for (const id of ids) weights[buckets.bucketOf(id)] = (weights[buckets.bucketOf(id)] ?? 0) + bytesPerTrace;
  return weights;
}

describe('TraceBuckets', () => {
  it('packs the traces of a census into buckets of at most the target bytes', () => {
    // Prepare
    const ids = traceIds(2_000);
    const census = new TraceCensus();
    census.add(ids.slice(0, 1_000), 100);
    census.add(ids.slice(1_000), 100);
    // Act
    const buckets = new TraceBuckets(census.weights, 20_000);
    // Assess
    const weights = bucketWeights(buckets, ids, 100);
    expect(buckets.count).toBeGreaterThanOrEqual(10);
    expect(Math.max(...weights)).toBeLessThanOrEqual(20_000);
    expect(weights.reduce((a, b) => a + b, 0)).toBe(200_000);
  });

  it('gives a trace heavier than the target a bucket of its own', () => {
    // Prepare
    const [giant, ...others] = traceIds(50) as [string, ...string[]];
    const census = new TraceCensus();
    census.add(
      Array.from({ length: 100 }, () => giant),
      10_000,
    );
    census.add(others, 50);
    // Act
    const buckets = new TraceBuckets(census.weights, 10_000);
    // Assess
    const alone = buckets.bucketOf(giant);
    expect(
      others.filter((id) => buckets.bucketOf(id) === alone && traceSlot(id) !== traceSlot(giant)),
    ).toEqual([]);
  });
});
