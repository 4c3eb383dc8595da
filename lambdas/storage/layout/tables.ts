/**
 * Columns of the analytics tables (Parquet on S3, registered in Glue). The Parquet writers and the
 * Glue table definitions (CDK) are both generated from this list.
 */
import type { AnalyticsTableDefinition, ColumnDefinition } from './layout.ts';

const attributesMap = 'map<string,string>';

export const SPANS_TABLE: AnalyticsTableDefinition = {
  name: 'spans',
  description: 'One row per span of every kept trace.',
  columns: [
    { name: 'trace_id', type: 'string' },
    { name: 'span_id', type: 'string' },
    { name: 'parent_span_id', type: 'string' },
    { name: 'service_name', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'kind', type: 'string', comment: 'SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL, UNSPECIFIED' },
    { name: 'start_time', type: 'timestamp' },
    { name: 'start_time_unix_nano', type: 'bigint' },
    { name: 'duration_nano', type: 'bigint' },
    { name: 'status_code', type: 'string', comment: 'UNSET, OK, ERROR' },
    { name: 'status_message', type: 'string' },
    { name: 'http_method', type: 'string' },
    { name: 'http_route', type: 'string' },
    { name: 'http_status_code', type: 'int' },
    { name: 'db_system', type: 'string' },
    { name: 'rpc_service', type: 'string' },
    { name: 'deployment_environment', type: 'string' },
    { name: 'span_attributes', type: attributesMap },
    { name: 'resource_attributes', type: attributesMap },
    {
      name: 'events',
      type: 'array<struct<time_unix_nano:bigint,name:string,attributes:map<string,string>>>',
    },
    { name: 'links', type: 'array<struct<trace_id:string,span_id:string,attributes:map<string,string>>>' },
    { name: 'is_root', type: 'boolean' },
    { name: 'critical_path_nano', type: 'bigint', comment: 'part of this span on the trace critical path' },
    { name: 'trace_root_service', type: 'string' },
    { name: 'trace_root_name', type: 'string' },
    { name: 'trace_duration_nano', type: 'bigint' },
    { name: 'sampling_policy', type: 'string' },
    { name: 'adjusted_count', type: 'double', comment: '1 / sampling probability' },
  ],
};

export const TRACES_TABLE: AnalyticsTableDefinition = {
  name: 'traces',
  description: 'One row per kept trace: its summary.',
  columns: [
    { name: 'trace_id', type: 'string' },
    { name: 'root_service', type: 'string' },
    { name: 'root_name', type: 'string' },
    { name: 'start_time', type: 'timestamp' },
    { name: 'start_time_unix_nano', type: 'bigint' },
    { name: 'end_time_unix_nano', type: 'bigint' },
    { name: 'duration_nano', type: 'bigint' },
    { name: 'span_count', type: 'int' },
    { name: 'error_count', type: 'int' },
    { name: 'services', type: 'array<string>' },
    { name: 'sampling_policy', type: 'string' },
    { name: 'sampling_probability', type: 'double' },
    { name: 'adjusted_count', type: 'double' },
    { name: 'sampling_threshold', type: 'string', comment: 'OpenTelemetry ot=th threshold' },
  ],
};

export const EDGES_TABLE: AnalyticsTableDefinition = {
  name: 'edges',
  description: 'Parent service -> child service calls per kept trace.',
  columns: [
    { name: 'trace_id', type: 'string' },
    { name: 'parent_service', type: 'string' },
    { name: 'child_service', type: 'string' },
    { name: 'start_time', type: 'timestamp' },
    { name: 'call_count', type: 'bigint' },
    { name: 'error_count', type: 'bigint' },
    { name: 'duration_nano_sum', type: 'bigint' },
    { name: 'duration_nano_max', type: 'bigint' },
    { name: 'adjusted_count', type: 'double' },
  ],
};

export const ANALYTICS_TABLES: readonly AnalyticsTableDefinition[] = [SPANS_TABLE, TRACES_TABLE, EDGES_TABLE];

/** A configured promoted attribute, as far as the table layout cares (`storage.promotedAttributes`). */
export interface PromotedColumnDefinition {
  readonly column: string;
  readonly type: string;
  readonly attributes: readonly string[];
}

/** The spans table with the configured promoted attribute columns after the built-in ones. */
export function spansTableWith(promoted: readonly PromotedColumnDefinition[]): AnalyticsTableDefinition {
  if (promoted.length === 0) return SPANS_TABLE;
  const extra: ColumnDefinition[] = promoted.map((p) => ({
    name: p.column,
    type: p.type,
    comment: `promoted from ${p.attributes.join(' / ')}`,
  }));
  const at = SPANS_TABLE.columns.findIndex((c) => c.name === 'deployment_environment') + 1;
  return {
    ...SPANS_TABLE,
    columns: [...SPANS_TABLE.columns.slice(0, at), ...extra, ...SPANS_TABLE.columns.slice(at)],
  };
}

/**
 * The analytics tables for a configuration (`storage.promotedAttributes`): what the Parquet
 * writers write and what Glue must declare. ANALYTICS_TABLES is this for the default config.
 */
export function analyticsTables(storage: {
  readonly promotedAttributes: readonly PromotedColumnDefinition[];
}): readonly AnalyticsTableDefinition[] {
  return [spansTableWith(storage.promotedAttributes), TRACES_TABLE, EDGES_TABLE];
}
