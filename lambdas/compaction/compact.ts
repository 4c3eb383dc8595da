/**
 * Compaction of closed hours: each shard's small batch files of an hour become one large sorted
 * file per table, without a query ever seeing a row twice or missing one.
 *
 * Queries read exactly the files a partition's symlink manifests list. For one shard-hour:
 *  1. read the three manifests (spans, traces, edges) and the files they list;
 *  2. re-enrich the shard-hour (refresh.ts: each span and trace once, edges recounted), sort, write
 *     one compacted file per table under a name derived from its inputs (a retried run overwrites
 *     its own output); rewrite.ts streams it: the rows held are bounded by `maxInputBytes` of input
 *     at most, in trace buckets merged into the one file, never the whole shard-hour;
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
  keyOfLine,
  manifestKey,
  manifestLine,
  type Partition,
  partitionKey,
  partitionOf,
  partitionPath,
  type RetryPolicy,
  readManifest,
  type TableFormat,
  type TableName,
  tableFormats,
  tablePrefix,
  updateManifest,
} from '../storage/index.ts';
import { deleteKeys, getBytes, listObjects, putBytes } from './bucket.ts';
import { CompactionFailedError, MissingDataFileError } from './errors.ts';
import { type Rewrite, type RewriteLimits, rewriteInProcess } from './rewrite.ts';

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
  /** Slice and merge sizes of the rewrite (rewrite.ts REWRITE_LIMITS); tests make them small. */
  readonly rewriteLimits?: RewriteLimits;
  /**
   * How a shard-hour is rewritten: in this thread unless given; the function and the local
   * pipeline rewrite in a worker thread of its own (wiring.ts, rewrite-thread.ts).
   */
  readonly rewrite?: Rewrite;
}

export interface CompactionReport {
  readonly shardHours: number;
  readonly compacted: number;
  readonly inputFiles: number;
  readonly outputFiles: number;
  readonly deletedFiles: number;
  readonly rows: number;
  /** The most decoded rows one shard-hour's rewrite held at once (what its memory follows). */
  readonly peakRowsHeld: number;
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
  const totals = {
    shardHours: 0,
    compacted: 0,
    inputFiles: 0,
    outputFiles: 0,
    deletedFiles: 0,
    rows: 0,
    peakRowsHeld: 0,
  };
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
          totals.peakRowsHeld = Math.max(totals.peakRowsHeld, result.peakRowsHeld);
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
): Promise<{ inputFiles: number; outputFiles: number; rows: number; peakRowsHeld: number } | undefined> {
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
  const { files: outputs, peakRowsHeld } = await writeCompacted(deps, hour);

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
  return { inputFiles, outputFiles, rows, peakRowsHeld };
}

/**
 * Rewrites the shard-hour (rewrite.ts) and puts one compacted file per table under a name derived
 * from its inputs (a retried run overwrites its own output).
 */
async function writeCompacted(
  deps: CompactionDeps,
  hour: ShardHour,
): Promise<{ files: CompactedFiles; peakRowsHeld: number }> {
  const inputs = hour.inputs.flatMap((input) =>
    input.keys.map((key) => ({ table: input.table, key, bytes: input.sizes.get(key) ?? 0 })),
  );
  const request = {
    inputs,
    formats: hour.formats,
    bucketBytes: deps.storage.compaction.maxInputBytes,
    ...(deps.rewriteLimits ? { limits: deps.rewriteLimits } : {}),
  };
  const rewrite = deps.rewrite ?? rewriteInProcess;
  const rewritten = await rewrite(request, (key) => getBytes(deps.s3, deps.bucketName, key));
  if (rewritten.buckets > 1)
    deps.logger.log('info', 'shard-hour above compaction.maxInputBytes: rewritten in trace buckets', {
      partition: partitionKey(hour.partition),
      shard: hour.shard,
      buckets: rewritten.buckets,
      peakRowsHeld: rewritten.peakRowsHeld,
    });
  const files: CompactedFiles = new Map();
  for (const input of hour.inputs) {
    const file = rewritten.files.get(input.table);
    if (!file) continue;
    const name = createHash('sha256').update(input.lines.join('\n')).digest('base64url').slice(0, 16);
    const key = `${dataPrefix(input.table, hour.partition, hour.shard)}${COMPACTED_PREFIX}${name}-0.parquet`;
    await putBytes(deps.s3, deps.bucketName, key, file.body, 'application/vnd.apache.parquet');
    deps.logger.log('debug', 'compacted file', { key, rows: file.rows, bytes: file.body.length });
    files.set(input.table, [{ key, rows: file.rows }]);
  }
  return { files, peakRowsHeld: rewritten.peakRowsHeld };
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
