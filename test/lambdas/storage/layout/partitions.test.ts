/** Batch data keys and which listed files a retried batch supersedes (sequence ranges overlapping). */
import { describe, expect, it } from 'vitest';
import type { BatchRef } from '../../../../lambdas/shared/sampling/kept-trace.ts';
import {
  batchDataKey,
  batchRangeOfKey,
  supersededBy,
} from '../../../../lambdas/storage/layout/partitions.ts';

const HOUR = { dt: '2026-11-24', hour: '12' };
const SHARD = 'shardId-000000000000';

/** A batch over sequence numbers first..last, with Kinesis' 56-digit width. */
function batch(first: number, last: number): BatchRef {
  const sequence = (n: number): string => `4963${String(n).padStart(52, '0')}`;
  return { shardId: SHARD, firstSequenceNumber: sequence(first), lastSequenceNumber: sequence(last) };
}

describe('batchRangeOfKey', () => {
  it('reads the range back out of a batch data key, beyond Number precision', () => {
    // Prepare
    const ref = batch(100, 199);
    // Act
    const range = batchRangeOfKey(batchDataKey('spans', HOUR, ref));
    // Assess
    expect(range).toEqual({ first: BigInt(ref.firstSequenceNumber), last: BigInt(ref.lastSequenceNumber) });
  });

  it.each([
    ['a compacted file', `data/spans/dt=2026-11-24/hour=12/${SHARD}/compacted-abc-0.parquet`],
    ['a manifest', `tables/spans/dt=2026-11-24/hour=12/${SHARD}.txt`],
    ['a key without digits', 'data/spans/x-y.parquet'],
  ])('is undefined for %s', (_name, key) => {
    expect(batchRangeOfKey(key)).toBeUndefined();
  });
});

describe('supersededBy', () => {
  const failedAttempt = batchDataKey('spans', HOUR, batch(100, 199));
  it.each([
    ['the first half of its bisected retry', batch(100, 149), true],
    ['the second half of its bisected retry', batch(150, 199), true],
    ['a retry that starts at its last record (equal to the boundary)', batch(199, 250), true],
    ['a retry that ends at its first record (equal to the boundary)', batch(50, 100), true],
    ['the next batch, which starts one after its last record', batch(200, 299), false],
    ['the batch before, which ends one before its first record', batch(0, 99), false],
  ])('a file of records 100..199 is superseded by %s: %s', (_name, ref, expected) => {
    expect(supersededBy(ref, failedAttempt)).toBe(expected);
  });

  it('never supersedes a compacted file', () => {
    const compacted = `data/spans/dt=2026-11-24/hour=12/${SHARD}/compacted-abc-0.parquet`;
    expect(supersededBy(batch(0, 10_000), compacted)).toBe(false);
  });
});
