/**
 * The catalogue routes of Jaeger's HTTP query API, which fill Grafana's service and operation
 * pickers, answered from the search index's catalogue:
 *
 * - GET /api/services: the services with kept traces, sorted; `total` is their number.
 * - GET /api/services/{service}/operations: the operation names of a service (every span kind),
 *   each once, sorted; Jaeger's legacy form, the one Grafana calls. An unknown service has none:
 *   `data: []` (Jaeger writes `null`).
 * - GET /api/operations?service=&spanKind=: `[{ name, spanKind }]`; `service` is required, and
 *   `spanKind`, when given, is one of server, client, producer, consumer, internal (Jaeger passes
 *   any other value to its storage, which finds nothing; here it is a 400 naming it).
 */
import type { QueryResponse } from './encoding.ts';
import { jaegerAnswer } from './jaeger/answer.ts';
import { dataEnvelope, errorEnvelope } from './jaeger/envelope.ts';
import { InvalidParameterError, MissingParameterError } from './jaeger/errors.ts';
import { firstValue } from './parameters.ts';
import { checkReadMethod, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';

/** The span kinds Jaeger's `/api/operations` filters on, as its `spanKind` values name them. */
const SPAN_KINDS: readonly string[] = ['server', 'client', 'producer', 'consumer', 'internal'];

export async function getJaegerServices(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const services = await deps.search.services(deps.now());
    return jaegerAnswer(request, dataEnvelope(services, services.length), 'services');
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

export async function getJaegerServiceOperations(
  request: TraceRequest,
  deps: QueryDeps,
): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const service = request.service ?? '';
    if (service === '') throw new MissingParameterError('service');
    const operations = await deps.search.operations(service, deps.now());
    const names = [...new Set(operations.map((operation) => operation.name))].sort();
    return jaegerAnswer(request, dataEnvelope(names, names.length), 'operations');
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

export async function getJaegerOperations(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const service = firstValue(request.query, 'service');
    if (service === '') throw new MissingParameterError('service');
    const spanKind = spanKindParameter(firstValue(request.query, 'spanKind'));
    const operations = await deps.search.operations(service, deps.now(), spanKind);
    const data = operations.map(({ name, spanKind }) => ({ name, spanKind }));
    return jaegerAnswer(request, dataEnvelope(data, data.length), 'operations');
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

/** The kind to filter on; undefined (every kind) when the parameter is absent or empty. */
function spanKindParameter(value: string): string | undefined {
  if (value === '') return undefined;
  if (SPAN_KINDS.includes(value)) return value;
  throw new InvalidParameterError(
    'spanKind',
    value,
    `"${value.slice(0, 64)}" is not a span kind: expected one of ${SPAN_KINDS.join(', ')}`,
  );
}
