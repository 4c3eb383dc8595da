/**
 * Where kept traces live: the DynamoDB key schema and the S3/Glue layout. The CDK constructs and
 * the Lambda code both import these, so the infrastructure and the writers cannot drift apart.
 */

/** DynamoDB `traces` table: one summary item and span chunk items per trace. */
export const TRACE_TABLE = {
  partitionKey: 'trace_id',
  sortKey: 'part',
  ttlAttribute: 'expires_at',
  /** GSI of summary items: the recent traces of a service by start time. */
  byServiceIndex: {
    name: 'by_service_start',
    partitionKey: 'gsi_service',
    sortKey: 'gsi_start_ms',
  },
} as const;

/** Key prefixes inside the data bucket. */
export const BUCKET_PREFIXES = {
  /** Hive-partitioned Parquet tables: `<table>/dt=YYYY-MM-DD/hour=HH/<file>.parquet`. */
  tables: 'tables/',
  /** Sampler state that must survive cold starts (latency sketches). */
  state: 'state/',
} as const;

export const GLUE_DATABASE_DEFAULT = 'tracesift';

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
