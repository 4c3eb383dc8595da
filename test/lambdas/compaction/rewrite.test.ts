/**
 * The streaming rewrite of a shard-hour: its output holds exactly the rows of its inputs (as a
 * multiset), sorted as the writers sort them, whether the shard-hour is rewritten in one go or in
 * trace buckets merged in several rounds; and the decoded rows it holds at once do not grow with
 * the input.
 */
import { describe, expect, it } from 'vitest';
import { type RewriteLimits, rewriteShardHour } from '../../../lambdas/compaction/rewrite.ts';
import { readParquetRows, tableFormats } from '../../../lambdas/storage/index.ts';
import { type ShardHourFiles, shardHourFiles } from '../../support/shard-hour.ts';
import { testConfig } from '../../support/storage.ts';
import { compareKeys } from '../../support/workload-traces.ts';

const config = testConfig();
const formats = tableFormats(config.storage);

/** `traces` traces of the reference generator (no batch jobs), written in batch files of 10. */
function shardHour(traces: number, seed = 3): ShardHourFiles {
  return shardHourFiles(traces, seed, formats);
}

function rewrite(hour: ShardHourFiles, bucketBytes: number, limits: RewriteLimits) {
  return rewriteShardHour(
    hour.inputs,
    async (key) => hour.files.get(key) as Uint8Array,
    formats,
    bucketBytes,
    limits,
  );
}

/** Rows of a table as sorted JSON lines: a multiset that can be compared. */
async function rowsOf(files: readonly Uint8Array[]): Promise<string[]> {
  const rows = (await Promise.all(files.map((f) => readParquetRows(f)))).flat();
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
}

async function inputRows(hour: ShardHourFiles, table: string): Promise<string[]> {
  return rowsOf(hour.inputs.filter((i) => i.table === table).map((i) => hour.files.get(i.key) as Uint8Array));
}

const LOOSE: RewriteLimits = { sliceRows: 1024, blockRows: 256, mergeWays: 32 };
const TIGHT: RewriteLimits = { sliceRows: 16, blockRows: 8, mergeWays: 3 };

describe('rewriteShardHour', () => {
  it.each([
    ['in one go', 1 << 30, LOOSE],
    ['in trace buckets, merged in rounds', 4_000, TIGHT],
  ])('outputs exactly the rows of its inputs, %s', async (_case, bucketBytes, limits) => {
    // Prepare
    const hour = shardHour(60);
    // Act
    const result = await rewrite(hour, bucketBytes, limits);
    // Assess
    if (limits === TIGHT) expect(result.buckets).toBeGreaterThan(limits.mergeWays);
    else expect(result.buckets).toBe(1);
    for (const table of ['spans', 'traces', 'edges'] as const) {
      const file = result.files.get(table);
      expect(file?.rows, table).toBe((await inputRows(hour, table)).length);
      expect(await rowsOf([file?.body as Uint8Array]), table).toEqual(await inputRows(hour, table));
    }
  });

  it('writes the spans sorted by service, start time, trace and span', async () => {
    // Prepare
    const hour = shardHour(40);
    // Act
    const result = await rewrite(hour, 4_000, TIGHT);
    // Assess
    const rows = await readParquetRows(result.files.get('spans')?.body as Uint8Array);
    const keys = rows.map((r) => [r.service_name, r.start_time_unix_nano, r.trace_id, r.span_id] as string[]);
    const sorted = [...keys].sort(compareKeys);
    expect(keys).toEqual(sorted);
  });

  it('holds as many decoded rows at once for four times the input', async () => {
    // Prepare
    const small = shardHour(50, 5);
    const large = shardHour(200, 5);
    const largeRows = (await inputRows(large, 'spans')).length;
    // Act
    const one = await rewrite(small, 4_000, TIGHT);
    const four = await rewrite(large, 4_000, TIGHT);
    // Assess
    expect(four.buckets).toBeGreaterThan(3 * one.buckets);
    expect(four.peakRowsHeld).toBeLessThanOrEqual(1.5 * one.peakRowsHeld);
    expect(four.peakRowsHeld).toBeLessThan(largeRows / 4);
  });

  it.each([
    ['in one go', 1 << 30, LOOSE, 0],
    ['in trace buckets: after spilling and after each bucket', 4_000, TIGHT, 1],
  ])('collects garbage %s', async (_case, bucketBytes, limits, spillCollections) => {
    // Prepare
    const hour = shardHour(20);
    let collections = 0;
    // Act
    const result = await rewriteShardHour(
      hour.inputs,
      async (key) => hour.files.get(key) as Uint8Array,
      formats,
      bucketBytes,
      limits,
      () => collections++,
    );
    // Assess
    expect(collections).toBe(result.buckets === 1 ? 0 : spillCollections + result.buckets);
    if (limits === TIGHT) expect(result.buckets).toBeGreaterThan(1);
  });

  it('fails with a clear error on an input that is not Parquet', async () => {
    // Prepare
    const hour = shardHour(10);
    const first = hour.inputs[0] as ShardHourFiles['inputs'][0];
    hour.files.set(first.key, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    // Act, Assess
    await expect(rewrite(hour, 1 << 30, LOOSE)).rejects.toThrow(
      expect.objectContaining({ name: 'StorageError', message: expect.stringMatching(/Parquet footer/) }),
    );
  });
});
