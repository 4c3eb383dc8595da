/**
 * Writes the Parquet objects of a batch: per table and partition one data file, keyed by the batch
 * (a redelivery overwrites it), then its line in the shard's manifest of that partition (added only
 * once). Data first, manifest second: a manifest never lists a file that is not there. The same
 * manifest write unlists the files of a failed attempt whose sequence range overlaps this batch
 * (partitions.ts `supersededBy`): a retry bisected into halves writes other keys than the attempt
 * it replaces, and both listed would count those spans twice.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../../shared/config/index.ts';
import type { BatchRef } from '../../shared/sampling/kept-trace.ts';
import type { RetryPolicy } from '../dynamodb/trace-table.ts';
import { inParallel } from '../dynamodb/trace-table.ts';
import type { ServiceEdge } from '../enrich/edges.ts';
import type { TraceSummary } from '../enrich/summary.ts';
import { ObjectStoreError } from '../errors.ts';
import type { AnalyticsTableDefinition } from '../layout/layout.ts';
import {
  batchDataKey,
  manifestKey,
  type Partition,
  partitionKey,
  supersededBy,
  type TableName,
} from '../layout/partitions.ts';
import { EDGES_TABLE, spansTableWith, TRACES_TABLE } from '../layout/tables.ts';
import { addToManifest, keyOfLine, manifestLine } from '../manifests/manifest.ts';
import { encodeParquet, type ParquetEncodeOptions } from './encode.ts';
import {
  BUILTIN_PROMOTED_COLUMNS,
  edgeColumns,
  type PromotedColumn,
  type TraceRows,
  traceColumns,
} from './rows.ts';
import { encodeSpans } from './span-rows.ts';

/** What one trace (or late fragment) contributes to the analytics tables. */
export interface TraceRowsWrite {
  readonly partition: Partition;
  readonly rows: TraceRows;
  /** The summary row for the traces table; absent for late fragments (compaction refreshes it). */
  readonly summary?: TraceSummary;
  readonly edges: readonly ServiceEdge[];
}

export interface ParquetStoreOptions {
  readonly s3: S3Client;
  readonly bucketName: string;
  readonly storage: StorageConfig;
  readonly retry?: Partial<RetryPolicy>;
  readonly concurrency?: number;
}

export interface ParquetWriteResult {
  readonly objects: number;
  readonly bytes: number;
  readonly rows: number;
}

/**
 * The layout and encoding choices of each table (bench/storage.ts measured them on the reference
 * workload): span ids in DELTA_LENGTH_BYTE_ARRAY (a dictionary of distinct ids only adds indices,
 * and PLAIN's 4-byte length prefixes cost ~2.3 B/span even after zstd), other strings in a
 * dictionary, numbers PLAIN, and min/max statistics only where a predicate can prune.
 */
export interface TableFormat {
  readonly table: AnalyticsTableDefinition;
  readonly encode: ParquetEncodeOptions;
}

export function tableFormats(storage: StorageConfig): Record<TableName, TableFormat> {
  const spans = spansTableWith(storage.promotedAttributes);
  const base = { zstdLevel: storage.parquet.zstdLevel, rowGroupRows: storage.parquet.rowGroupRows };
  const except = (table: AnalyticsTableDefinition, names: readonly string[]): Set<string> =>
    new Set(table.columns.map((c) => c.name).filter((n) => !names.includes(n)));
  return {
    spans: {
      table: spans,
      encode: {
        ...base,
        encodings: { span_id: 'DELTA_LENGTH_BYTE_ARRAY', parent_span_id: 'DELTA_LENGTH_BYTE_ARRAY' },
        statistics: except(spans, [
          'trace_id',
          'span_id',
          'parent_span_id',
          'status_message',
          'span_attributes',
          'resource_attributes',
          'events',
          'links',
        ]),
      },
    },
    traces: {
      table: TRACES_TABLE,
      encode: { ...base, statistics: except(TRACES_TABLE, ['trace_id', 'services']) },
    },
    edges: { table: EDGES_TABLE, encode: { ...base, statistics: except(EDGES_TABLE, ['trace_id']) } },
  };
}

export function promotedColumns(storage: StorageConfig): PromotedColumn[] {
  return [
    ...BUILTIN_PROMOTED_COLUMNS,
    ...storage.promotedAttributes.map((p) => ({
      column: p.column,
      source: p.source,
      keys: p.attributes,
      type: p.type,
    })),
  ];
}

/** One table's Parquet file of a set of writes. */
export interface EncodedTable {
  readonly table: TableName;
  readonly body: Uint8Array;
  readonly rows: number;
}

/** The Parquet file of each table that a set of writes of one partition has rows in. */
export function encodeTables(
  writes: readonly TraceRowsWrite[],
  formats: Record<TableName, TableFormat>,
  promoted: readonly PromotedColumn[],
): EncodedTable[] {
  const out: EncodedTable[] = [];
  const spans = writes.filter((w) => w.rows.spans.length > 0).map((w) => w.rows);
  if (spans.length) {
    const { table, encode } = formats.spans;
    const rows = spans.reduce((sum, t) => sum + t.spans.length, 0);
    out.push({ table: 'spans', body: encodeSpans(spans, promoted, table, encode), rows });
  }
  const summaries = writes.flatMap((w) => (w.summary ? [w.summary] : []));
  if (summaries.length) {
    const { table, encode } = formats.traces;
    out.push({
      table: 'traces',
      body: encodeParquet(table.columns, traceColumns(summaries), encode),
      rows: summaries.length,
    });
  }
  const edgeWrites = writes.filter((w) => w.edges.length > 0);
  if (edgeWrites.length) {
    const { table, encode } = formats.edges;
    const columns = edgeColumns(
      edgeWrites.map((w) => ({ summary: w.rows.enrichment.summary, edges: w.edges })),
    );
    out.push({
      table: 'edges',
      body: encodeParquet(table.columns, columns, encode),
      rows: columns.trace_id?.length ?? 0,
    });
  }
  return out;
}

export class ParquetStore {
  private readonly s3: S3Client;
  public readonly bucketName: string;
  private readonly formats: Record<TableName, TableFormat>;
  private readonly promoted: PromotedColumn[];
  private readonly retry: Partial<RetryPolicy>;
  private readonly concurrency: number;

  public constructor(options: ParquetStoreOptions) {
    this.s3 = options.s3;
    this.bucketName = options.bucketName;
    this.formats = tableFormats(options.storage);
    this.promoted = promotedColumns(options.storage);
    this.retry = options.retry ?? {};
    this.concurrency = options.concurrency ?? 6;
  }

  /**
   * `signal`: an aborted attempt (timed out, its batch being retried) stops before listing its
   * files, the step that makes them visible; a data file put without its line is never read.
   */
  public async writeBatch(
    batch: BatchRef,
    writes: readonly TraceRowsWrite[],
    signal?: AbortSignal,
  ): Promise<ParquetWriteResult> {
    const byPartition = new Map<string, { partition: Partition; writes: TraceRowsWrite[] }>();
    for (const write of writes) {
      const key = partitionKey(write.partition);
      let group = byPartition.get(key);
      if (!group) {
        group = { partition: write.partition, writes: [] };
        byPartition.set(key, group);
      }
      group.writes.push(write);
    }
    // Encoding is synchronous: every file is encoded before the first PUT, then they go in parallel.
    const objects = [...byPartition.values()].flatMap(({ partition, writes: group }) =>
      encodeTables(group, this.formats, this.promoted).map((encoded) => ({ ...encoded, partition })),
    );
    let bytes = 0;
    let rows = 0;
    await inParallel(objects, this.concurrency, async ({ table, partition, body, rows: tableRows }) => {
      const key = batchDataKey(table, partition, batch);
      await this.put(key, body);
      signal?.throwIfAborted();
      await addToManifest(
        this.s3,
        this.bucketName,
        manifestKey(table, partition, batch.shardId),
        [manifestLine(this.bucketName, key)],
        this.retry,
        (line) => {
          const listed = keyOfLine(this.bucketName, line);
          return listed !== undefined && supersededBy(batch, listed);
        },
      );
      bytes += body.length;
      rows += tableRows;
    });
    return { objects: objects.length, bytes, rows };
  }

  private async put(key: string, body: Uint8Array): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucketName,
          Key: key,
          Body: body,
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
    } catch (error) {
      throw new ObjectStoreError('PUT', key, { cause: error });
    }
  }
}
