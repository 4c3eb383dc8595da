/**
 * The service graph of `/api/dependencies`, laid out in columns: callers left of the services they
 * call. A service's column is the longest chain of callers above it, so a request reads left to
 * right; a call cycle is broken deterministically (by a depth-first walk from the services nobody
 * calls, then the rest, each in name order) and a self-call is drawn but places nothing.
 */
import { nonNegativeOf, textOf } from './jaeger-fields.ts';
import type { GraphEdge, GraphNode, ServiceGraph } from './types.ts';

/** A link of Jaeger's dependencies answer; `errorCount` is tracesift's addition. */
export interface DependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
  readonly errorCount?: number;
}

/**
 * The graph of `links` over a lookback of `lookbackMs`. Repeated parent → child links add up; a
 * count that is not a number at least 0 reads as 0, and errors are at most the calls.
 */
export function serviceGraphOf(links: readonly DependencyLink[], lookbackMs: number): ServiceGraph {
  const seconds = lookbackMs / 1000;
  const edges = mergedEdges(links).map(({ parent, child, calls, errors }) => ({
    parent,
    child,
    calls,
    errors,
    callsPerSecond: seconds > 0 && Number.isFinite(seconds) ? calls / seconds : 0,
    errorRate: calls > 0 ? errors / calls : 0,
  }));
  const services = [...new Set(edges.flatMap((edge) => [edge.parent, edge.child]))].sort(byName);
  const incoming = new Map<string, Count[]>(services.map((service) => [service, []]));
  for (const edge of edges) incoming.get(edge.child)?.push(edge);
  const layers = layersOf(services, edges);
  const rows = rowsOf(services, incoming, layers);
  const nodes: GraphNode[] = services.map((service) => {
    const calls = incoming.get(service) ?? [];
    return {
      service,
      layer: layers.get(service) ?? 0,
      row: rows.get(service) ?? 0,
      callsIn: calls.reduce((sum, edge) => sum + edge.calls, 0),
      errorsIn: calls.reduce((sum, edge) => sum + edge.errors, 0),
    };
  });
  nodes.sort((a, b) => a.layer - b.layer || a.row - b.row);
  const perLayer = new Map<number, number>();
  for (const node of nodes) perLayer.set(node.layer, (perLayer.get(node.layer) ?? 0) + 1);
  return { nodes, edges, layers: perLayer.size, rows: Math.max(0, ...perLayer.values()) };
}

type Count = Pick<GraphEdge, 'parent' | 'child' | 'calls' | 'errors'>;

/** One edge per parent → child, sorted by parent then child. */
function mergedEdges(links: readonly DependencyLink[]): Count[] {
  const byPair = new Map<string, { parent: string; child: string; calls: number; errors: number }>();
  for (const link of links) {
    const parent = textOf(link.parent);
    const child = textOf(link.child);
    const calls = nonNegativeOf(link.callCount);
    const errors = Math.min(calls, nonNegativeOf(link.errorCount));
    const key = JSON.stringify([parent, child]);
    const edge = byPair.get(key);
    if (edge) {
      edge.calls += calls;
      edge.errors += errors;
    } else byPair.set(key, { parent, child, calls, errors });
  }
  return [...byPair.values()].sort((a, b) => byName(a.parent, b.parent) || byName(a.child, b.child));
}

/**
 * Longest path from the sources over the calls that close no cycle. A depth-first walk marks the
 * calls back to a service still on its stack; the others form a DAG whose reverse finishing order
 * is topological, so one pass over it places every service one column right of its deepest caller.
 */
function layersOf(services: readonly string[], edges: readonly Count[]): Map<string, number> {
  const callees = new Map<string, string[]>(services.map((service) => [service, []]));
  const called = new Set<string>();
  for (const { parent, child } of edges) {
    if (parent === child) continue;
    callees.get(parent)?.push(child);
    called.add(child);
  }
  const state = new Map<string, 'open' | 'done'>();
  const finished: string[] = [];
  const forward = new Map<string, string[]>(services.map((service) => [service, []]));
  const starts = [...services.filter((s) => !called.has(s)), ...services.filter((s) => called.has(s))];
  for (const start of starts) {
    if (state.has(start)) continue;
    state.set(start, 'open');
    const stack: { service: string; next: number }[] = [{ service: start, next: 0 }];
    for (let top = stack.at(-1); top; top = stack.at(-1)) {
      const callee = callees.get(top.service)?.[top.next++];
      if (callee === undefined) {
        state.set(top.service, 'done');
        finished.push(top.service);
        stack.pop();
      } else if (state.get(callee) !== 'open') {
        forward.get(top.service)?.push(callee);
        if (!state.has(callee)) {
          state.set(callee, 'open');
          stack.push({ service: callee, next: 0 });
        }
      }
    }
  }
  const layers = new Map<string, number>(services.map((service) => [service, 0]));
  for (const service of finished.reverse()) {
    const layer = layers.get(service) ?? 0;
    for (const callee of forward.get(service) ?? []) {
      layers.set(callee, Math.max(layers.get(callee) ?? 0, layer + 1));
    }
  }
  return layers;
}

/**
 * Rows of each column, one barycenter pass from the left: a service sits near the mean row of its
 * callers in earlier columns (the first column, and ties, by name), which keeps edges from crossing
 * in the common shapes.
 */
function rowsOf(
  services: readonly string[],
  incoming: ReadonlyMap<string, readonly Count[]>,
  layers: ReadonlyMap<string, number>,
): Map<string, number> {
  const rows = new Map<string, number>();
  const layerOf = (service: string): number => layers.get(service) ?? 0;
  const deepest = Math.max(0, ...layers.values());
  for (let layer = 0; layer <= deepest; layer++) {
    const column = services.filter((service) => layerOf(service) === layer);
    const center = new Map(
      column.map((service) => {
        const callerRows = (incoming.get(service) ?? [])
          .filter((edge) => layerOf(edge.parent) < layer)
          .map((edge) => rows.get(edge.parent) ?? 0);
        const mean = callerRows.reduce((sum, row) => sum + row, 0) / Math.max(1, callerRows.length);
        return [service, mean] as const;
      }),
    );
    column.sort((a, b) => (center.get(a) ?? 0) - (center.get(b) ?? 0) || byName(a, b));
    column.forEach((service, row) => {
      rows.set(service, row);
    });
  }
  return rows;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
