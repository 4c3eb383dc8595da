/**
 * GET /v1/traces/{traceId}: the kept trace as OTLP/JSON TracesData (`resourceSpans`, so any OTLP
 * tool reads the body as is) plus a `summary` member with the trace summary and its sampling
 * decision. 400 for a malformed id, 404 for an unknown or expired one. Gzipped (base64 body) when
 * the client accepts gzip; `?limit=` and `?cursor=` page a trace in a stable span order. 413 with
 * a suggested page size, rather than API Gateway's 502, when an answer exceeds Lambda's 6 MB.
 */
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import { encodeTracesDataJson } from '../shared/otlp/index.ts';
import { isValidTraceIdHex } from '../shared/span/ids.ts';
import {
  readTrace,
  type StoredTraceView,
  type TraceSearch,
  type TraceSummary,
  type TraceTable,
} from '../storage/index.ts';
import { acceptsGzip, fitted, jsonResponse, type QueryResponse } from './encoding.ts';
import { MalformedTraceIdError, MethodNotAllowedError, QueryError, TraceNotFoundError } from './errors.ts';
import { type PageRequest, pageOf, pageRequestOf } from './paging.ts';
import type { QueryParameters } from './parameters.ts';
import type { UiAssets } from './ui-assets.ts';

export interface QueryDeps {
  readonly table: TraceTable;
  /** The search index: services, operations, trace search and dependencies (the Jaeger API). */
  readonly search: TraceSearch;
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The web UI's files (ui-assets.ts); absent, the UI's routes answer 404 saying it is not built in. */
  readonly ui?: UiAssets;
}

export interface TraceRequest {
  readonly method: string;
  /** The path API Gateway matched the resource on, without the stage (`/ui/trace/abc`). */
  readonly path: string;
  /**
   * What the browser's path has before `path`: the stage (`/prod`), '' when nothing (locally) or
   * when the paths do not line up.
   */
  readonly pathPrefix: string;
  /** The `{traceId}` path parameter as received. */
  readonly traceId: string;
  /** The Accept-Encoding header, if any. */
  readonly acceptEncoding?: string;
  /** The If-None-Match header, if any. */
  readonly ifNoneMatch?: string;
  /** The `limit` and `cursor` query parameters, if any. */
  readonly limit?: string;
  readonly cursor?: string;
  /** Every query parameter, each with all its values (the Jaeger API's). */
  readonly query: QueryParameters;
  /** The `{service}` path parameter, if the route has one. */
  readonly service?: string;
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

export async function getTraceById(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    // Ids are lower-case hex on the wire (W3C); upper case in a URL is the same id.
    const traceId = request.traceId.toLowerCase();
    if (!isValidTraceIdHex(traceId)) throw new MalformedTraceIdError(request.traceId);
    const page = pageRequestOf(request.limit, request.cursor);
    const trace = await readTrace(deps.table, traceId, deps.now());
    if (!trace) throw new TraceNotFoundError(traceId);
    const { body, spans } = traceBody(trace, page);
    deps.metrics.add('TracesRead', 1);
    deps.metrics.add('SpansRead', spans);
    if (request.method === 'HEAD') return jsonResponse(200, '');
    return fitted(jsonResponse(200, body), { traceId, spans, gzip: acceptsGzip(request.acceptEncoding) });
  } catch (error) {
    return rejection(error, deps, errorBody);
  }
}

/** Only GET and HEAD read traces. */
export function checkReadMethod(method: string): void {
  if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(method);
}

/** The body of a refusal of this API: its message and details. */
export function errorBody(error: QueryError): Record<string, unknown> {
  return { message: error.message, ...error.details };
}

/**
 * The answer to a request refused with a QueryError (body in the API's own form), counted by
 * status; any other error is a bug and is thrown on (API Gateway answers 502, the log has it).
 */
export function rejection(
  error: unknown,
  deps: Pick<QueryDeps, 'metrics'>,
  bodyOf: (error: QueryError) => unknown,
): QueryResponse {
  if (!(error instanceof QueryError)) throw error;
  deps.metrics.add('TraceQueryRejected', 1, 'Count', { Status: String(error.statusCode) });
  return jsonResponse(error.statusCode, JSON.stringify(bodyOf(error)));
}

/** The TracesData of the trace (or of the page asked for), its summary, and the page's cursor. */
function traceBody(
  trace: StoredTraceView,
  request: PageRequest | undefined,
): { body: string; spans: number } {
  const page = request ? pageOf(trace.spans, request) : { spans: trace.spans };
  const paging = request
    ? { page: { spans: page.spans.length, ...(page.next ? { next: page.next } : {}) } }
    : {};
  const body = JSON.stringify({
    ...encodeTracesDataJson(page.spans),
    summary: summaryJson(trace.summary),
    ...paging,
  });
  return { body, spans: page.spans.length };
}
