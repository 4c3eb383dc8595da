/**
 * Rewriting the rows of one shard-hour into one file per table, every trace refreshed from all its
 * rows (refresh.ts) and every table sorted as the writers sort it, with the decoded rows it holds
 * bounded whatever the size of the shard-hour:
 *
 *  1. above `bucketBytes` of input, a census of the inputs' trace ids (their key column alone, slice
 *     by slice) cuts the shard-hour into trace buckets of at most that (trace-buckets.ts);
 *  2. one bucket: its rows are read, refreshed, sorted and written, row group by row group;
 *  3. more: each input is read once, slice by slice, its rows spilled to a Parquet file of their
 *     bucket (compressed, in memory); then bucket by bucket the spills are read back, refreshed and
 *     sorted into runs; the runs of each table are merged (merge.ts) into its output file.
 *
 * Rows held (the gauge): one slice while reading, one bucket while refreshing, `mergeWays` slices
 * while merging. Bytes held: the Parquet of spills, runs and outputs, each about the size of the
 * input (~30 B a span: 15 MB at 500,000 spans); a shard-hour of tens of millions of spans would
 * need them on /tmp and a multipart upload. Each input is read (GET and decoded) once, spills and
 * runs once each; hyparquet's decoding (~25k rows/s) is most of the CPU.
 */
import {
  openParquet,
  type ParquetEncodeOptions,
  ParquetFileWriter,
  type TableFormat,
  type TableName,
} from '../storage/index.ts';
import { mergeRuns } from './merge.ts';
import { compareRows, type Row, refreshShardHour, type ShardHourRows, sortRows } from './refresh.ts';
import { RowGauge } from './row-gauge.ts';
import { rowSlices } from './row-slices.ts';
import { TraceBuckets, TraceCensus } from './trace-buckets.ts';

const TABLES: readonly TableName[] = ['spans', 'traces', 'edges'];

export interface RewriteLimits {
  /** Rows read at a time (and rows a page of the spills and runs). */
  readonly sliceRows: number;
  /** Runs merged at once. */
  readonly mergeWays: number;
}

/**
 * 32 slices of 1,024 rows hold fewer rows than one bucket of the default `maxInputBytes` (1 MiB of
 * batch files, ~38,000 rows), and merge the 17 buckets of a 500,000-span shard-hour in one round.
 */
export const REWRITE_LIMITS: RewriteLimits = { sliceRows: 1024, mergeWays: 32 };

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
 * its heap over several buckets' worth (a 500,000-span shard-hour: 631 -> 540..609 MB peak resident).
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A source of rows: a table's input file or spill. */
interface Source {
  readonly table: TableName;
  readonly load: () => Promise<Uint8Array>;
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
    const sources = inputs.map((input) => ({ table: input.table, load: () => read(input.key) }));
    await writeRefreshed(await gather(sources, context), (table) => outputs.get(table), context);
  } else {
    const runs = await bucketRuns(inputs, buckets, context);
    const merge = { sliceRows: limits.sliceRows, ways: limits.mergeWays };
    for (const table of TABLES) {
      const output = outputs.get(table) as ParquetFileWriter;
      const newRun = () => runWriter(formats[table], limits);
      await mergeRuns(runs[table], compareRows(table), output, newRun, merge, context.gauge);
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

/** Every row of `sources`, by table; they count as held until the caller releases them. */
async function gather(sources: readonly Source[], context: Context): Promise<Record<TableName, Row[]>> {
  const rows: Record<TableName, Row[]> = { spans: [], traces: [], edges: [] };
  for (const source of sources) {
    const file = openParquet(await source.load());
    for await (const slice of rowSlices(file, context.limits.sliceRows, context.gauge)) {
      context.gauge.hold(slice.length);
      for (const row of slice) rows[source.table].push(row);
    }
  }
  return rows;
}

/** Refreshes gathered rows and writes each table's, sorted; releases them. */
async function writeRefreshed(
  rows: ShardHourRows,
  writerOf: (table: TableName) => ParquetFileWriter | undefined,
  context: Context,
): Promise<void> {
  const held = rows.spans.length + rows.traces.length + rows.edges.length;
  const refreshed = refreshShardHour(rows);
  for (const table of TABLES) {
    const writer = writerOf(table);
    for (const row of sortRows(table, refreshed[table])) writer?.writeRow(row);
  }
  context.gauge.release(held);
}

/**
 * Spills every input row to its bucket's file, then turns each bucket into one sorted run per
 * table (spills are dropped as their bucket is done).
 */
async function bucketRuns(
  inputs: readonly RewriteInput[],
  buckets: TraceBuckets,
  context: Context,
): Promise<Record<TableName, Uint8Array[]>> {
  const spills = await spill(inputs, buckets, context);
  context.collect();
  const runs: Record<TableName, Uint8Array[]> = { spans: [], traces: [], edges: [] };
  for (let bucket = 0; bucket < buckets.count; bucket++) {
    const sources = TABLES.flatMap((table) => {
      const bytes = spills.get(spillKey(table, bucket));
      return bytes ? [{ table, load: async () => bytes }] : [];
    });
    for (const { table } of sources) spills.delete(spillKey(table, bucket));
    const writers = new Map(
      TABLES.map((table) => [table, runWriter(context.formats[table], context.limits)]),
    );
    await writeRefreshed(await gather(sources, context), (table) => writers.get(table), context);
    for (const [table, writer] of writers) if (writer.rowCount > 0) runs[table].push(writer.finish());
    context.collect();
  }
  return runs;
}

async function spill(
  inputs: readonly RewriteInput[],
  buckets: TraceBuckets,
  context: Context,
): Promise<Map<string, Uint8Array>> {
  const writers = new Map<string, ParquetFileWriter>();
  for (const input of inputs) {
    const source = openParquet(await context.read(input.key));
    for await (const slice of rowSlices(source, context.limits.sliceRows, context.gauge)) {
      for (const row of slice) {
        const key = spillKey(input.table, buckets.bucketOf(String(row.trace_id)));
        let writer = writers.get(key);
        if (!writer) {
          writer = runWriter(context.formats[input.table], context.limits);
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

/**
 * A writer of spills and runs: files read back once, slice by slice, so a page is a slice, one
 * row group, zstd at its fastest level and no statistics; strings PLAIN, because a dictionary page
 * is read again (copied, decompressed and decoded) with every slice of its chunk.
 */
function runWriter(format: TableFormat, limits: RewriteLimits): ParquetFileWriter {
  const options: ParquetEncodeOptions = {
    zstdLevel: 1,
    rowGroupRows: Number.MAX_SAFE_INTEGER,
    pageRows: limits.sliceRows,
    statistics: new Set(),
    stringEncoding: 'PLAIN',
  };
  return new ParquetFileWriter(format.table.columns, options);
}
