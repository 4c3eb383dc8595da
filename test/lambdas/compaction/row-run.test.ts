/**
 * Runs of rows (row-run.ts) and their merge (merge.ts): rows read back exactly as written, every
 * value type a decoded row holds, across block ends; a block that cannot be read fails clearly;
 * merging gives every row once in order, ties by run, however many rounds it takes.
 */
import { describe, expect, it } from 'vitest';
import { RunBlockError } from '../../../lambdas/compaction/errors.ts';
import { mergeRuns } from '../../../lambdas/compaction/merge.ts';
import type { Row } from '../../../lambdas/compaction/refresh.ts';
import { RowGauge } from '../../../lambdas/compaction/row-gauge.ts';
import { type RowRun, RowRunWriter, runRows } from '../../../lambdas/compaction/row-run.ts';

/** Rows of every kind of value a span, trace or edge row holds. */
function sampleRows(count: number): Row[] {
  const shared = new Date(1_000 * count);
  return Array.from({ length: count }, (_, i) => ({
    trace_id: i.toString(16).padStart(32, '0'),
    name: i % 2 ? `GET /item/${i}` : 'héllo ✓ 🌍',
    empty: '',
    count: i,
    ratio: i / 7,
    start_time_unix_nano: 18_446_744_073_709_551_615n - BigInt(i),
    negative: -BigInt(i),
    is_root: i % 3 === 0,
    absent: null,
    start_time: shared,
    services: i % 4 ? ['a', 'b'] : [],
    span_attributes: i % 5 ? { 'http.route': '/x', n: String(i) } : {},
    events: i % 2 ? [{ name: 'e', time_unix_nano: BigInt(i), attributes: { k: 'v' } }] : [],
  }));
}

type Block = RowRun['blocks'][number];

function runOf(rows: readonly Row[], blockRows: number): RowRun {
  const writer = new RowRunWriter(blockRows);
  for (const row of rows) writer.writeRow(row);
  return writer.finish();
}

describe('RowRunWriter and runRows', () => {
  it.each([
    [0, 3],
    [1, 3],
    [3, 3],
    [4, 3],
    [10, 3],
    [10, 1],
    [10, 256],
  ])('reads back %i rows written %i a block, in order and exactly', (count, blockRows) => {
    // Prepare
    const rows = sampleRows(count);
    // Act
    const run = runOf(rows, blockRows);
    // Assess
    expect(run.rows).toBe(count);
    expect(run.blocks).toHaveLength(Math.ceil(count / blockRows));
    expect([...runRows(run)]).toEqual(rows);
  });

  it('keeps a value shared by rows in different blocks (a serializer refers back to what it wrote)', () => {
    // Prepare: one date in every row, three rows a block
    const rows = sampleRows(7);
    // Act
    const read = [...runRows(runOf(rows, 3))];
    // Assess
    expect(read.map((row) => (row.start_time as Date).getTime())).toEqual(
      rows.map((row) => (row.start_time as Date).getTime()),
    );
  });

  it('fails clearly on a block that does not decompress, naming the block', () => {
    // Prepare: the second of two blocks broken
    const broken = (): RowRun => {
      const [first, second] = runOf(sampleRows(6), 3).blocks as [Block, Block];
      return { rows: 6, blocks: [first, { ...second, bytes: new Uint8Array([1, 2, 3]) }] };
    };
    const rows = runRows(broken());
    // Act: the first block reads
    for (let i = 0; i < 3; i++) expect(rows.next().done).toBe(false);
    // Assess
    expect(() => rows.next()).toThrow(RunBlockError);
    expect(() => [...runRows(broken())]).toThrow(/cannot read block 1 of a compaction run/);
  });

  it('is read once: reading takes its blocks, and lets each go once read', () => {
    // Prepare
    const run = runOf(sampleRows(9), 3);
    // Act
    const first = [...runRows(run)];
    // Assess
    expect(first).toHaveLength(9);
    expect(run.blocks).toEqual([]);
    expect([...runRows(run)]).toEqual([]);
  });
});

describe('mergeRuns', () => {
  const compare = (a: Row, b: Row) => (a.key as number) - (b.key as number);

  it.each([
    ['no run', 0],
    ['one run', 1],
    ['as many runs as ways', 3],
    ['one run more than ways: two rounds', 4],
    ['many runs: three rounds', 19],
  ])('writes every row once, in order, ties by run: %s', (_case, runCount) => {
    // Prepare: run r holds keys r, r+3, r+6, ... and a row of key 5 marked as the tie
    const runs = Array.from({ length: runCount }, (_, run) => {
      const rows = Array.from({ length: 6 }, (_, i) => ({ key: run + 3 * i, run, tie: false }));
      rows.push({ key: 5, run, tie: true });
      return runOf(
        rows.sort((a, b) => a.key - b.key),
        2,
      );
    });
    const written: Row[] = [];
    const gauge = new RowGauge();
    // Act
    mergeRuns(runs, compare, { writeRow: (row) => written.push(row) }, () => new RowRunWriter(2), 3, gauge);
    // Assess
    expect(written).toHaveLength(7 * runCount);
    const keys = written.map((row) => row.key as number);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(written.filter((row) => row.tie).map((row) => row.run)).toEqual(
      Array.from({ length: runCount }, (_, run) => run),
    );
    expect(gauge.peak).toBeLessThanOrEqual(3);
  });
});
