/**
 * The storage engine: the one entry of lambdas/storage for the functions, the local pipeline, the
 * tools and the tests. Inside, by concern: enrich/ (trace summary, service edges, critical path),
 * dynamodb/ (the trace table, its items and their bounds), parquet/ (rows, schemas, encoding, the
 * analytics writer), manifests/ (per-partition object lists), search/ (the search index: entries,
 * catalogue, dependency counters, and trace search over them), layout/ (names, keys, prefixes and
 * table definitions shared with the infrastructure); trace-store.ts writes through all of them.
 *
 * layout/index.ts is the second, light entry: the CDK constructs (lib/) import the layout from it
 * so that synth (and the construct package) loads no DynamoDB, S3 or Parquet code. Everything it
 * exports is forwarded here too. test/structure.test.ts enforces both entries.
 */

export { criticalPathNano } from '../shared/span/critical-path.ts';
export { createTraceStore } from './create.ts';
export { boundedDecision, STORED_STRING_BYTES, TRUNCATION_MARKER } from './dynamodb/bounds.ts';
export {
  DYNAMODB_LIMITS,
  itemLimitViolation,
  itemSize,
  type KeySchemaNames,
} from './dynamodb/item-limits.ts';
export { spansProtobufBytes } from './dynamodb/span-blob.ts';
export { spansWithinCaps, type TraceCaps } from './dynamodb/trace-caps.ts';
export {
  deliveryOf,
  expiresAtOf,
  firstWriteItems,
  isResourceItem,
  spansOf,
  storedTraceOf,
  type TraceItem,
  writeUnits,
} from './dynamodb/trace-items.ts';
export { readTrace, type StoredTraceView, traceViewOf } from './dynamodb/trace-reader.ts';
export { type RetryPolicy, TraceTable } from './dynamodb/trace-table.ts';
export { enrichTrace } from './enrich/enrich.ts';
export { type EnrichableSpan, summarizeTrace, type TraceSummary } from './enrich/summary.ts';
export { ObjectStoreError } from './errors.ts';
export {
  ANALYTICS_TABLES,
  type AnalyticsTableDefinition,
  analyticsTables,
  BUCKET_PREFIXES,
  batchDataKey,
  dataPrefix,
  GLUE_DATABASE_DEFAULT,
  GLUE_TABLE_FORMAT,
  manifestKey,
  ORPHANED_PENDING_EXPIRY_DAYS,
  PARTITION_COLUMNS,
  type Partition,
  partitionInKey,
  partitionKey,
  partitionOf,
  partitionPath,
  partitionProjection,
  SPANS_TABLE,
  type TableName,
  TRACE_TABLE,
  tablePrefix,
} from './layout/index.ts';
export {
  keyOfLine,
  manifestLine,
  parseManifest,
  readManifest,
  updateManifest,
} from './manifests/manifest.ts';
export { type ColumnArrays, encodeParquet, type ParquetEncodeOptions } from './parquet/encode.ts';
export { ParquetFileWriter, zstdCompress } from './parquet/file-writer.ts';
export {
  openParquet,
  type ParquetSource,
  readParquetRange,
  readParquetRows,
} from './parquet/read.ts';
export { type HiveType, parseHiveType } from './parquet/schema.ts';
export { encodeSpans } from './parquet/span-rows.ts';
export {
  type EncodedTable,
  encodeTables,
  ParquetStore,
  promotedColumns,
  type TableFormat,
  type TraceRowsWrite,
  tableFormats,
} from './parquet/store.ts';
export { dependencyIncrements } from './search/dependencies.ts';
export {
  type IndexedTraceWrite,
  type IndexWriteReport,
  SearchIndexWriter,
} from './search/index-writer.ts';
export { base64Of, jsonTextOf } from './search/json-text.ts';
export { type SearchEntry, searchEntriesOf } from './search/search-entries.ts';
export { entriesOfItem, searchItemsOf } from './search/search-items.ts';
export {
  goFloatText,
  type RootDecision,
  rootDecisionOf,
  searchTerm,
  searchTermsOf,
  spanKindText,
  valueText,
} from './search/search-terms.ts';
export { createTraceSearch, MAX_INDEX_READ_UNITS, maxVerified } from './search/table-search.ts';
export type {
  FoundTraces,
  ServiceDependency,
  ServiceOperation,
  TraceQuery,
  TraceSearch,
} from './search/trace-search.ts';
export { indexedWrite, TraceStore } from './trace-store.ts';
