/**
 * The query Lambda: a thin middy handler adapting the API Gateway proxy event to the route its
 * resource names (`event.resource`, the path template API Gateway matched, stage excluded).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import { headerOf, type QueryResponse } from './encoding.ts';
import { RouteNotFoundError } from './errors.ts';
import { getJaegerOperations, getJaegerServiceOperations, getJaegerServices } from './jaeger-catalogue.ts';
import { getJaegerDependencies } from './jaeger-dependencies.ts';
import { searchJaegerTraces } from './jaeger-search.ts';
import { getJaegerTrace } from './jaeger-trace-by-id.ts';
import { queryParametersOf } from './parameters.ts';
import { errorBody, getTraceById, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';
import { serveWebUi, WEB_UI_RESOURCES } from './web-ui.ts';

/** The resources of the read API (lib/query-api.ts and local/pipeline.ts) and what answers each. */
export const QUERY_ROUTES: ReadonlyMap<
  string,
  (request: TraceRequest, deps: QueryDeps) => Promise<QueryResponse>
> = new Map([
  ['/v1/traces/{traceId}', getTraceById],
  ['/api/traces/{traceId}', getJaegerTrace],
  ['/api/traces', searchJaegerTraces],
  ['/api/services', getJaegerServices],
  ['/api/services/{service}/operations', getJaegerServiceOperations],
  ['/api/operations', getJaegerOperations],
  ['/api/dependencies', getJaegerDependencies],
  ...WEB_UI_RESOURCES.map((resource) => [resource, serveWebUi] as const),
]);

/** An event without a resource (a direct invoke) asks for the route the function first served. */
const DEFAULT_RESOURCE = '/v1/traces/{traceId}';

export function createQueryHandler(deps: QueryDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(flushMetrics(deps.metrics))
    .handler(async (event) => {
      const resource = event.resource ?? DEFAULT_RESOURCE;
      const route = QUERY_ROUTES.get(resource);
      if (!route) return rejection(new RouteNotFoundError(resource), deps, errorBody);
      return route(requestOf(event), deps);
    });
}

/**
 * The path and what the browser's path has before it; the trace id from the path parameter, or
 * from the last path segment when the route has none; the Accept-Encoding and If-None-Match headers
 * and the paging parameters when present; every query parameter; the service of the path, when the
 * route has one.
 */
export function requestOf(event: APIGatewayProxyEvent): TraceRequest {
  const path = event.path ?? '';
  const fromPath = path.split('/').filter(Boolean).at(-1) ?? '';
  const acceptEncoding = headerOf(event.headers, 'accept-encoding');
  const ifNoneMatch = headerOf(event.headers, 'if-none-match');
  const { limit, cursor } = event.queryStringParameters ?? {};
  const service = event.pathParameters?.service;
  return {
    method: event.httpMethod,
    path,
    pathPrefix: pathPrefixOf(event.requestContext?.path, path),
    traceId: event.pathParameters?.traceId ?? decodeURIComponent(fromPath),
    ...(acceptEncoding === undefined ? {} : { acceptEncoding }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
    query: queryParametersOf(event),
    ...(service === undefined ? {} : { service }),
  };
}

/**
 * The browser's path (the request context's, `/prod/ui/x`) less the resource path (`/ui/x`): the
 * stage. '' when the context has no path (a direct invoke) or does not end with the resource path.
 */
export function pathPrefixOf(browserPath: string | undefined, path: string): string {
  if (browserPath === undefined || !browserPath.endsWith(path)) return '';
  return browserPath.slice(0, browserPath.length - path.length);
}
