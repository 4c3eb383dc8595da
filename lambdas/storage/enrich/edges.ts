/**
 * Service edges: for every span whose parent is in another service, one call from the parent's
 * service to the span's service. Counted per trace, so summing `call_count * adjusted_count`
 * over kept traces estimates the calls of all traffic. Edges within one service are not calls
 * between services and are left out, as in Jaeger's dependency graph.
 */
import { type SpanStatus, StatusCode, spanDurationNano } from '../../shared/span/model.ts';
import type { EnrichableSpan } from './summary.ts';

export interface ServiceEdge {
  readonly parentService: string;
  readonly childService: string;
  readonly callCount: number;
  /** Calls whose child span has status ERROR. */
  readonly errorCount: number;
  /** Sum and maximum of the child spans' durations. */
  readonly durationNanoSum: number;
  readonly durationNanoMax: number;
}

/**
 * Edges of `children` (the spans to count), looking parents up in `parents` (all spans of the
 * trace known so far: a late fragment's spans count once, against the whole trace). Sorted by
 * parent then child service.
 */
export function serviceEdges(
  children: readonly EnrichableSpan[],
  parents: ReadonlyMap<string, EnrichableSpan>,
): ServiceEdge[] {
  const byPair = new Map<
    string,
    { parent: string; child: string; calls: number; errors: number; sum: number; max: number }
  >();
  for (const span of children) {
    if (span.parentSpanId === '') continue;
    const parent = parents.get(span.parentSpanId);
    if (!parent) continue;
    const from = parent.resource.serviceName;
    const to = span.resource.serviceName;
    if (from === to) continue;
    const key = `${from}\u0000${to}`;
    let edge = byPair.get(key);
    if (!edge) {
      edge = { parent: from, child: to, calls: 0, errors: 0, sum: 0, max: 0 };
      byPair.set(key, edge);
    }
    const duration = spanDurationNano(span);
    edge.calls++;
    if (isError(span.status)) edge.errors++;
    edge.sum += duration;
    if (duration > edge.max) edge.max = duration;
  }
  return [...byPair.values()]
    .sort((a, b) => (a.parent === b.parent ? compare(a.child, b.child) : compare(a.parent, b.parent)))
    .map((e) => ({
      parentService: e.parent,
      childService: e.child,
      callCount: e.calls,
      errorCount: e.errors,
      durationNanoSum: e.sum,
      durationNanoMax: e.max,
    }));
}

function isError(status: Pick<SpanStatus, 'code'>): boolean {
  return status.code === StatusCode.ERROR;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
