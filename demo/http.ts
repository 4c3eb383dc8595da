/**
 * HTTP plumbing of the demo services, instrumented by hand with the OpenTelemetry API as the HTTP
 * semantic conventions describe: a SERVER span per request received (context extracted from
 * traceparent and baggage), a CLIENT span per request sent (context injected into its headers).
 */
import { Agent, createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { PROPAGATOR } from './telemetry.ts';

/** Baggage entry carrying the tenant; every service records it on its spans under the same key. */
export const TENANT_KEY = 'tenant.id';

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export type RouteHandler = (body: unknown, span: Span) => Promise<Reply>;

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The tenant from the baggage of `ctx`, or undefined. */
export function tenantOf(ctx: Context): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(TENANT_KEY)?.value;
}

/** Marks a span failed the way the HTTP conventions say: status ERROR and `error.type`. */
export function failSpan(span: Span, errorType: string, error?: Error): void {
  if (error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? errorType });
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
}

/**
 * Serves `routes` (keyed `METHOD /path`) on a loopback port, one SERVER span per request, parented
 * by the context extracted from the request headers.
 */
export async function serveRoutes(
  service: string,
  tracer: Tracer,
  routes: Readonly<Record<string, RouteHandler>>,
): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const route = `${method} ${path}`;
      const handler = routes[route];
      const parent = PROPAGATOR.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const span = tracer.startSpan(
        route,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_HTTP_ROUTE]: path,
            [ATTR_URL_PATH]: path,
            [ATTR_SERVER_ADDRESS]: '127.0.0.1',
            [ATTR_SERVER_PORT]: (server.address() as AddressInfo).port,
          },
        },
        parent,
      );
      const tenant = tenantOf(parent);
      if (tenant) span.setAttribute(TENANT_KEY, tenant);
      let reply: Reply;
      try {
        reply = handler
          ? await context.with(trace.setSpan(parent, span), () => handler(parseJson(text), span))
          : { status: 404, body: { message: `${service} has no route ${route}` } };
      } catch (error) {
        failSpan(span, (error as Error).name, error as Error);
        reply = { status: 500, body: { message: (error as Error).message } };
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.status);
      // Server spans: only 5xx is an error (a 4xx is the client's fault).
      if (reply.status >= 500) failSpan(span, String(reply.status));
      span.end();
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Keep-alive connections between the services, as a service mesh or HTTP client pool would keep. */
const AGENT = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * Sends a request from the active context with a CLIENT span around it; traceparent, tracestate
 * and baggage go into its headers. Never throws: a network failure is a status 0 reply.
 */
export async function callService(
  tracer: Tracer,
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const span = tracer.startSpan(`${method} ${path}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_FULL]: url.href,
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: Number(url.port),
    },
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  PROPAGATOR.inject(trace.setSpan(context.active(), span), headers, defaultTextMapSetter);
  try {
    const reply = await send(url, method, headers, JSON.stringify(body));
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.status);
    // Client spans: 4xx and 5xx are errors of the call.
    if (reply.status >= 400) failSpan(span, String(reply.status));
    return reply;
  } catch (error) {
    failSpan(span, (error as NodeJS.ErrnoException).code ?? 'network', error as Error);
    return { status: 0, body: { message: (error as Error).message } };
  } finally {
    span.end();
  }
}

function send(url: URL, method: string, headers: Record<string, string>, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: AGENT }, (res) => {
      void readBody(res).then((text) =>
        resolve({
          status: res.statusCode ?? 0,
          body: parseJson(text),
          headers: Object.fromEntries(
            Object.entries(res.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function readBody(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', () => resolve(''));
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
