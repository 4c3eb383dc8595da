/**
 * The ingest Lambda: a thin middy handler that adapts an API Gateway (REST, proxy) event to the
 * pure `ingest` function and its response back.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import { type HttpResponse, type IngestDeps, ingest } from './ingest.ts';
import type { HttpRequest } from './request.ts';

export function createIngestHandler(deps: IngestDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(flushMetrics(deps.metrics))
    .handler(async (event) => toProxyResult(await ingest(fromProxyEvent(event), deps)));
}

export function fromProxyEvent(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return {
    method: event.httpMethod,
    // The resource path, not the request path: it names the route whatever the stage or domain.
    path: event.resource,
    headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
  };
}

/** Bodies go back base64-encoded: API Gateway decodes them for clients (binary media types). */
export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: Buffer.from(response.body).toString('base64'),
    isBase64Encoded: true,
  };
}
