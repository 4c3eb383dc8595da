/**
 * The API Gateway stand-in of the local pipeline: an HTTP server on loopback that does what the
 * REST API does in AWS before a Lambda runs (API key check, payload limit, routing, gzip/deflate
 * request decompression with the Content-Encoding header kept, proxy event with base64 body for
 * binary media types '*\/*', Lambda's invoke payload limit, CORS preflights and the CORS headers
 * of its own errors) and then calls the very same handler; a result over Lambda's response payload
 * limit is a 502, as in AWS.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { answerCorsHeaders, preflightHeaders } from '../lambdas/ingest/cors.ts';
import type { Logger } from '../lambdas/shared/log.ts';
import { closeServer, listenOnLoopback } from './standins/listen.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface RouteSettings {
  /** HTTP method, or ANY. */
  readonly method: string;
  /**
   * Path with `{name}` parameters, e.g. `/v1/traces/{traceId}`, and as its last part at most one
   * greedy `{name+}`, which takes the rest of the path, slashes included (`/ui/{proxy+}`).
   */
  readonly path: string;
  readonly handler: ProxyHandler;
  /**
   * The origins of the ingest API's CORS (config `ingest.cors.allowedOrigins`) on a write route.
   * When there are any, as in AWS: OPTIONS is the preflight, answered without a key, and the
   * stand-in's own errors carry the request's Origin back, as the API's gateway responses do.
   */
  readonly allowedOrigins?: readonly string[];
}

export type Route = RouteSettings &
  (
    | {
        /**
         * Keys accepted in the x-api-key header: in AWS, the keys of the usage plan of the REST API
         * this route belongs to (ingest keys for write routes, read keys for read routes).
         */
        readonly apiKeys: readonly string[];
        readonly keyless?: never;
      }
    | {
        /** API Gateway's apiKeyRequired false: no key is asked for, and one sent is not checked. */
        readonly keyless: true;
        readonly apiKeys?: never;
      }
  );

export interface ApiGatewayOptions {
  readonly port: number;
  readonly routes: readonly Route[];
  /** API Gateway's own payload limit. */
  readonly maxPayloadBytes?: number;
  readonly logger: Logger;
}

export interface ApiGatewayStandIn {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and waits for requests in flight to be answered. */
  close(): Promise<void>;
  readonly stats: { requests: number; inFlight: number; unauthorized: number };
}

/** API Gateway REST's payload limit (10 MB). */
export const API_GATEWAY_MAX_PAYLOAD = 10 * 1024 * 1024;
/** Lambda's synchronous invoke payload limit (6 MB): the serialized proxy event must fit. */
export const LAMBDA_INVOKE_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** Lambda's synchronous response payload limit (6 MB): the serialized proxy result must fit. */
export const LAMBDA_RESPONSE_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/**
 * Idle keep-alive connections are kept longer than clients commonly keep theirs (Node's global
 * agent 5 s, the usual 60 s of load balancers), so a client reusing a connection just as its own
 * timer would expire never races the server closing it. Node's server default is 5 s.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Must exceed the keep-alive timeout, or Node may time a reused connection's next request out. */
export const HEADERS_TIMEOUT_MS = 66_000;

/** What API Gateway answers when the Lambda invoke fails (a handler error, an oversized event or result). */
const INVOKE_FAILED: APIGatewayProxyResult = {
  statusCode: 502,
  body: JSON.stringify({ message: 'Internal server error' }),
};

export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGatewayStandIn> {
  const stats = { requests: 0, inFlight: 0, unauthorized: 0 };
  const compiled = options.routes.map((route) => ({
    ...route,
    keys: (route.apiKeys ?? []).map((key) => Buffer.from(key)),
    pattern: compile(route.path),
  }));
  const maxPayload = options.maxPayloadBytes ?? API_GATEWAY_MAX_PAYLOAD;
  let idle: (() => void) | undefined;

  const server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    handle(req, res)
      .catch((error: unknown) => {
        // A handler that throws is a 502 from API Gateway; it is a bug, so it is logged in full.
        options.logger.log('error', 'handler failed', { error, path: req.url });
        send(res, INVOKE_FAILED);
      })
      .finally(() => {
        stats.inFlight--;
        if (stats.inFlight === 0) idle?.();
      });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { origin } = req.headers;
    const preflight = req.method === 'OPTIONS' ? preflightRoute(compiled, url.pathname) : undefined;
    if (preflight) {
      // The API's OPTIONS method: a mock integration, no key, no function.
      send(res, { statusCode: 204, body: '' }, preflightHeaders(origin, preflight.allowedOrigins ?? []));
      req.resume();
      return;
    }
    const match = matchRoute(compiled, req.method ?? 'GET', url.pathname);
    if (!match) {
      // API Gateway answers unknown resources with 403 "Missing Authentication Token".
      send(res, { statusCode: 403, body: JSON.stringify({ message: 'Missing Authentication Token' }) });
      req.resume();
      return;
    }
    const errorHeaders = gatewayErrorHeaders(match.route, origin);
    try {
      await forward(req, res, url, match, errorHeaders);
    } catch (error) {
      options.logger.log('error', 'handler failed', { error, path: req.url });
      send(res, INVOKE_FAILED, errorHeaders);
    }
  }

  /** Everything API Gateway does with a request to a route before and after the function. */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    match: { route: CompiledRoute; params: Record<string, string> | undefined },
    errorHeaders: Record<string, string>,
  ): Promise<void> {
    const { params } = match;
    if (!params) {
      // A path parameter that is not valid percent-encoding: the client's mistake, answered before
      // anything is logged (the path is whatever the client sent).
      send(
        res,
        { statusCode: 400, body: JSON.stringify({ message: 'Malformed path: invalid percent-encoding' }) },
        errorHeaders,
      );
      req.resume();
      return;
    }
    const key = req.headers['x-api-key'];
    // A key of another route's API is refused like no key: API Gateway answers 403 Forbidden for
    // a key not in the usage plan of the API the method belongs to.
    if (
      !match.route.keyless &&
      (typeof key !== 'string' || !match.route.keys.some((k) => safeEqual(k, key)))
    ) {
      stats.unauthorized++;
      // Never log a presented key: at most that one was presented.
      options.logger.log('warn', 'request without a valid API key', {
        path: url.pathname,
        keyPresent: key !== undefined,
      });
      send(res, { statusCode: 403, body: JSON.stringify({ message: 'Forbidden' }) }, errorHeaders);
      req.resume();
      return;
    }
    const received = await readBody(req, maxPayload);
    if (received === undefined) {
      send(res, { statusCode: 413, body: JSON.stringify({ message: 'Request Too Long' }) }, errorHeaders);
      return;
    }
    const body = decompressed(received, req.headers['content-encoding']);
    if (body === undefined) {
      refuseInvoke(res, url.pathname, errorHeaders);
      return;
    }
    const event = proxyEventOf(req, url, match.route.path, params, body);
    if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_INVOKE_PAYLOAD_LIMIT) {
      refuseInvoke(res, url.pathname, errorHeaders);
      return;
    }
    const result = await match.route.handler(event);
    if (Buffer.byteLength(JSON.stringify(result)) > LAMBDA_RESPONSE_PAYLOAD_LIMIT) {
      refuseResult(res, url.pathname, errorHeaders);
      return;
    }
    send(res, result);
  }

  /** Lambda fails an invoke whose result is over its response limit; API Gateway answers 502. */
  function refuseResult(res: ServerResponse, path: string, errorHeaders: Record<string, string>): void {
    options.logger.log('error', 'response over the Lambda response payload limit', {
      path,
      limit: LAMBDA_RESPONSE_PAYLOAD_LIMIT,
    });
    send(res, INVOKE_FAILED, errorHeaders);
  }

  /** Lambda refuses an event over its payload limit; API Gateway turns that into a 502. */
  function refuseInvoke(res: ServerResponse, path: string, errorHeaders: Record<string, string>): void {
    options.logger.log('warn', 'event over the Lambda invoke payload limit', {
      path,
      limit: LAMBDA_INVOKE_PAYLOAD_LIMIT,
    });
    send(res, INVOKE_FAILED, errorHeaders);
  }

  const port = await listenOnLoopback(server, options.port, 'OTLP endpoint (API Gateway stand-in)');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    close: async () => {
      const drained = new Promise<void>((resolve) => {
        if (stats.inFlight === 0) resolve();
        else idle = resolve;
      });
      server.close();
      await drained;
      await closeServer(server);
    },
  };
}

function send(
  res: ServerResponse,
  result: APIGatewayProxyResult,
  extraHeaders: Record<string, string> = {},
): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  Object.assign(headers, extraHeaders);
  if (!headers['content-type'] && !headers['Content-Type']) headers['content-type'] = 'application/json';
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** Reads the body, or answers undefined when it exceeds `limit` (the rest is drained unread). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The body as API Gateway hands it on: gzip and deflate (the codings it knows) inflated, others as
 * sent (zstd and br are passed on here, unlike AWS, so local exporters using them keep working).
 * Undefined when it inflates past anything a Lambda payload can hold. A body that does not inflate
 * is passed on as sent, for ingest to answer 400 with its message (AWS's answer is unconfirmed).
 */
function decompressed(body: Buffer, header: string | string[] | undefined): Buffer | undefined {
  const encoding = String(header ?? '')
    .trim()
    .toLowerCase();
  const inflate = encoding === 'gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : undefined;
  if (!inflate) return body;
  try {
    return inflate(body, { maxOutputLength: LAMBDA_INVOKE_PAYLOAD_LIMIT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    return body;
  }
}

/** The write route whose preflight this is: one with allowed origins whose path matches. */
function preflightRoute(routes: readonly CompiledRoute[], pathname: string): CompiledRoute | undefined {
  return routes.find(
    (route) => (route.allowedOrigins ?? []).length > 0 && route.pattern.regex.test(pathname),
  );
}

/**
 * The CORS headers of the stand-in's own errors on a route (403, 413, 400, 502). As the API's
 * DEFAULT_4XX and DEFAULT_5XX gateway responses do (lib/ingest-api.ts), they carry back whatever
 * Origin the request names: a gateway response can map a header but not compare it with a list.
 */
function gatewayErrorHeaders(route: Route, origin: string | undefined): Record<string, string> {
  return (route.allowedOrigins ?? []).length > 0 && origin !== undefined ? answerCorsHeaders(origin) : {};
}

function safeEqual(expected: Buffer, presented: string): boolean {
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type CompiledRoute = Route & {
  readonly keys: readonly Buffer[];
  readonly pattern: { regex: RegExp; names: string[] };
};

function compile(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return param[2] === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), names };
}

/** The route a request matches and its decoded parameters (undefined when one does not decode). */
function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  pathname: string,
): { route: CompiledRoute; params: Record<string, string> | undefined } | undefined {
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const m = route.pattern.regex.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [i, name] of route.pattern.names.entries()) {
      const value = decodedSegment(m[i + 1] as string);
      if (value === undefined) return { route, params: undefined };
      params[name] = value;
    }
    return { route, params };
  }
  return undefined;
}

/** A percent-encoded path segment decoded, or undefined when it is not valid percent-encoding. */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The proxy event API Gateway gives the function: headers single- and multi-valued, every value of
 * a repeated query parameter in the multi-value map and the last one in the single-value map, the
 * body in base64 (binary media types '*\/*').
 */
function proxyEventOf(
  req: IncomingMessage,
  url: URL,
  resource: string,
  params: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams)
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.fromEntries(url.searchParams),
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length ? multiValueQuery : null,
    pathParameters: Object.keys(params).length ? params : null,
    stageVariables: null,
    requestContext: { httpMethod: req.method ?? 'GET', path: url.pathname, stage: 'local' },
    body: body.toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEvent;
}
