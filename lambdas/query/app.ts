/** The query Lambda: a thin middy handler adapting the API Gateway proxy event to getTraceById. */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import { headerOf } from './encoding.ts';
import { getTraceById, type QueryDeps, type TraceRequest } from './trace-by-id.ts';

export function createQueryHandler(deps: QueryDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(flushMetrics(deps.metrics))
    .handler(async (event) => getTraceById(requestOf(event), deps));
}

/**
 * The trace id from the path parameter, or from the last path segment when the route has none; the
 * Accept-Encoding header and the paging parameters when present.
 */
export function requestOf(event: APIGatewayProxyEvent): TraceRequest {
  const fromPath = event.path?.split('/').filter(Boolean).at(-1) ?? '';
  const acceptEncoding = headerOf(event.headers, 'accept-encoding');
  const { limit, cursor } = event.queryStringParameters ?? {};
  return {
    method: event.httpMethod,
    traceId: event.pathParameters?.traceId ?? decodeURIComponent(fromPath),
    ...(acceptEncoding === undefined ? {} : { acceptEncoding }),
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}
