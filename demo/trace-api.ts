/** A client of the pipeline's trace-by-id API (GET /v1/traces/{traceId}), with the read key. */
import { decodeTraceRequestObject } from '../lambdas/shared/otlp/index.ts';
import type { Span } from '../lambdas/shared/span/model.ts';
import type { DemoEndpoints } from './endpoints.ts';
import {
  ApiKeyRejectedError,
  PipelineNotRunningError,
  TraceApiError,
  TraceApiUnavailableError,
  TraceResponseError,
} from './errors.ts';

/** The `summary` member of the trace-by-id answer (lambdas/query/trace-by-id.ts summaryJson). */
export interface FetchedSummary {
  readonly rootService: string;
  readonly rootName: string;
  readonly durationNano: string;
  readonly spanCount: number;
  readonly errorCount: number;
  readonly services: readonly string[];
  readonly sampling: {
    readonly policy: string;
    readonly probability: number;
    readonly adjustedCount: number;
    readonly reason: string;
  };
}

export interface FetchedTrace {
  readonly traceId: string;
  readonly spans: readonly Span[];
  readonly summary: FetchedSummary;
}

/** The kept trace, or undefined when the pipeline did not keep it (404). */
export async function fetchTrace(
  endpoints: DemoEndpoints,
  traceId: string,
): Promise<FetchedTrace | undefined> {
  const url = `${endpoints.traceById}/${traceId}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'x-api-key': endpoints.queryApiKey } });
  } catch (error) {
    throw new PipelineNotRunningError(`nothing answers at ${url}`, url, { cause: error });
  }
  const text = await response.text();
  if (response.status === 404) return undefined;
  if (response.status === 403)
    throw text.includes('Missing Authentication Token')
      ? new TraceApiUnavailableError(traceId)
      : new ApiKeyRejectedError(traceId);
  if (response.status !== 200)
    throw new TraceApiError(traceId, response.status, `HTTP ${response.status}: ${text}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new TraceResponseError(traceId, (error as Error).message, { cause: error });
  }
  const summary = (doc as { summary?: FetchedSummary }).summary;
  if (typeof summary?.sampling?.policy !== 'string') throw new TraceResponseError(traceId, 'no summary');
  try {
    return { traceId, spans: decodeTraceRequestObject(doc as never), summary };
  } catch (error) {
    throw new TraceResponseError(traceId, (error as Error).message, { cause: error });
  }
}
