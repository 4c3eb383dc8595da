/**
 * Trace buckets of an oversized shard-hour: every trace in exactly one bucket, buckets no heavier
 * than the target except for a slot that is heavier alone, files skipped for buckets they lack.
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
    census.addFile('spans-1.parquet', 1_000 * 100, ids.slice(0, 1_000));
    census.addFile('spans-2.parquet', 1_000 * 100, ids.slice(1_000));
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
    census.addFile(
      'giant.parquet',
      1_000_000,
      Array.from({ length: 100 }, () => giant),
    );
    census.addFile('small.parquet', 50 * 49, others);
    // Act
    const buckets = new TraceBuckets(census.weights, 10_000);
    // Assess
    const alone = buckets.bucketOf(giant);
    expect(
      others.filter((id) => buckets.bucketOf(id) === alone && traceSlot(id) !== traceSlot(giant)),
    ).toEqual([]);
  });

  it('tells which buckets a file has rows in', () => {
    // Prepare
    const ids = traceIds(400);
    const census = new TraceCensus();
    census.addFile('one-trace.parquet', 100, [ids[0] as string]);
    census.addFile('all.parquet', 40_000, ids);
    // Act
    const buckets = new TraceBuckets(census.weights, 1_000);
    // Assess
    const own = buckets.bucketOf(ids[0] as string);
    const touched = Array.from({ length: buckets.count }, (_, b) => b).filter((b) =>
      buckets.touches(census.slotsOf('one-trace.parquet'), b),
    );
    expect(touched).toEqual([own]);
    for (let b = 0; b < buckets.count; b++)
      expect(buckets.touches(census.slotsOf('all.parquet'), b)).toBe(true);
  });
});
