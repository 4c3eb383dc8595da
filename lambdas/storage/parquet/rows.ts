/**
 * Kept traces -> column arrays of the three analytics tables (spans, traces, edges), in the column
 * order of lambdas/storage/layout/tables.ts, rows sorted so Parquet min/max statistics prune.
 */
import {
  type Attributes,
  type AttributeValue,
  type Span,
  SpanKind,
  StatusCode,
  spanDurationNano,
} from '../../shared/span/model.ts';
import type { ServiceEdge } from '../enrich/edges.ts';
import type { Enrichment } from '../enrich/enrich.ts';
import type { TraceSummary } from '../enrich/summary.ts';

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

export type ColumnArrays = Record<string, unknown[]>;

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

interface SpanEntry {
  readonly span: Span;
  readonly enrichment: Enrichment;
}

/**
 * Rows of the spans table, sorted by service, then start time (then trace and span id, so the
 * order, and with it the file, is fully determined by the rows).
 */
export function spanColumns(traces: readonly TraceRows[], promoted: readonly PromotedColumn[]): ColumnArrays {
  const entries: SpanEntry[] = [];
  for (const trace of traces)
    for (const span of trace.spans) entries.push({ span, enrichment: trace.enrichment });
  entries.sort(compareSpanEntries);
  const n = entries.length;
  const col = (): unknown[] => new Array(n);
  const out: ColumnArrays = {
    trace_id: col(),
    span_id: col(),
    parent_span_id: col(),
    service_name: col(),
    name: col(),
    kind: col(),
    start_time: col(),
    start_time_unix_nano: col(),
    duration_nano: col(),
    status_code: col(),
    status_message: col(),
  };
  for (const p of promoted) out[p.column] = col();
  Object.assign(out, {
    span_attributes: col(),
    resource_attributes: col(),
    events: col(),
    links: col(),
    is_root: col(),
    critical_path_nano: col(),
    trace_root_service: col(),
    trace_root_name: col(),
    trace_duration_nano: col(),
    sampling_policy: col(),
    adjusted_count: col(),
  });
  const promotedArrays = promoted.map((p) => out[p.column] as unknown[]);
  const spanPromoted = promoted.map((p, i) => ({ p, i })).filter(({ p }) => p.source === 'span');
  const resourcePromoted = promoted.map((p, i) => ({ p, i })).filter(({ p }) => p.source === 'resource');
  // Resources are shared by the spans of one export request: stringify each one once.
  const resourceCache = new Map<Attributes, { map: Record<string, string>; values: unknown[] }>();
  for (let r = 0; r < n; r++) {
    const { span, enrichment } = entries[r] as SpanEntry;
    const summary = enrichment.summary;
    (out.trace_id as unknown[])[r] = span.traceId;
    (out.span_id as unknown[])[r] = span.spanId;
    (out.parent_span_id as unknown[])[r] = span.parentSpanId;
    (out.service_name as unknown[])[r] = span.resource.serviceName;
    (out.name as unknown[])[r] = span.name;
    (out.kind as unknown[])[r] = kindName(span.kind);
    (out.start_time as unknown[])[r] = span.startTimeUnixNano / 1_000_000n;
    (out.start_time_unix_nano as unknown[])[r] = span.startTimeUnixNano;
    (out.duration_nano as unknown[])[r] = BigInt(spanDurationNano(span));
    (out.status_code as unknown[])[r] = statusName(span.status.code);
    (out.status_message as unknown[])[r] = span.status.message;
    const taken = new Set<string>();
    for (const { p, i } of spanPromoted) {
      (promotedArrays[i] as unknown[])[r] = promote(span.attributes, p, taken);
    }
    (out.span_attributes as unknown[])[r] = attributeMap(span.attributes, taken);
    let resource = resourceCache.get(span.resource.attributes);
    if (!resource) {
      const resourceTaken = new Set<string>();
      const values = resourcePromoted.map(({ p }) => promote(span.resource.attributes, p, resourceTaken));
      resource = { map: attributeMap(span.resource.attributes, resourceTaken), values };
      resourceCache.set(span.resource.attributes, resource);
    }
    for (let k = 0; k < resourcePromoted.length; k++) {
      (promotedArrays[(resourcePromoted[k] as { i: number }).i] as unknown[])[r] = resource.values[k];
    }
    (out.resource_attributes as unknown[])[r] = resource.map;
    (out.events as unknown[])[r] = span.events.map((e) => ({
      time_unix_nano: e.timeUnixNano,
      name: e.name,
      attributes: attributeMap(e.attributes),
    }));
    (out.links as unknown[])[r] = span.links.map((l) => ({
      trace_id: l.traceId,
      span_id: l.spanId,
      attributes: attributeMap(l.attributes),
    }));
    (out.is_root as unknown[])[r] = span.parentSpanId === '';
    (out.critical_path_nano as unknown[])[r] = BigInt(enrichment.criticalPath.get(span.spanId) ?? 0);
    (out.trace_root_service as unknown[])[r] = summary.rootService;
    (out.trace_root_name as unknown[])[r] = summary.rootName;
    (out.trace_duration_nano as unknown[])[r] = BigInt(summary.durationNano);
    (out.sampling_policy as unknown[])[r] = summary.policy;
    (out.adjusted_count as unknown[])[r] = summary.adjustedCount;
  }
  return out;
}

function compareSpanEntries(a: SpanEntry, b: SpanEntry): number {
  const sa = a.span.resource.serviceName;
  const sb = b.span.resource.serviceName;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.span.startTimeUnixNano !== b.span.startTimeUnixNano)
    return a.span.startTimeUnixNano < b.span.startTimeUnixNano ? -1 : 1;
  if (a.span.traceId !== b.span.traceId) return a.span.traceId < b.span.traceId ? -1 : 1;
  return a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0;
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

/** The promoted value, converted to the column's type; records the key it took in `taken`. */
function promote(attributes: Attributes, column: PromotedColumn, taken: Set<string>): unknown {
  for (const key of column.keys) {
    const value = attributes[key];
    if (value === undefined) continue;
    const converted = convert(value, column.type);
    if (converted === undefined) continue;
    taken.add(key);
    return converted;
  }
  return null;
}

function convert(value: AttributeValue, type: PromotedColumn['type']): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'object' && !(value instanceof Uint8Array) ? undefined : attributeText(value);
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)
        return value;
      if (typeof value === 'string' && /^-?\d{1,10}$/.test(value) && Math.abs(Number(value)) <= 2 ** 31 - 1)
        return Number(value);
      return undefined;
    case 'bigint':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d{1,18}$/.test(value)) return BigInt(value);
      return undefined;
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return undefined;
  }
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
