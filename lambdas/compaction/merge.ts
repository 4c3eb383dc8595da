/**
 * Merging sorted runs (row-run.ts) into one sorted sink, holding one row (and one block) of each
 * run at a time; more than `ways` runs are merged in rounds, `ways` at a time, into runs again.
 */
import type { Row } from './refresh.ts';
import type { RowGauge } from './row-gauge.ts';
import { type RowRun, type RowRunWriter, type RowSink, runRows } from './row-run.ts';

type Compare = (a: Row, b: Row) => number;

/** One run being read: its next row and where it comes from. */
interface Cursor {
  readonly run: number;
  readonly rows: Generator<Row>;
  row: Row;
}

/** Writes the rows of `runs` into `sink` in `compare` order (ties: the earlier run first). */
export function mergeRuns(
  runs: readonly RowRun[],
  compare: Compare,
  sink: RowSink,
  newRun: () => RowRunWriter,
  ways: number,
  gauge: RowGauge,
): void {
  let level = runs;
  while (level.length > ways) {
    const next: RowRun[] = [];
    for (let i = 0; i < level.length; i += ways) {
      const writer = newRun();
      mergeInto(level.slice(i, i + ways), compare, writer, gauge);
      next.push(writer.finish());
    }
    level = next;
  }
  mergeInto(level, compare, sink, gauge);
}

function mergeInto(runs: readonly RowRun[], compare: Compare, sink: RowSink, gauge: RowGauge): void {
  const before = (a: Cursor, b: Cursor): boolean => {
    const order = compare(a.row, b.row);
    return order < 0 || (order === 0 && a.run < b.run);
  };
  const heap: Cursor[] = [];
  for (const [run, rows] of runs.map((r, i) => [i, runRows(r)] as const)) {
    const first = rows.next();
    if (!first.done) push(heap, { run, rows, row: first.value }, before);
  }
  gauge.hold(heap.length);
  const held = heap.length;
  while (heap.length > 0) {
    const top = heap[0] as Cursor;
    sink.writeRow(top.row);
    const next = top.rows.next();
    if (!next.done) {
      top.row = next.value;
      siftDown(heap, 0, before);
    } else {
      const last = heap.pop() as Cursor;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap, 0, before);
      }
    }
  }
  gauge.release(held);
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
