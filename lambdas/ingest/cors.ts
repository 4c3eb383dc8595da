/**
 * CORS for browser exporters (config `ingest.cors.allowedOrigins`): which answers carry which
 * headers, decided from the request's Origin alone. The ingest function, the API's preflight
 * method (lib/ingest-api.ts) and the local API Gateway stand-in take their headers from here, so
 * the three agree. An origin is allowed only when it is listed exactly: there are no wildcards,
 * and no credentials (API keys travel in a header the preflight allows, not in cookies).
 */

/** What a page may send to the write routes once its preflight is answered. */
export const CORS_ALLOW_METHODS = 'POST,OPTIONS';

/** The request headers exporters set: the body's type and coding, and the API key. */
export const CORS_ALLOW_HEADERS = 'content-type,content-encoding,x-api-key';

/**
 * The response headers a page may read besides the CORS-safelisted ones: Retry-After, so a
 * browser exporter waits as a 429 or 503 tells it (the OpenTelemetry web exporter reads it).
 */
export const CORS_EXPOSE_HEADERS = 'retry-after';

/**
 * How long a browser may reuse a preflight answer: two hours, the most Chromium honours (Firefox
 * allows a day). An origin removed from the configuration is refused by every browser within it.
 */
export const CORS_MAX_AGE_SECONDS = 7200;

/** The request's origin when it is one of `allowed`, otherwise undefined. */
export function allowedOrigin(origin: string | undefined, allowed: readonly string[]): string | undefined {
  return origin !== undefined && allowed.includes(origin) ? origin : undefined;
}

/** The CORS headers of an answer (success or error) to a request from `origin`, already allowed. */
export function answerCorsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': CORS_EXPOSE_HEADERS,
  };
}

/** The CORS headers of every answer to a request with this Origin: none unless it is allowed. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  const match = allowedOrigin(origin, allowed);
  return match === undefined ? {} : answerCorsHeaders(match);
}

/** The headers of the answer to a preflight (OPTIONS) with this Origin: none unless it is allowed. */
export function preflightHeaders(
  origin: string | undefined,
  allowed: readonly string[],
): Record<string, string> {
  const match = allowedOrigin(origin, allowed);
  if (match === undefined) return {};
  return {
    'access-control-allow-origin': match,
    vary: 'Origin',
    'access-control-allow-methods': CORS_ALLOW_METHODS,
    'access-control-allow-headers': CORS_ALLOW_HEADERS,
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
  };
}
