/**
 * GET /api/traces/{traceId} of Jaeger's HTTP query API, the call Grafana's Jaeger data source makes
 * to open a trace: `{ data: [trace], total: 0, limit: 0, offset: 0, errors: null }`, the trace in
 * the form of jaeger/translate.ts (root span first, the sampling decision as tags on it). Failures
 * answer Jaeger's envelope with `data: null` and one error whose `code` is the status: 400 naming
 * `traceID`, 404 `trace not found` (also for a trace without spans: clients read spans[0]), 413
 * when the answer does not fit Lambda's 6 MB even gzipped, as Jaeger cannot page one trace.
 */
import { readTrace } from '../storage/index.ts';
import { acceptsGzip, fittedOr, jsonResponse, type QueryResponse } from './encoding.ts';
import { dataEnvelope, errorEnvelope } from './jaeger/envelope.ts';
import {
  InvalidParameterError,
  JaegerTraceNotFoundError,
  JaegerTraceTooLargeError,
} from './jaeger/errors.ts';
import { jaegerTraceOf } from './jaeger/translate.ts';
import { checkReadMethod, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';

const TRACE_ID_WIDTH = 32;

export async function getJaegerTrace(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const traceId = traceIdParameter(request.traceId);
    const stored = await readTrace(deps.table, traceId, deps.now());
    const trace = stored && jaegerTraceOf(stored);
    if (!trace) throw new JaegerTraceNotFoundError(traceId);
    const spans = trace.spans.length;
    deps.metrics.add('TracesRead', 1);
    deps.metrics.add('SpansRead', spans);
    if (request.method === 'HEAD') return jsonResponse(200, '');
    const gzip = acceptsGzip(request.acceptEncoding);
    return fittedOr(
      jsonResponse(200, JSON.stringify(dataEnvelope([trace]))),
      gzip,
      (bytes) => new JaegerTraceTooLargeError(traceId, { spans, bytes, gzip }),
    );
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

/**
 * The `{traceID}` of the path as a 32-character id. Jaeger reads 1 to 32 hex digits, in either case,
 * as a number (model.TraceIDFromString), and prints a 64-bit id as 16: so shorter ids are padded
 * with zeros on the left, and Grafana's id (the one it shows) finds the trace.
 */
export function traceIdParameter(value: string): string {
  if (!/^[0-9a-f]{1,32}$/i.test(value))
    throw new InvalidParameterError(
      'traceID',
      value,
      `"${value.slice(0, 64)}" is not a trace id: expected 1 to 32 hex characters (16 for a 64-bit id)`,
    );
  return value.toLowerCase().padStart(TRACE_ID_WIDTH, '0');
}
