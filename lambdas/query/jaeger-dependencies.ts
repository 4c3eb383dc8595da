/**
 * GET /api/dependencies?endTs=&lookback= of Jaeger's HTTP query API, the service graph of Grafana's
 * node graph: `[{ parent, child, callCount }]` over traces started in [endTs − lookback, endTs],
 * both in milliseconds as Jaeger reads them (endTs defaults to now, lookback to 24 hours); an
 * optional `service` keeps the edges from or to that service, as Jaeger's handler does.
 *
 * `callCount` is the estimate of all traffic, not the calls in kept traces: each kept trace's calls
 * weighted by its adjusted count (1 / sampling probability), rounded. Tail sampling keeps errors and
 * slow traces far more often than the rest, so kept calls alone would draw a graph of incidents.
 * No edge is left out, as Jaeger leaves out none its storage returns, and an edge seen in a kept
 * trace counts at least 1 call: adjusted counts are at least 1, so the estimate is at least the kept
 * calls, and the floor keeps it so should the index ever weight calls otherwise.
 *
 * tracesift extension: each link also carries `errorCount`, the estimated calls of all traffic whose
 * child span failed (kept error calls weighted the same way, rounded), so a service graph can show
 * error rates. Jaeger's clients ignore members they do not know.
 */
import type { ServiceDependency } from '../storage/index.ts';
import type { QueryResponse } from './encoding.ts';
import { jaegerAnswer } from './jaeger/answer.ts';
import { parseMillisParameter } from './jaeger/durations.ts';
import { dataEnvelope, errorEnvelope } from './jaeger/envelope.ts';
import { InvalidParameterError } from './jaeger/errors.ts';
import { firstValue, type QueryParameters } from './parameters.ts';
import { checkReadMethod, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';

/** Jaeger's defaultDependencyLookbackDuration. */
const DEFAULT_DEPENDENCY_LOOKBACK_MS = 24 * 3_600_000;

/** One edge of the graph as Jaeger's `DependencyLink` writes it, plus tracesift's `errorCount`. */
interface JaegerDependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
  /** Estimated calls whose child span failed (tracesift extension). */
  readonly errorCount: number;
}

export async function getJaegerDependencies(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    const { fromMs, toMs } = dependencyRange(request.query, deps.now());
    const service = firstValue(request.query, 'service');
    const edges = await deps.search.dependencies(fromMs, toMs);
    const data = edges
      .filter((edge) => service === '' || edge.parent === service || edge.child === service)
      .map(dependencyLinkOf);
    return jaegerAnswer(request, dataEnvelope(data), 'dependencies');
  } catch (error) {
    return rejection(error, deps, errorEnvelope);
  }
}

function dependencyLinkOf(edge: ServiceDependency): JaegerDependencyLink {
  const estimated = Math.round(edge.estimatedCalls);
  return {
    parent: edge.parent,
    child: edge.child,
    callCount: edge.keptCalls > 0 ? Math.max(1, estimated) : estimated,
    // Errors are a subset of the calls weighted alike, and rounding keeps order: never above callCount.
    errorCount: Math.round(edge.estimatedErrors),
  };
}

function dependencyRange(parameters: QueryParameters, nowMs: number): { fromMs: number; toMs: number } {
  const endTs = firstValue(parameters, 'endTs');
  const lookback = firstValue(parameters, 'lookback');
  const toMs = endTs === '' ? nowMs : parseMillisParameter('endTs', endTs);
  const spanMs =
    lookback === '' ? DEFAULT_DEPENDENCY_LOOKBACK_MS : parseMillisParameter('lookback', lookback);
  // Jaeger would ask its storage for a range that ends before it starts; nothing is ever in one.
  if (spanMs < 0) throw new InvalidParameterError('lookback', lookback, 'a lookback must not be negative');
  return { fromMs: toMs - spanMs, toMs };
}
