/**
 * The envelope of Jaeger's HTTP query API (`structuredResponse` in jaegertracing/jaeger's
 * http_handler.go): `{ data, total, limit, offset, errors }`. A success has `errors: null`; a
 * failure has `data: null` and one error whose `code` is the HTTP status of the answer.
 */
import type { QueryError } from '../errors.ts';
import type { JaegerEnvelope, JaegerTrace } from './model.ts';
import { jaegerTraceOf, type KeptTraceView } from './translate.ts';

/** A successful answer; `total` is the number of items where Jaeger reports it (services, operations). */
export function dataEnvelope<T>(data: T, total = 0): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors: null };
}

/** The answer to a request that failed with `error`, to be sent with status `error.statusCode`. */
export function errorEnvelope(error: QueryError): JaegerEnvelope<null> {
  return {
    data: null,
    total: 0,
    limit: 0,
    offset: 0,
    errors: [{ code: error.statusCode, msg: error.message }],
  };
}

/** The traces answer: kept traces in Jaeger form, leaving out any without spans. */
export function tracesEnvelope(traces: readonly KeptTraceView[]): JaegerEnvelope<JaegerTrace[]> {
  const data: JaegerTrace[] = [];
  for (const trace of traces) {
    const jaeger = jaegerTraceOf(trace);
    if (jaeger) data.push(jaeger);
  }
  return dataEnvelope(data);
}
