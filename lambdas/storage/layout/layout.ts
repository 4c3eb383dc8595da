/**
 * Where kept traces live: the DynamoDB key schema and the S3/Glue layout. The CDK constructs and
 * the Lambda code both import these, so the infrastructure and the writers cannot drift apart.
 */

/** DynamoDB `traces` table: one trace item and span chunk items per trace, and the search index items. */
export const TRACE_TABLE = {
  partitionKey: 'trace_id',
  sortKey: 'part',
  ttlAttribute: 'expires_at',
} as const;

/**
 * Keys of every index over kept traces keyed by a low-cardinality value (a service, an operation)
 * are spread over this many buckets: with a rising time sort key every write of one key lands on one
 * partition, which takes 1,000 write units/s. 8 parallel queries per search (each 0.5 read unit at
 * least) buy 8x the write rate of one key.
 */
export const INDEX_BUCKETS = 8;

/**
 * The bucket of a trace in bucketed index keys: FNV-1a of the trace id, so the bucket does not
 * follow the id's random low bits that consistent sampling thresholds select on.
 */
export function indexBucketOf(traceId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    hash ^= traceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % INDEX_BUCKETS;
}

/** An index partition key spread over INDEX_BUCKETS: `<value>#<bucket>`. */
export function bucketedIndexKey(value: string, bucket: number): string {
  return `${value}#${bucket}`;
}

/**
 * Key attribute names of the traces table, for the item limit checks (item-limits.ts). It has no
 * secondary index: the search index items (lambdas/storage/search) serve every listing.
 */
export const TRACE_TABLE_KEYS = {
  keys: [{ partition: TRACE_TABLE.partitionKey, sort: TRACE_TABLE.sortKey }],
} as const;

/** Key prefixes inside the data bucket. */
export const BUCKET_PREFIXES = {
  /**
   * The Glue table locations: `<table>/dt=YYYY-MM-DD/hour=HH/<shard>.txt`, symlink manifests
   * listing the Parquet files a query reads (see GLUE_TABLE_FORMAT and docs/STORAGE.md).
   */
  tables: 'tables/',
  /** The Parquet files themselves: `<table>/dt=YYYY-MM-DD/hour=HH/<shard>/<file>.parquet`. */
  data: 'data/',
  /** Sampler state that must survive cold starts (statistics, recent decisions, pending traces). */
  state: 'state/',
  /** The sampler's pending-trace objects (under state/): one named per shard (lane), the rest garbage. */
  pendingState: 'state/pending/',
} as const;

/** Pending-trace objects no document names any more (a crash between write and delete) expire after this. */
export const ORPHANED_PENDING_EXPIRY_DAYS = 7;

export const GLUE_DATABASE_DEFAULT = 'tracesift';

/**
 * Storage format of every analytics table in Glue: Parquet rows read through symlink manifests
 * (as Delta Lake's Athena integration does). A query reads exactly the files the manifests list,
 * and each manifest is replaced by one atomic PUT, so compaction can swap many small files for one
 * large file without a query ever seeing both or neither.
 */
export const GLUE_TABLE_FORMAT = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/**
 * Partition projection table parameters for a table located at `location` (s3://bucket/tables/x/):
 * dt as a date over the last `retentionDays` (plus one for the hour in progress), hour as 00-23.
 */
export function partitionProjection(location: string, retentionDays: number): Record<string, string> {
  const base = location.endsWith('/') ? location : `${location}/`;
  return {
    'projection.enabled': 'true',
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': `NOW-${retentionDays + 1}DAYS,NOW`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${base}dt=\${dt}/hour=\${hour}/`,
  };
}

/** The partition columns every analytics table shares (UTC). */
export const PARTITION_COLUMNS = [
  { name: 'dt', type: 'string' },
  { name: 'hour', type: 'string' },
] as const;

export interface ColumnDefinition {
  readonly name: string;
  /** Hive/Glue type, e.g. `string`, `bigint`, `timestamp`, `map<string,string>`. */
  readonly type: string;
  readonly comment?: string;
}

export interface AnalyticsTableDefinition {
  readonly name: 'spans' | 'traces' | 'edges';
  readonly description: string;
  readonly columns: readonly ColumnDefinition[];
}

/** S3 prefix of one analytics table. */
export function tablePrefix(table: AnalyticsTableDefinition['name']): string {
  return `${BUCKET_PREFIXES.tables}${table}/`;
}
