/**
 * GET /api/traces of Jaeger's HTTP query API: the trace search of Grafana's Jaeger data source
 * (service, operation, tags, time range, duration bounds, limit: jaeger/search-params.ts) and the
 * `?traceID=a&traceID=b` form. Whole traces in Jaeger's form (jaeger/translate.ts; a trace without
 * spans has none and is left out), newest first, or in the order asked, in the envelope
 * `{ data, total: data.length, limit: 0, offset: 0, errors }` (Jaeger itself writes total 0 here;
 * clients read `data`):
 *
 * - a trace id asked but not kept, or expired, is left out of `data` and named in `errors` as
 *   `{ msg: 'trace not found', traceID }` without a code, as Jaeger does; none found is `data: []`.
 * - a search that stopped at its read budget (FoundTraces.partial) still answers 200 with what it
 *   found, plus a note in `errors`: Grafana's data source reads only `data` of a 200
 *   (grafana-jaeger-datasource pkg/jaeger/client.go, Search), so it shows the traces, and a client
 *   that reads `errors` learns that older matches may exist.
 * - an answer over Lambda's 6 MB leaves out its oldest traces (jaeger/trimmed-traces.ts).
 *
 * Malformed parameters answer 400 with one error naming the parameter.
 */
import { readTrace, type StoredTraceView, type TraceQuery } from '../storage/index.ts';
import { acceptsGzip, jsonResponse, type QueryResponse } from './encoding.ts';
import { errorEnvelope } from './jaeger/envelope.ts';
import type { JaegerError } from './jaeger/model.ts';
import { searchRequestOf } from './jaeger/search-params.ts';
import { jaegerTraceId, jaegerTraceOf } from './jaeger/translate.ts';
import { type FoundTrace, tracesAnswer } from './jaeger/trimmed-traces.ts';
import { checkReadMethod, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';

/** What a search that stopped at its read budget adds to `errors`. */
const PARTIAL_SEARCH_NOTE: JaegerError = {
  msg:
    'the search stopped at its read budget: older matching traces may exist; ' +
    'search a shorter time range or add filters (operation, tags, durations) to find them',
};

interface Found {
  readonly traces: readonly FoundTrace[];
  readonly notes: readonly JaegerError[];
}

export async function searchJaegerTraces(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const search = searchRequestOf(request.query, deps.now());
    const found = search.query ? await searched(search.query, deps) : await byIds(search.traceIds, deps);
    deps.metrics.add('TracesRead', found.traces.length);
    deps.metrics.add('SpansRead', spanCount(found.traces));
    if (request.method === 'HEAD') return jsonResponse(200, '');
    return tracesAnswer(found.traces, found.notes, acceptsGzip(request.acceptEncoding));
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

async function searched(query: TraceQuery, deps: QueryDeps): Promise<Found> {
  const found = await deps.search.findTraces(query, deps.now());
  deps.metrics.add('TraceSearches', 1);
  deps.metrics.add('SearchReadUnits', found.readUnits);
  if (found.partial) deps.metrics.add('PartialTraceSearches', 1);
  return {
    traces: found.traces.flatMap((stored) => foundTrace(stored) ?? []),
    notes: found.partial ? [PARTIAL_SEARCH_NOTE] : [],
  };
}

/** Each trace asked, read by id (as GET /api/traces/{traceId} reads it), in the order asked. */
async function byIds(traceIds: readonly string[], deps: QueryDeps): Promise<Found> {
  const nowMs = deps.now();
  const stored = await Promise.all(traceIds.map((traceId) => readTrace(deps.table, traceId, nowMs)));
  const traces: FoundTrace[] = [];
  const notes: JaegerError[] = [];
  for (const [i, traceId] of traceIds.entries()) {
    const read = stored[i];
    const found = read && foundTrace(read);
    if (found) traces.push(found);
    else notes.push({ msg: 'trace not found', traceID: jaegerTraceId(traceId) });
  }
  return { traces, notes };
}

function foundTrace(stored: StoredTraceView): FoundTrace | undefined {
  const trace = jaegerTraceOf(stored);
  return trace && { trace, startNano: stored.summary.startTimeUnixNano };
}

function spanCount(traces: readonly FoundTrace[]): number {
  return traces.reduce((sum, found) => sum + found.trace.spans.length, 0);
}
