/**
 * Kept traces -> the rows of the analytics tables: column arrays of the traces and edges tables
 * (the spans table is written straight into Parquet leaves, span-rows.ts), rows sorted so Parquet
 * min/max statistics prune; and the text forms of span values all tables share.
 */
import {
  type Attributes,
  type AttributeValue,
  type Span,
  SpanKind,
  StatusCode,
} from '../../shared/span/model.ts';
import type { ServiceEdge } from '../enrich/edges.ts';
import type { Enrichment } from '../enrich/enrich.ts';
import type { TraceSummary } from '../enrich/summary.ts';
import type { ColumnArrays } from './encode.ts';

/** A span attribute copied into a column of its own. */
export interface PromotedColumn {
  readonly column: string;
  readonly source: 'span' | 'resource';
  /** Attribute keys in order of preference (current semantic convention first, older after). */
  readonly keys: readonly string[];
  readonly type: 'string' | 'bigint' | 'int' | 'double' | 'boolean';
}

/** The promoted columns of tables.ts, with the semantic-convention keys that fill them. */
export const BUILTIN_PROMOTED_COLUMNS: readonly PromotedColumn[] = [
  { column: 'http_method', source: 'span', keys: ['http.request.method', 'http.method'], type: 'string' },
  { column: 'http_route', source: 'span', keys: ['http.route'], type: 'string' },
  {
    column: 'http_status_code',
    source: 'span',
    keys: ['http.response.status_code', 'http.status_code'],
    type: 'int',
  },
  { column: 'db_system', source: 'span', keys: ['db.system.name', 'db.system'], type: 'string' },
  { column: 'rpc_service', source: 'span', keys: ['rpc.service'], type: 'string' },
  {
    column: 'deployment_environment',
    source: 'resource',
    keys: ['deployment.environment.name', 'deployment.environment'],
    type: 'string',
  },
];

/** One kept trace (or late fragment) to write: the spans that become rows and their enrichment. */
export interface TraceRows {
  readonly spans: readonly Span[];
  readonly enrichment: Enrichment;
}

const KIND_NAMES: Record<number, string> = {
  [SpanKind.UNSPECIFIED]: 'UNSPECIFIED',
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

const STATUS_NAMES: Record<number, string> = {
  [StatusCode.UNSET]: 'UNSET',
  [StatusCode.OK]: 'OK',
  [StatusCode.ERROR]: 'ERROR',
};

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? 'UNSPECIFIED';
}

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? 'UNSET';
}

/** Rows of the traces table, sorted by root service, then start time, then trace id. */
export function traceColumns(summaries: readonly TraceSummary[]): ColumnArrays {
  const sorted = [...summaries].sort(compareSummaries);
  return {
    trace_id: sorted.map((s) => s.traceId),
    root_service: sorted.map((s) => s.rootService),
    root_name: sorted.map((s) => s.rootName),
    start_time: sorted.map((s) => s.startTimeUnixNano / 1_000_000n),
    start_time_unix_nano: sorted.map((s) => s.startTimeUnixNano),
    end_time_unix_nano: sorted.map((s) => s.endTimeUnixNano),
    duration_nano: sorted.map((s) => BigInt(s.durationNano)),
    span_count: sorted.map((s) => s.spanCount),
    error_count: sorted.map((s) => s.errorCount),
    services: sorted.map((s) => [...s.services]),
    sampling_policy: sorted.map((s) => s.policy),
    sampling_probability: sorted.map((s) => s.probability),
    adjusted_count: sorted.map((s) => s.adjustedCount),
    sampling_threshold: sorted.map((s) => s.threshold),
  };
}

function compareSummaries(a: TraceSummary, b: TraceSummary): number {
  if (a.rootService !== b.rootService) return a.rootService < b.rootService ? -1 : 1;
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0;
}

/** Rows of the edges table, sorted by parent service, child service, start time, trace id. */
export function edgeColumns(
  traces: readonly { summary: TraceSummary; edges: readonly ServiceEdge[] }[],
): ColumnArrays {
  const rows: { summary: TraceSummary; edge: ServiceEdge }[] = [];
  for (const t of traces) for (const edge of t.edges) rows.push({ summary: t.summary, edge });
  rows.sort((a, b) => {
    if (a.edge.parentService !== b.edge.parentService)
      return a.edge.parentService < b.edge.parentService ? -1 : 1;
    if (a.edge.childService !== b.edge.childService)
      return a.edge.childService < b.edge.childService ? -1 : 1;
    return compareSummaries(a.summary, b.summary);
  });
  return {
    trace_id: rows.map((r) => r.summary.traceId),
    parent_service: rows.map((r) => r.edge.parentService),
    child_service: rows.map((r) => r.edge.childService),
    start_time: rows.map((r) => r.summary.startTimeUnixNano / 1_000_000n),
    call_count: rows.map((r) => BigInt(r.edge.callCount)),
    error_count: rows.map((r) => BigInt(r.edge.errorCount)),
    duration_nano_sum: rows.map((r) => BigInt(r.edge.durationNanoSum)),
    duration_nano_max: rows.map((r) => BigInt(r.edge.durationNanoMax)),
    adjusted_count: rows.map((r) => r.summary.adjustedCount),
  };
}

/** Attributes as map<string,string>, leaving out keys already promoted to a column. */
export function attributeMap(attributes: Attributes, omit?: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keyed by senders' attribute keys
  for (const key in attributes) {
    if (omit?.has(key)) continue;
    out[key] = attributeText(attributes[key] as AttributeValue);
  }
  return out;
}

/**
 * An attribute value as text: strings as they are, numbers and booleans as SQL would print them,
 * bytes as base64, arrays and key-value lists as JSON (bytes base64, big integers as strings).
 */
export function attributeText(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return value instanceof Uint8Array
        ? Buffer.from(value).toString('base64')
        : JSON.stringify(jsonOf(value));
  }
}

function jsonOf(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return (value as AttributeValue[]).map(jsonOf);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null); // keyed by senders' kvlist keys
    for (const key in value) out[key] = jsonOf((value as Attributes)[key] as AttributeValue);
    return out;
  }
  return value;
}
