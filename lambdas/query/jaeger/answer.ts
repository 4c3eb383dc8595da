/**
 * A 200 answer of the Jaeger API that is a list (services, operations, dependencies): the envelope
 * as JSON, gzipped when the client accepts it; an empty body for HEAD; 413 when it does not fit
 * Lambda's response payload limit.
 */
import { acceptsGzip, fittedOr, jsonResponse, type QueryResponse } from '../encoding.ts';
import type { TraceRequest } from '../trace-by-id.ts';
import { JaegerAnswerTooLargeError } from './errors.ts';
import type { JaegerEnvelope } from './model.ts';

export function jaegerAnswer<T>(
  request: TraceRequest,
  envelope: JaegerEnvelope<T>,
  what: string,
): QueryResponse {
  if (request.method === 'HEAD') return jsonResponse(200, '');
  const gzip = acceptsGzip(request.acceptEncoding);
  return fittedOr(
    jsonResponse(200, JSON.stringify(envelope)),
    gzip,
    (bytes) => new JaegerAnswerTooLargeError(what, { bytes, gzip }),
  );
}
