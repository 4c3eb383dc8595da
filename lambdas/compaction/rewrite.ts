/**
 * Rewriting the rows of one shard-hour into one file per table, every trace refreshed from all its
 * rows (refresh.ts) and every table sorted as the writers sort it, with the decoded rows it holds
 * bounded whatever the size of the shard-hour:
 *
 *  1. above `bucketBytes` of input, a census of the inputs' trace ids (their key column alone, slice
 *     by slice) cuts the shard-hour into trace buckets of at most that (trace-buckets.ts);
 *  2. one bucket: its rows are read, refreshed, sorted and written, row group by row group;
 *  3. more: each input is read once, slice by slice, its rows spilled to a run of their bucket
 *     (row-run.ts: serialized and compressed, in memory); then bucket by bucket the spills are read
 *     back, refreshed and sorted into runs; the runs of each table are merged (merge.ts) into its
 *     output file.
 *
 * Rows held (the gauge): one slice while reading, one bucket while refreshing, one row a run while
 * merging. Bytes held: the blocks of spills and runs (~40 B a span row: 20 MB at 500,000 spans) and
 * the output files (~30 B a span); a shard-hour of tens of millions of spans would need them on /tmp
 * and a multipart upload. Each input is fetched and decoded by hyparquet whole once (and its trace
 * ids once more for the census), which is most of the CPU; spills and runs are read once each.
 */
import { openParquet, ParquetFileWriter, type TableFormat, type TableName } from '../storage/index.ts';
import { mergeRuns } from './merge.ts';
import { compareRows, type Row, refreshShardHour, type ShardHourRows, sortRows } from './refresh.ts';
import { RowGauge } from './row-gauge.ts';
import { type RowRun, RowRunWriter, type RowSink, runRows } from './row-run.ts';
import { rowSlices } from './row-slices.ts';
import { TraceBuckets, TraceCensus } from './trace-buckets.ts';

const TABLES: readonly TableName[] = ['spans', 'traces', 'edges'];

export interface RewriteLimits {
  /** Rows of an input read at a time. */
  readonly sliceRows: number;
  /** Rows a block of a spill or run (row-run.ts). */
  readonly blockRows: number;
  /** Runs merged at once. */
  readonly mergeWays: number;
}

/**
 * A block of 256 span rows is ~300 KB serialized, ~10 KB compressed; merging 64 runs holds 64 of
 * them, and merges the 17 buckets of a 500,000-span shard-hour at the default `maxInputBytes`
 * (1 MiB of batch files) in one round, a shard-hour of 2 million spans in one too.
 */
export const REWRITE_LIMITS: RewriteLimits = { sliceRows: 1024, blockRows: 256, mergeWays: 64 };

/** One input data file: its table, key and size. */
export interface RewriteInput {
  readonly table: TableName;
  readonly key: string;
  readonly bytes: number;
}

export interface RewrittenFile {
  readonly body: Uint8Array;
  readonly rows: number;
}

export interface RewriteResult {
  readonly files: ReadonlyMap<TableName, RewrittenFile>;
  readonly buckets: number;
  /** The most decoded rows held at once. */
  readonly peakRowsHeld: number;
}

/** A shard-hour to rewrite, as rewriteShardHour takes it. */
export interface RewriteRequest {
  readonly inputs: readonly RewriteInput[];
  readonly formats: Record<TableName, TableFormat>;
  readonly bucketBytes: number;
  readonly limits?: RewriteLimits;
}

/** A way to rewrite a shard-hour: in this thread (rewriteInProcess) or a worker's (rewrite-thread.ts). */
export type Rewrite = (
  request: RewriteRequest,
  read: (key: string) => Promise<Uint8Array>,
) => Promise<RewriteResult>;

/** rewriteShardHour in this thread. */
export const rewriteInProcess: Rewrite = (request, read) =>
  rewriteShardHour(request.inputs, read, request.formats, request.bucketBytes, request.limits);

interface Context {
  readonly read: (key: string) => Promise<Uint8Array>;
  readonly formats: Record<TableName, TableFormat>;
  readonly limits: RewriteLimits;
  readonly gauge: RowGauge;
  readonly collect: () => void;
}

/**
 * A full collection, where the runtime exposes one (Lambda's Node.js runtime starts with
 * --expose-gc). Between buckets every decoded row is garbage; collecting then keeps V8 from growing
 * its heap over several buckets' worth (a 500,000-span shard-hour, measured when spills were Parquet
 * files: 631 -> 540..609 MB peak resident).
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function rewriteShardHour(
  inputs: readonly RewriteInput[],
  read: (key: string) => Promise<Uint8Array>,
  formats: Record<TableName, TableFormat>,
  bucketBytes: number,
  limits: RewriteLimits = REWRITE_LIMITS,
  collect: () => void = collectGarbage,
): Promise<RewriteResult> {
  const context: Context = { read, formats, limits, gauge: new RowGauge(), collect };
  // Within the bound, no census is needed: the shard-hour is one bucket.
  const small = inputs.reduce((sum, input) => sum + input.bytes, 0) <= bucketBytes;
  const census = small ? new TraceCensus() : await traceCensus(inputs, context);
  const buckets = new TraceBuckets(census.weights, bucketBytes);
  const outputs = new Map(
    TABLES.map((table) => [
      table,
      new ParquetFileWriter(formats[table].table.columns, formats[table].encode),
    ]),
  );
  if (buckets.count === 1) {
    writeRefreshed(await gather(inputs, context), (table) => outputs.get(table), context);
  } else {
    const runs = await bucketRuns(inputs, buckets, context);
    const newRun = () => new RowRunWriter(limits.blockRows);
    for (const table of TABLES) {
      const output = outputs.get(table) as ParquetFileWriter;
      mergeRuns(runs[table], compareRows(table), output, newRun, limits.mergeWays, context.gauge);
    }
  }
  const files = new Map<TableName, RewrittenFile>();
  for (const [table, writer] of outputs) {
    const rows = writer.rowCount;
    if (rows > 0) files.set(table, { body: writer.finish(), rows });
  }
  return { files, buckets: buckets.count, peakRowsHeld: context.gauge.peak };
}

/** Weighs each input's trace ids, reading their key column alone. */
async function traceCensus(inputs: readonly RewriteInput[], context: Context): Promise<TraceCensus> {
  const census = new TraceCensus();
  for (const input of inputs) {
    const source = openParquet(await context.read(input.key));
    const bytesPerRow = source.rows ? input.bytes / source.rows : 0;
    for await (const slice of rowSlices(source, context.limits.sliceRows, context.gauge, ['trace_id']))
      census.add(
        slice.map((row) => String(row.trace_id)),
        bytesPerRow,
      );
  }
  return census;
}

/** Every row of `inputs`, by table; they count as held until the caller releases them. */
async function gather(inputs: readonly RewriteInput[], context: Context): Promise<Record<TableName, Row[]>> {
  const rows: Record<TableName, Row[]> = { spans: [], traces: [], edges: [] };
  for (const input of inputs) {
    const file = openParquet(await context.read(input.key));
    for await (const slice of rowSlices(file, context.limits.sliceRows, context.gauge)) {
      context.gauge.hold(slice.length);
      for (const row of slice) rows[input.table].push(row);
    }
  }
  return rows;
}

/** Refreshes gathered rows and writes each table's, sorted; releases them. */
function writeRefreshed(
  rows: ShardHourRows,
  writerOf: (table: TableName) => RowSink | undefined,
  context: Context,
): void {
  const held = rows.spans.length + rows.traces.length + rows.edges.length;
  const refreshed = refreshShardHour(rows);
  for (const table of TABLES) {
    const writer = writerOf(table);
    for (const row of sortRows(table, refreshed[table])) writer?.writeRow(row);
  }
  context.gauge.release(held);
}

/**
 * Spills every input row to its bucket's run, then turns each bucket into one sorted run per table
 * (spills are dropped as their bucket is done).
 */
async function bucketRuns(
  inputs: readonly RewriteInput[],
  buckets: TraceBuckets,
  context: Context,
): Promise<Record<TableName, RowRun[]>> {
  const spills = await spill(inputs, buckets, context);
  context.collect();
  const runs: Record<TableName, RowRun[]> = { spans: [], traces: [], edges: [] };
  for (let bucket = 0; bucket < buckets.count; bucket++) {
    const rows: Record<TableName, Row[]> = { spans: [], traces: [], edges: [] };
    for (const table of TABLES) {
      const key = spillKey(table, bucket);
      const run = spills.get(key);
      spills.delete(key);
      context.gauge.hold(run?.rows ?? 0);
      if (run) for (const row of runRows(run)) rows[table].push(row);
    }
    const writers = new Map(TABLES.map((table) => [table, new RowRunWriter(context.limits.blockRows)]));
    writeRefreshed(rows, (table) => writers.get(table), context);
    for (const [table, writer] of writers) if (writer.rowCount > 0) runs[table].push(writer.finish());
    context.collect();
  }
  return runs;
}

async function spill(
  inputs: readonly RewriteInput[],
  buckets: TraceBuckets,
  context: Context,
): Promise<Map<string, RowRun>> {
  const writers = new Map<string, RowRunWriter>();
  for (const input of inputs) {
    const source = openParquet(await context.read(input.key));
    for await (const slice of rowSlices(source, context.limits.sliceRows, context.gauge)) {
      for (const row of slice) {
        const key = spillKey(input.table, buckets.bucketOf(String(row.trace_id)));
        let writer = writers.get(key);
        if (!writer) {
          writer = new RowRunWriter(context.limits.blockRows);
          writers.set(key, writer);
        }
        writer.writeRow(row);
      }
    }
  }
  return new Map([...writers].map(([key, writer]) => [key, writer.finish()]));
}

function spillKey(table: TableName, bucket: number): string {
  return `${table}/${bucket}`;
}
