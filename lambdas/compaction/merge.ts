/**
 * Merging sorted runs (Parquet files of rows in one order) into one sorted file, holding one slice
 * of each run at a time; more than `ways` runs are merged in rounds, `ways` at a time, so the rows
 * held stay at most `ways` slices however many runs there are.
 */
import { openParquet, type ParquetFileWriter } from '../storage/index.ts';
import type { Row } from './refresh.ts';
import type { RowGauge } from './row-gauge.ts';
import { rowSlices } from './row-slices.ts';

export interface MergeLimits {
  readonly sliceRows: number;
  readonly ways: number;
}

type Compare = (a: Row, b: Row) => number;

/** One run being read: the slice in hand and the position in it. */
interface Cursor {
  readonly run: number;
  readonly slices: AsyncGenerator<Row[]>;
  rows: Row[];
  at: number;
}

/** Writes the rows of `runs` into `sink` in `compare` order (ties: the earlier run first). */
export async function mergeRuns(
  runs: readonly Uint8Array[],
  compare: Compare,
  sink: ParquetFileWriter,
  newRun: () => ParquetFileWriter,
  limits: MergeLimits,
  gauge: RowGauge,
): Promise<void> {
  let level = runs;
  while (level.length > limits.ways) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += limits.ways) {
      const writer = newRun();
      await mergeInto(level.slice(i, i + limits.ways), compare, writer, limits, gauge);
      next.push(writer.finish());
    }
    level = next;
  }
  await mergeInto(level, compare, sink, limits, gauge);
}

async function mergeInto(
  runs: readonly Uint8Array[],
  compare: Compare,
  sink: ParquetFileWriter,
  limits: MergeLimits,
  gauge: RowGauge,
): Promise<void> {
  const before = (a: Cursor, b: Cursor): boolean => {
    const order = compare(a.rows[a.at] as Row, b.rows[b.at] as Row);
    return order < 0 || (order === 0 && a.run < b.run);
  };
  const heap: Cursor[] = [];
  for (let run = 0; run < runs.length; run++) {
    const slices = rowSlices(openParquet(runs[run] as Uint8Array), limits.sliceRows, gauge);
    const cursor: Cursor = { run, slices, rows: [], at: 0 };
    if (await advance(cursor)) push(heap, cursor, before);
  }
  while (heap.length > 0) {
    const top = heap[0] as Cursor;
    sink.writeRow(top.rows[top.at] as Row);
    top.at++;
    if (top.at < top.rows.length || (await advance(top))) siftDown(heap, 0, before);
    else {
      const last = heap.pop() as Cursor;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap, 0, before);
      }
    }
  }
}

/** Moves a cursor to its run's next slice; false at the end of the run. */
async function advance(cursor: Cursor): Promise<boolean> {
  const next = await cursor.slices.next();
  if (next.done) return false;
  cursor.rows = next.value;
  cursor.at = 0;
  return cursor.rows.length > 0 || advance(cursor);
}

function push(heap: Cursor[], cursor: Cursor, before: (a: Cursor, b: Cursor) => boolean): void {
  heap.push(cursor);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Cursor, heap[parent] as Cursor)) break;
    [heap[i], heap[parent]] = [heap[parent] as Cursor, heap[i] as Cursor];
    i = parent;
  }
}

function siftDown(heap: Cursor[], from: number, before: (a: Cursor, b: Cursor) => boolean): void {
  let i = from;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let best = i;
    if (left < heap.length && before(heap[left] as Cursor, heap[best] as Cursor)) best = left;
    if (right < heap.length && before(heap[right] as Cursor, heap[best] as Cursor)) best = right;
    if (best === i) return;
    [heap[i], heap[best]] = [heap[best] as Cursor, heap[i] as Cursor];
    i = best;
  }
}
