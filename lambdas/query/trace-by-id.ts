/**
 * GET /v1/traces/{traceId}: the kept trace as OTLP/JSON TracesData (`resourceSpans`, so any OTLP
 * tool reads the body as is) plus a `summary` member with the trace summary and its sampling
 * decision. 400 for a malformed id, 404 for an unknown or expired one.
 */
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/emf.ts';
import { encodeTracesDataJson } from '../shared/otlp/json.ts';
import { isValidTraceIdHex } from '../shared/span/ids.ts';
import type { TraceSummary } from '../storage/summary.ts';
import { readTrace } from '../storage/trace-reader.ts';
import type { TraceTable } from '../storage/trace-table.ts';
import { MalformedTraceIdError, MethodNotAllowedError, QueryError, TraceNotFoundError } from './errors.ts';

export interface QueryDeps {
  readonly table: TraceTable;
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface TraceRequest {
  readonly method: string;
  /** The `{traceId}` path parameter as received. */
  readonly traceId: string;
}

export interface JsonResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The JSON form of a summary: 64-bit nanosecond times as strings, as OTLP/JSON writes them. */
export function summaryJson(summary: TraceSummary): Record<string, unknown> {
  return {
    traceId: summary.traceId,
    rootSpanId: summary.rootSpanId,
    rootService: summary.rootService,
    rootName: summary.rootName,
    startTimeUnixNano: summary.startTimeUnixNano.toString(),
    endTimeUnixNano: summary.endTimeUnixNano.toString(),
    durationNano: String(summary.durationNano),
    spanCount: summary.spanCount,
    errorCount: summary.errorCount,
    services: summary.services,
    sampling: {
      policy: summary.policy,
      probability: summary.probability,
      adjustedCount: summary.adjustedCount,
      threshold: summary.threshold,
      reason: summary.reason,
    },
  };
}

export async function getTraceById(request: TraceRequest, deps: QueryDeps): Promise<JsonResponse> {
  try {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw new MethodNotAllowedError(request.method);
    // Ids are lower-case hex on the wire (W3C); upper case in a URL is the same id.
    const traceId = request.traceId.toLowerCase();
    if (!isValidTraceIdHex(traceId)) throw new MalformedTraceIdError(request.traceId);
    const trace = await readTrace(deps.table, traceId, deps.now());
    if (!trace) throw new TraceNotFoundError(traceId);
    deps.metrics.add('TracesRead', 1);
    deps.metrics.add('SpansRead', trace.spans.length);
    const body = JSON.stringify({
      ...encodeTracesDataJson(trace.spans),
      summary: summaryJson(trace.summary),
    });
    return json(200, request.method === 'HEAD' ? '' : body);
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    deps.metrics.add('TraceQueryRejected', 1, 'Count', { Status: String(error.statusCode) });
    return json(error.statusCode, JSON.stringify({ message: error.message }));
  }
}

function json(statusCode: number, body: string): JsonResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body,
  };
}
