/**
 * The storage layout, without I/O and without dependencies: table, key and index names, bucket
 * prefixes and partitions, the analytics tables and their Glue definitions. The light entry of
 * lambdas/storage for the infrastructure code (lib/), so synth loads none of the engine; all other
 * code imports the same names from lambdas/storage/index.ts.
 */
export {
  type AnalyticsTableDefinition,
  BUCKET_PREFIXES,
  type ColumnDefinition,
  GLUE_DATABASE_DEFAULT,
  GLUE_TABLE_FORMAT,
  ORPHANED_PENDING_EXPIRY_DAYS,
  PARTITION_COLUMNS,
  partitionProjection,
  TRACE_TABLE,
  tablePrefix,
} from './layout.ts';
export {
  batchDataKey,
  dataPrefix,
  manifestKey,
  type Partition,
  partitionInKey,
  partitionKey,
  partitionOf,
  partitionPath,
  type TableName,
} from './partitions.ts';
export { ANALYTICS_TABLES, analyticsTables, SPANS_TABLE } from './tables.ts';
