/**
 * CORS on the ingest API, for browser exporters on the origins of `ingest.cors.allowedOrigins`:
 * an OPTIONS method on each write route answering the preflight without an API key, and CORS
 * headers on the errors API Gateway answers itself. The ingest function adds them to its own
 * answers (lambdas/ingest/cors.ts, where the header values are defined once for all three).
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import {
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_SECONDS,
} from '../lambdas/ingest/cors.ts';
import { acknowledge } from './nag.ts';

/** The status of a preflight answer: no body. */
export const PREFLIGHT_STATUS = '204';

/** The headers a preflight answer may carry (all of them, or none: see preflightTemplate). */
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Origin': '$origin',
  Vary: '"Origin"',
  'Access-Control-Allow-Methods': `"${CORS_ALLOW_METHODS}"`,
  'Access-Control-Allow-Headers': `"${CORS_ALLOW_HEADERS}"`,
  'Access-Control-Max-Age': `"${CORS_MAX_AGE_SECONDS}"`,
} as const;

/**
 * The mock integration's response template: every CORS header, and only when the request's Origin
 * is one of `allowedOrigins`, so a page of any other origin gets no header at all. A mapping
 * template, unlike a static response parameter, can compare; the origins are literals here, which
 * the configuration keeps to letters, digits and `-_.:/[]` (no quote or `$` to escape). Both
 * spellings of the header are read: the lookup may be by exact name, and HTTP/2 clients send header
 * names in lower case (aws-cdk's own addCorsPreflight reads both as well).
 */
export function preflightTemplate(allowedOrigins: readonly string[]): string {
  const allowed = allowedOrigins.map((origin) => `$origin == "${origin}"`).join(' || ');
  return [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if("$!origin" == "")',
    '  #set($origin = $input.params().header.get("origin"))',
    '#end',
    `#if(${allowed})`,
    ...Object.entries(PREFLIGHT_HEADERS).map(
      ([name, value]) => `  #set($context.responseOverride.header.${name} = ${value})`,
    ),
    '#end',
  ].join('\n');
}

/**
 * OPTIONS on a write route: a mock integration (no function runs) that needs no API key, since a
 * browser sends a preflight without the request's custom headers, the key among them.
 */
export function addPreflight(
  resource: apigateway.Resource,
  allowedOrigins: readonly string[],
): apigateway.Method {
  const method = resource.addMethod(
    'OPTIONS',
    new apigateway.MockIntegration({
      requestTemplates: { 'application/json': JSON.stringify({ statusCode: Number(PREFLIGHT_STATUS) }) },
      // A preflight has no body: an OPTIONS with an unexpected content type is refused (415).
      passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
      integrationResponses: [
        {
          statusCode: PREFLIGHT_STATUS,
          responseTemplates: { 'application/json': preflightTemplate(allowedOrigins) },
        },
      ],
    }),
    {
      apiKeyRequired: false,
      authorizationType: apigateway.AuthorizationType.NONE,
      methodResponses: [
        {
          statusCode: PREFLIGHT_STATUS,
          // Declared, not required: they are absent for an origin that is not allowed.
          responseParameters: Object.fromEntries(
            Object.keys(PREFLIGHT_HEADERS).map((name) => [`method.response.header.${name}`, false]),
          ),
        },
      ],
    },
  );
  const reason =
    'The CORS preflight (OPTIONS) is answered by a mock integration without authorization by design: ' +
    'browsers send it without custom headers, so without the API key. It runs no function, reads ' +
    'and writes nothing, and its CORS headers name only the configured origins.';
  acknowledge(method, 'APIG4', reason);
  acknowledge(method, 'COG4', reason);
  return method;
}

/**
 * The CORS headers of the errors API Gateway answers itself (403 for a missing or unknown key, 429
 * when a key's usage plan throttles, 413, 415, 5xx), so a browser exporter sees their status
 * instead of a network error, and retries a 429 or 503. A gateway response can map a request
 * header but not compare it with a list, so these carry back whatever Origin the request names
 * (none when it names none). Echoing is safe: a page of another origin never gets past the
 * preflight, so it can only send requests without a key and read the 403 `{"message":"Forbidden"}`
 * every caller gets; no credentials are allowed. The ingest function's answers, the only ones to
 * accepted spans, name allowed origins only.
 */
export const GATEWAY_ERROR_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': 'method.request.header.Origin',
  Vary: "'Origin'",
  'Access-Control-Expose-Headers': `'${CORS_EXPOSE_HEADERS}'`,
};

/** API Gateway's default body of its own errors, kept: a gateway response with headers needs a template. */
const GATEWAY_ERROR_BODY = { 'application/json': '{"message":$context.error.messageString}' };

/** DEFAULT_4XX and DEFAULT_5XX with the CORS headers; every error type not set otherwise inherits them. */
export function addGatewayErrorCors(api: apigateway.RestApi): void {
  for (const [id, type] of [
    ['Default4xx', apigateway.ResponseType.DEFAULT_4XX],
    ['Default5xx', apigateway.ResponseType.DEFAULT_5XX],
  ] as const) {
    api.addGatewayResponse(id, {
      type,
      responseHeaders: { ...GATEWAY_ERROR_CORS_HEADERS },
      templates: GATEWAY_ERROR_BODY,
    });
  }
}
