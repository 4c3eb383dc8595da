/**
 * Fitting the answer into Lambda's response payload limit: gzip for clients that accept it, sent as
 * a base64 body that API Gateway (binary media types `*\/*`) hands on as bytes.
 */
import { gzipSync } from 'node:zlib';
import { type QueryError, TraceTooLargeError } from './errors.ts';

/** Lambda's synchronous response payload limit: the serialized proxy result must fit (6 MiB). */
export const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;
/** What an answer may take: the limit less a margin, so a result measured just under it is safe. */
export const RESPONSE_BUDGET = LAMBDA_RESPONSE_LIMIT - 4 * 1024;

export interface QueryResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}

/** True when an Accept-Encoding header admits gzip (named, or `*`, with a q above zero). */
export function acceptsGzip(header: string | undefined): boolean {
  let star = false;
  for (const entry of (header ?? '').split(',')) {
    const [coding = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const admitted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return admitted;
    if (coding === '*') star = admitted;
  }
  return star;
}

/** A header of a proxy event, whatever its case (REST APIs keep the client's). */
export function headerOf(
  headers: Record<string, string | undefined> | null,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The response with its body gzipped and base64-encoded; an empty body is left as it is. */
export function gzipped(response: QueryResponse): QueryResponse {
  if (response.body === '') return response;
  return {
    ...response,
    headers: { ...response.headers, 'content-encoding': 'gzip' },
    body: gzipSync(response.body).toString('base64'),
    isBase64Encoded: true,
  };
}

/** Bytes of the response as the Lambda runtime returns it (JSON), the size its limit applies to. */
export function payloadBytes(response: QueryResponse): number {
  return Buffer.byteLength(JSON.stringify(response));
}

/**
 * The response, gzipped if the client accepts it; when it still does not fit, the error `tooLarge`
 * makes of its size (each API says in its own words what the client can do instead).
 */
export function fittedOr(
  response: QueryResponse,
  gzip: boolean,
  tooLarge: (bytes: number) => QueryError,
): QueryResponse {
  const answer = gzip ? gzipped(response) : response;
  const bytes = payloadBytes(answer);
  if (bytes <= RESPONSE_BUDGET) return answer;
  throw tooLarge(bytes);
}

/** The response, gzipped if the client accepts it; TraceTooLargeError if it still does not fit. */
export function fitted(
  response: QueryResponse,
  size: { traceId: string; spans: number; gzip: boolean },
): QueryResponse {
  return fittedOr(response, size.gzip, (bytes) => {
    // Sizes grow about linearly with spans; 80% of the proportional share leaves room for variance.
    const suggested = Math.max(1, Math.floor((size.spans * RESPONSE_BUDGET * 0.8) / bytes));
    return new TraceTooLargeError(size.traceId, { spans: size.spans, bytes, gzip: size.gzip }, suggested);
  });
}

/**
 * Headers of every answer of the query function: a browser takes the body for the type it is
 * declared as, never sniffs one (a trace's span names must not become a script or a page).
 */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

/** A JSON answer that no cache keeps and that varies with the client's Accept-Encoding. */
export function jsonResponse(statusCode: number, body: string): QueryResponse {
  return {
    statusCode,
    headers: {
      ...ANSWER_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      vary: 'Accept-Encoding',
    },
    body,
  };
}
