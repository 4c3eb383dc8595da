/**
 * Re-enrichment of one shard-hour from its rows. Every row of a trace is in one partition (its
 * first arrival's) and one shard (trace affinity), so the rows of one shard-hour hold whole traces:
 * the summary row, the trace-level span columns, each span's critical path and the edges are
 * recomputed from all of a trace's spans, which settles what late fragments left provisional.
 * Rows duplicated by anything upstream are dropped here too (span id within a trace). Rows are
 * updated in place (they are the decoded rows of one compaction, held once, not twice).
 */
import { SpanKind, StatusCode } from '../shared/span/model.ts';
import { type EnrichableSpan, enrichTrace } from '../storage/index.ts';

export type Row = Record<string, unknown>;

export interface ShardHourRows {
  readonly spans: readonly Row[];
  readonly traces: readonly Row[];
  readonly edges: readonly Row[];
}

const KIND: Record<string, number> = {
  UNSPECIFIED: SpanKind.UNSPECIFIED,
  INTERNAL: SpanKind.INTERNAL,
  SERVER: SpanKind.SERVER,
  CLIENT: SpanKind.CLIENT,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

const STATUS: Record<string, number> = {
  UNSET: StatusCode.UNSET,
  OK: StatusCode.OK,
  ERROR: StatusCode.ERROR,
};

function spanOfRow(row: Row): EnrichableSpan {
  const start = row.start_time_unix_nano as bigint;
  return {
    spanId: row.span_id as string,
    parentSpanId: (row.parent_span_id as string | null) ?? '',
    name: (row.name as string | null) ?? '',
    kind: (KIND[row.kind as string] ?? SpanKind.UNSPECIFIED) as SpanKind,
    startTimeUnixNano: start,
    endTimeUnixNano: start + ((row.duration_nano as bigint | null) ?? 0n),
    status: { code: (STATUS[row.status_code as string] ?? StatusCode.UNSET) as StatusCode },
    resource: { serviceName: (row.service_name as string | null) ?? '' },
  };
}

/**
 * Span rows by trace, each span id once (its first row), in order of first appearance: one map
 * lookup a row, so a trace of n spans costs O(n), not O(n^2).
 */
function uniqueSpansByTrace(rows: readonly Row[]): Map<string, Row[]> {
  const byTrace = new Map<string, Map<unknown, Row>>();
  for (const row of rows) {
    const id = row.trace_id as string;
    let spans = byTrace.get(id);
    if (!spans) {
      spans = new Map();
      byTrace.set(id, spans);
    }
    if (!spans.has(row.span_id)) spans.set(row.span_id, row);
  }
  return new Map([...byTrace].map(([id, spans]) => [id, [...spans.values()]]));
}

export function refreshShardHour(rows: ShardHourRows): ShardHourRows {
  const spansByTrace = uniqueSpansByTrace(rows.spans);
  const traceRows = new Map<string, Row>();
  for (const row of rows.traces) {
    const id = row.trace_id as string;
    const seen = traceRows.get(id);
    if (!seen || (row.span_count as number) > (seen.span_count as number)) traceRows.set(id, row);
  }

  const spans: Row[] = [];
  const traces: Row[] = [];
  const edges: Row[] = rows.edges.filter((e) => !spansByTrace.has(e.trace_id as string));
  for (const [traceId, spanRows] of spansByTrace) {
    const traceRow = traceRows.get(traceId);
    const first = spanRows[0] as Row;
    const adjusted = (traceRow?.adjusted_count ?? first.adjusted_count) as number;
    const decision = {
      keep: true,
      policy: ((traceRow?.sampling_policy ?? first.sampling_policy) as string | null) ?? '',
      probability:
        (traceRow?.sampling_probability as number | undefined) ?? (adjusted > 0 ? 1 / adjusted : 0),
      threshold: (traceRow?.sampling_threshold as string | null | undefined) ?? '',
      reason: '',
    };
    const {
      summary,
      criticalPath,
      edges: traceEdges,
    } = enrichTrace(traceId, spanRows.map(spanOfRow), decision, 0);
    for (const row of spanRows) {
      row.critical_path_nano = BigInt(criticalPath.get(row.span_id as string) ?? 0);
      row.trace_root_service = summary.rootService;
      row.trace_root_name = summary.rootName;
      row.trace_duration_nano = BigInt(summary.durationNano);
      spans.push(row);
    }
    const startTime = new Date(Number(summary.startTimeUnixNano / 1_000_000n));
    if (traceRow) {
      Object.assign(traceRow, {
        root_service: summary.rootService,
        root_name: summary.rootName,
        start_time: startTime,
        start_time_unix_nano: summary.startTimeUnixNano,
        end_time_unix_nano: summary.endTimeUnixNano,
        duration_nano: BigInt(summary.durationNano),
        span_count: summary.spanCount,
        error_count: summary.errorCount,
        services: [...summary.services],
      });
      traces.push(traceRow);
      traceRows.delete(traceId);
    }
    for (const edge of traceEdges) {
      edges.push({
        trace_id: traceId,
        parent_service: edge.parentService,
        child_service: edge.childService,
        start_time: startTime,
        call_count: BigInt(edge.callCount),
        error_count: BigInt(edge.errorCount),
        duration_nano_sum: BigInt(edge.durationNanoSum),
        duration_nano_max: BigInt(edge.durationNanoMax),
        adjusted_count: adjusted,
      });
    }
  }
  // Summaries of traces without span rows here (none by construction) are kept as they are.
  traces.push(...traceRows.values());
  return { spans, traces, edges };
}

type Key = (row: Row) => readonly unknown[];

const SORT_KEYS: Record<'spans' | 'traces' | 'edges', Key> = {
  spans: (r) => [r.service_name, r.start_time_unix_nano, r.trace_id, r.span_id],
  traces: (r) => [r.root_service, r.start_time_unix_nano, r.trace_id],
  edges: (r) => [r.parent_service, r.child_service, r.start_time, r.trace_id],
};

/** The order the writers sort a table's rows in, so compacted files prune like batch files. */
export function compareRows(table: 'spans' | 'traces' | 'edges'): (a: Row, b: Row) => number {
  const key = SORT_KEYS[table];
  return (a, b) => compareKeys(key(a), key(b));
}

/** Sorts rows in the order the writers use. */
export function sortRows(table: 'spans' | 'traces' | 'edges', rows: readonly Row[]): Row[] {
  const key = SORT_KEYS[table];
  const keyed = rows.map((row) => ({ row, key: key(row) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((k) => k.row);
}

function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] instanceof Date ? (a[i] as Date).getTime() : a[i];
    const y = b[i] instanceof Date ? (b[i] as Date).getTime() : b[i];
    if (x === y) continue;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    return (x as number) < (y as number) ? -1 : 1;
  }
  return 0;
}
