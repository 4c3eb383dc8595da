/**
 * Compaction of closed hours: each shard's small batch files of an hour become one large sorted
 * file per table, without a query ever seeing a row twice or missing one.
 *
 * Queries read exactly the files a partition's symlink manifests list. For one shard-hour:
 *  1. read the three manifests (spans, traces, edges) and the files they list;
 *  2. re-enrich the shard-hour (refresh.ts: each span and trace once, edges recounted), sort, write
 *     one compacted file per table under a name derived from its inputs (a retried run overwrites
 *     its own output); a shard-hour above `maxInputBytes` is done the same way in trace buckets
 *     (trace-buckets.ts), one file per table and bucket;
 *  3. write a tombstone naming the input files, stamped with the time;
 *  4. swap each manifest by one conditional PUT: the compacted file replaces exactly the inputs,
 *     lines a writer added meanwhile stay; a query reads the old list or the new one, never both;
 *  5. later runs delete a tombstone's files once `deleteAfterMinutes` have passed, so a query that
 *     read the old manifest just before the swap can still read them; a file still listed by a
 *     manifest is never deleted.
 * An hour is compacted only `settleMinutes` after it ended; late fragments that still arrive for
 * it add lines to its manifests, and the next run compacts them in with the compacted file.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../shared/config/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import {
  BUCKET_PREFIXES,
  dataPrefix,
  encodeParquet,
  keyOfLine,
  manifestKey,
  manifestLine,
  type Partition,
  partitionKey,
  partitionOf,
  partitionPath,
  type RetryPolicy,
  readManifest,
  readParquetRows,
  type TableFormat,
  type TableName,
  tableFormats,
  tablePrefix,
  updateManifest,
} from '../storage/index.ts';
import { deleteKeys, getBytes, listObjects, putBytes } from './bucket.ts';
import { CompactionFailedError, MissingDataFileError } from './errors.ts';
import { type Row, refreshShardHour, type ShardHourRows, sortRows } from './refresh.ts';
import { TraceBuckets, TraceCensus } from './trace-buckets.ts';

const TABLES: readonly TableName[] = ['spans', 'traces', 'edges'];
const HOUR_MS = 3_600_000;
const COMPACTED_PREFIX = 'compacted-';
const TOMBSTONE_PREFIX = '_replaced-';

export interface CompactionDeps {
  readonly s3: S3Client;
  readonly bucketName: string;
  readonly storage: StorageConfig;
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly retry?: Partial<RetryPolicy>;
}

export interface CompactionReport {
  readonly shardHours: number;
  readonly compacted: number;
  readonly inputFiles: number;
  readonly outputFiles: number;
  readonly deletedFiles: number;
  readonly rows: number;
}

/** Hours that ended at least `settleMinutes` ago and started within `lookbackHours`, oldest first. */
export function closedHours(nowMs: number, settleMinutes: number, lookbackHours: number): Partition[] {
  const out: Partition[] = [];
  const newest = Math.floor((nowMs - settleMinutes * 60_000) / HOUR_MS) * HOUR_MS - HOUR_MS;
  const oldest = Math.floor(nowMs / HOUR_MS) * HOUR_MS - lookbackHours * HOUR_MS;
  for (let start = oldest; start <= newest; start += HOUR_MS) out.push(partitionOf(start));
  return out;
}

export async function compactClosedHours(deps: CompactionDeps): Promise<CompactionReport> {
  const { settleMinutes, lookbackHours } = deps.storage.compaction;
  const totals = { shardHours: 0, compacted: 0, inputFiles: 0, outputFiles: 0, deletedFiles: 0, rows: 0 };
  const failures: { partition: string; shard: string; error: Error }[] = [];
  for (const partition of closedHours(deps.now(), settleMinutes, lookbackHours)) {
    for (const shard of await shardsOf(deps, partition)) {
      totals.shardHours++;
      try {
        const result = await compactShardHour(deps, partition, shard);
        if (result) {
          totals.compacted++;
          totals.inputFiles += result.inputFiles;
          totals.outputFiles += result.outputFiles;
          totals.rows += result.rows;
        }
      } catch (error) {
        failures.push({ partition: partitionKey(partition), shard, error: error as Error });
        deps.logger.log('error', 'compaction of a shard-hour failed', {
          partition: partitionKey(partition),
          shard,
          error,
        });
      }
    }
    for (const table of TABLES) totals.deletedFiles += await sweepTombstones(deps, table, partition);
  }
  deps.metrics.add('CompactedShardHours', totals.compacted);
  deps.metrics.add('CompactionInputFiles', totals.inputFiles);
  deps.metrics.add('CompactionOutputFiles', totals.outputFiles);
  deps.metrics.add('CompactionDeletedFiles', totals.deletedFiles);
  deps.metrics.add('CompactionRows', totals.rows);
  deps.metrics.add('CompactionFailures', failures.length);
  if (failures.length) throw new CompactionFailedError(failures);
  return totals;
}

/** Manifest names (shard segments) of any table in a partition. */
async function shardsOf(deps: CompactionDeps, partition: Partition): Promise<string[]> {
  const shards = new Set<string>();
  for (const table of TABLES) {
    const prefix = `${tablePrefix(table)}${partitionPath(partition)}/`;
    for (const { key } of await listObjects(deps.s3, deps.bucketName, prefix)) {
      const name = key.slice(prefix.length);
      if (name.endsWith('.txt') && !name.includes('/')) shards.add(name.slice(0, -'.txt'.length));
    }
  }
  return [...shards].sort();
}

function isCompacted(key: string): boolean {
  return (key.split('/').at(-1) ?? '').startsWith(COMPACTED_PREFIX);
}

interface TableInput {
  readonly table: TableName;
  readonly manifestKey: string;
  readonly lines: readonly string[];
  readonly keys: readonly string[];
  readonly sizes: ReadonlyMap<string, number>;
  readonly bytes: number;
}

/** One shard-hour being compacted: its inputs per table and the formats of its outputs. */
interface ShardHour {
  readonly partition: Partition;
  readonly shard: string;
  readonly inputs: readonly TableInput[];
  readonly formats: Record<TableName, TableFormat>;
}

interface CompactedFile {
  readonly key: string;
  readonly rows: number;
}

type CompactedFiles = Map<TableName, CompactedFile[]>;

/** Compacts one shard-hour; undefined when there is nothing to do. */
export async function compactShardHour(
  deps: CompactionDeps,
  partition: Partition,
  shard: string,
): Promise<{ inputFiles: number; outputFiles: number; rows: number } | undefined> {
  const inputs: TableInput[] = [];
  for (const table of TABLES) {
    const key = manifestKey(table, partition, shard);
    const manifest = await readManifest(deps.s3, deps.bucketName, key);
    const sizes = new Map(
      (await listObjects(deps.s3, deps.bucketName, dataPrefix(table, partition, shard))).map((o) => [
        o.key,
        o.size,
      ]),
    );
    const keys = manifest.lines.map((line) => keyOfLine(deps.bucketName, line) ?? line);
    let bytes = 0;
    for (const dataKey of keys) {
      const size = sizes.get(dataKey);
      if (size === undefined) throw new MissingDataFileError(key, dataKey);
      bytes += size;
    }
    inputs.push({ table, manifestKey: key, lines: manifest.lines, keys, sizes, bytes });
  }
  const pending = inputs.some(
    (i) => i.keys.length > 1 || (i.keys.length === 1 && !isCompacted(i.keys[0] as string)),
  );
  if (!pending) return undefined;

  const hour: ShardHour = { partition, shard, inputs, formats: tableFormats(deps.storage) };
  const total = inputs.reduce((sum, i) => sum + i.bytes, 0);
  const outputs =
    total <= deps.storage.compaction.maxInputBytes
      ? await compactWhole(deps, hour)
      : await compactInTraceBuckets(deps, hour, total);

  let inputFiles = 0;
  let outputFiles = 0;
  let rows = 0;
  for (const input of inputs) {
    const files = outputs.get(input.table) ?? [];
    if (input.lines.length === 0 && files.length === 0) continue;
    const replaced = new Set(input.lines);
    const fresh = files.map((f) => manifestLine(deps.bucketName, f.key));
    // The replaced inputs (never one of this run's outputs, which may carry the same name).
    const retired = input.keys.filter((k) => !files.some((f) => f.key === k));
    await writeTombstone(deps, input.table, partition, shard, retired);
    let swapped = false;
    await updateManifest(
      deps.s3,
      deps.bucketName,
      input.manifestKey,
      (current) => {
        if (!input.lines.every((line) => current.includes(line))) return undefined; // another run won
        swapped = true;
        return [...fresh, ...current.filter((line) => !replaced.has(line) && !fresh.includes(line))];
      },
      deps.retry,
    );
    if (!swapped) {
      deps.logger.log('warn', 'manifest changed under compaction; leaving it to the run that changed it', {
        manifest: input.manifestKey,
      });
      await writeTombstone(
        deps,
        input.table,
        partition,
        shard,
        files.map((f) => f.key).filter((k) => !input.keys.includes(k)),
      );
      continue;
    }
    inputFiles += input.keys.length;
    outputFiles += files.length;
    rows += files.reduce((sum, f) => sum + f.rows, 0);
  }
  return { inputFiles, outputFiles, rows };
}

async function readAll(deps: CompactionDeps, keys: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const key of keys)
    rows.push(...(await readParquetRows(await getBytes(deps.s3, deps.bucketName, key))));
  return rows;
}

/** The whole shard-hour fits: every trace refreshed from all its spans, one file per table. */
async function compactWhole(deps: CompactionDeps, hour: ShardHour): Promise<CompactedFiles> {
  const rows = Object.fromEntries(
    await Promise.all(hour.inputs.map(async (i) => [i.table, await readAll(deps, i.keys)] as const)),
  ) as Record<TableName, Row[]>;
  return writeRefreshed(deps, hour, refreshShardHour(rows), 0, new Map());
}

/**
 * Too large to hold at once: the shard-hour is cut into trace buckets (trace-buckets.ts) of at
 * most `maxInputBytes` of input each, every trace whole in one bucket, and each bucket is refreshed
 * as a small shard-hour is, so each span, trace row and edge count is listed once here too.
 * Memory bound: the census (4,096 slot weights, and per input file the slots it has rows in), then
 * one bucket at a time: its rows (an estimated `maxInputBytes` of Parquet at most, as the whole
 * of a small shard-hour; more only for a single trace that is larger, bounded by the per-trace span
 * limit) plus the one input file being decoded and filtered (a batch's file, or an earlier
 * compacted one of about a bucket). Compacted files are put as each bucket is done, never held.
 * Cost: each input file is read once for its trace ids and once per bucket it has rows in.
 */
async function compactInTraceBuckets(
  deps: CompactionDeps,
  hour: ShardHour,
  bytes: number,
): Promise<CompactedFiles> {
  const census = await traceCensus(deps, hour.inputs);
  const buckets = new TraceBuckets(census.weights, deps.storage.compaction.maxInputBytes);
  deps.logger.log('info', 'shard-hour above compaction.maxInputBytes: compacted in trace buckets', {
    partition: partitionKey(hour.partition),
    shard: hour.shard,
    bytes,
    buckets: buckets.count,
  });
  const outputs: CompactedFiles = new Map();
  for (let bucket = 0; bucket < buckets.count; bucket++) {
    const rows = await bucketRows(deps, hour.inputs, census, buckets, bucket);
    await writeRefreshed(deps, hour, refreshShardHour(rows), bucket, outputs);
  }
  return outputs;
}

/** Weighs the trace ids of every input file, reading their key column alone. */
async function traceCensus(deps: CompactionDeps, inputs: readonly TableInput[]): Promise<TraceCensus> {
  const census = new TraceCensus();
  for (const input of inputs) {
    for (const key of input.keys) {
      const ids = await readParquetRows(await getBytes(deps.s3, deps.bucketName, key), ['trace_id']);
      census.addFile(
        key,
        input.sizes.get(key) ?? 0,
        ids.map((row) => String(row.trace_id)),
      );
    }
  }
  return census;
}

/** The rows of every table whose trace falls in `bucket`. */
async function bucketRows(
  deps: CompactionDeps,
  inputs: readonly TableInput[],
  census: TraceCensus,
  buckets: TraceBuckets,
  bucket: number,
): Promise<ShardHourRows> {
  const rows: Record<TableName, Row[]> = { spans: [], traces: [], edges: [] };
  for (const input of inputs) {
    for (const key of input.keys) {
      if (!buckets.touches(census.slotsOf(key), bucket)) continue;
      for (const row of await readParquetRows(await getBytes(deps.s3, deps.bucketName, key))) {
        if (buckets.bucketOf(String(row.trace_id)) === bucket) rows[input.table].push(row);
      }
    }
  }
  return rows;
}

/** Writes one refreshed part of a shard-hour: a compacted file per table that has rows in it. */
async function writeRefreshed(
  deps: CompactionDeps,
  hour: ShardHour,
  refreshed: ShardHourRows,
  part: number,
  outputs: CompactedFiles,
): Promise<CompactedFiles> {
  for (const input of hour.inputs) {
    const files = outputs.get(input.table) ?? [];
    const file = await writeCompacted(deps, hour, input, refreshed[input.table], part);
    if (file) files.push(file);
    outputs.set(input.table, files);
  }
  return outputs;
}

/** Puts rows of one table, sorted as the writers sort them, under a name derived from the inputs. */
async function writeCompacted(
  deps: CompactionDeps,
  hour: ShardHour,
  input: TableInput,
  rows: readonly Row[],
  part: number,
): Promise<CompactedFile | undefined> {
  if (rows.length === 0) return undefined;
  const format = hour.formats[input.table];
  const sorted = sortRows(input.table, rows);
  const columns: Record<string, unknown[]> = {};
  for (const column of format.table.columns) columns[column.name] = sorted.map((r) => r[column.name] ?? null);
  const body = encodeParquet(format.table.columns, columns, format.encode);
  const name = createHash('sha256').update(input.lines.join('\n')).digest('base64url').slice(0, 16);
  const key = `${dataPrefix(input.table, hour.partition, hour.shard)}${COMPACTED_PREFIX}${name}-${part}.parquet`;
  await putBytes(deps.s3, deps.bucketName, key, body, 'application/vnd.apache.parquet');
  deps.logger.log('debug', 'compacted file', { key, rows: sorted.length, bytes: body.length });
  return { key, rows: sorted.length };
}

async function writeTombstone(
  deps: CompactionDeps,
  table: TableName,
  partition: Partition,
  shard: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  const hash = createHash('sha256').update(keys.join('\n')).digest('base64url').slice(0, 12);
  const key = `${dataPrefix(table, partition, shard)}${TOMBSTONE_PREFIX}${deps.now()}-${hash}.txt`;
  await putBytes(deps.s3, deps.bucketName, key, `${keys.join('\n')}\n`, 'text/plain; charset=utf-8');
}

/** Deletes the files of tombstones older than `deleteAfterMinutes` that no manifest lists. */
async function sweepTombstones(
  deps: CompactionDeps,
  table: TableName,
  partition: Partition,
): Promise<number> {
  const prefix = `${BUCKET_PREFIXES.data}${table}/${partitionPath(partition)}/`;
  const graceMs = deps.storage.compaction.deleteAfterMinutes * 60_000;
  let deleted = 0;
  for (const { key } of await listObjects(deps.s3, deps.bucketName, prefix)) {
    const [shard, file] = key.slice(prefix.length).split('/');
    const stamp = file?.startsWith(TOMBSTONE_PREFIX)
      ? Number(file.slice(TOMBSTONE_PREFIX.length).split('-')[0])
      : NaN;
    if (!shard || !Number.isFinite(stamp) || stamp + graceMs > deps.now()) continue;
    const listed = new Set(
      (await readManifest(deps.s3, deps.bucketName, manifestKey(table, partition, shard))).lines.map(
        (line) => keyOfLine(deps.bucketName, line) ?? line,
      ),
    );
    const retired = Buffer.from(await getBytes(deps.s3, deps.bucketName, key))
      .toString('utf8')
      .split('\n')
      .filter((k) => k !== '' && !listed.has(k));
    await deleteKeys(deps.s3, deps.bucketName, [...retired, key]);
    deleted += retired.length;
  }
  return deleted;
}
