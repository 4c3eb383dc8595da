/**
 * Hive partitions (`dt=YYYY-MM-DD/hour=HH`, UTC) and the deterministic S3 keys of the analytics
 * tables.
 *
 * A trace's partition is the hour of its first span's Kinesis arrival, not of its spans' own
 * clocks: a client whose clock is off by a year must not create a partition that partition
 * projection never looks at, and an hour is then closed by the pipeline's own progress (decided
 * traces of that hour are written within the trace timeout plus the stream's retry horizon), which
 * is what lets compaction know when an hour is done. Late fragments go to their trace's partition,
 * so every row of a trace is in one partition.
 */
import type { BatchRef } from '../../shared/sampling/kept-trace.ts';
import { type AnalyticsTableDefinition, BUCKET_PREFIXES, tablePrefix } from './layout.ts';

export interface Partition {
  /** YYYY-MM-DD, UTC. */
  readonly dt: string;
  /** 00-23, UTC. */
  readonly hour: string;
}

export type TableName = AnalyticsTableDefinition['name'];

const HOUR_MS = 3_600_000;

export function partitionOf(epochMs: number): Partition {
  const iso = new Date(Math.floor(epochMs / HOUR_MS) * HOUR_MS).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Start of the partition's hour, ms since epoch. */
export function partitionStartMs(partition: Partition): number {
  return Date.parse(`${partition.dt}T${partition.hour}:00:00.000Z`);
}

export function partitionPath(partition: Partition): string {
  return `dt=${partition.dt}/hour=${partition.hour}`;
}

export function partitionKey(partition: Partition): string {
  return `${partition.dt}T${partition.hour}`;
}

/** Parses `dt=YYYY-MM-DD/hour=HH` out of a key; undefined when the key has none. */
export function partitionInKey(key: string): Partition | undefined {
  const match = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})(?:\/|$)/.exec(key);
  return match ? { dt: match[1] as string, hour: match[2] as string } : undefined;
}

/**
 * Where a batch's data file of one table and partition goes: `data/<table>/dt=/hour=/<shard>/
 * <first>-<last>.parquet`. Derived only from the batch, so a redelivered batch overwrites its own
 * file instead of adding one.
 */
export function batchDataKey(table: TableName, partition: Partition, batch: BatchRef): string {
  return `${dataPrefix(table, partition, batch.shardId)}${batch.firstSequenceNumber}-${batch.lastSequenceNumber}.parquet`;
}

/** A batch's sequence number range, from its data file's key; undefined for any other key. */
export function batchRangeOfKey(key: string): { first: bigint; last: bigint } | undefined {
  const match = /\/(\d+)-(\d+)\.parquet$/.exec(key);
  return match ? { first: BigInt(match[1] as string), last: BigInt(match[2] as string) } : undefined;
}

/**
 * Whether a data file listed in a shard's manifest is superseded by the batch now being written:
 * its range overlaps the batch's. Ranges that the event source mapping checkpointed never overlap
 * (a batch covers exactly the records it handled, and the next batch starts after them), so an
 * overlapping file can only come from an attempt that failed after writing Parquet and was then
 * retried as a different batch (BisectBatchOnFunctionError halves, or a partial failure). Left
 * listed, its rows would be read twice beside the retry's.
 */
export function supersededBy(batch: BatchRef, key: string): boolean {
  const range = batchRangeOfKey(key);
  if (range === undefined) return false;
  const first = BigInt(batch.firstSequenceNumber);
  const last = BigInt(batch.lastSequenceNumber);
  return range.first <= last && first <= range.last;
}

/** Folder of one shard's data files in one partition. */
export function dataPrefix(table: TableName, partition: Partition, shardId: string): string {
  return `${BUCKET_PREFIXES.data}${table}/${partitionPath(partition)}/${safeSegment(shardId)}/`;
}

/**
 * The symlink manifest of one shard in one partition: the table's Glue location holds only these
 * (one path per line), so what a query reads is exactly what the manifests list.
 */
export function manifestKey(table: TableName, partition: Partition, shardId: string): string {
  return `${tablePrefix(table)}${partitionPath(partition)}/${safeSegment(shardId)}.txt`;
}

/** Shard ids are `shardId-000000000001`; anything else is made safe for a key segment. */
function safeSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}
