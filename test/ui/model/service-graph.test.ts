import { describe, expect, it } from 'vitest';
import { type DependencyLink, serviceGraphOf } from '../../../ui/src/model/service-graph.ts';
import type { ServiceGraph } from '../../../ui/src/model/types.ts';

const MINUTE_MS = 60_000;

/** service → [layer, row], for comparing layouts whole. */
function placesOf(graph: ServiceGraph): Record<string, [number, number]> {
  return Object.fromEntries(graph.nodes.map((node) => [node.service, [node.layer, node.row]]));
}

function link(parent: string, child: string, callCount = 1, errorCount?: number): DependencyLink {
  return { parent, child, callCount, ...(errorCount === undefined ? {} : { errorCount }) };
}

describe('serviceGraphOf', () => {
  it('gives each edge its rates and each node its calls received', () => {
    // Prepare
    const links = [link('frontend', 'api', 120, 6), link('api', 'db', 60), link('frontend', 'db', 30, 3)];
    // Act
    const graph = serviceGraphOf(links, MINUTE_MS);
    // Assess
    expect(graph).toEqual({
      nodes: [
        { service: 'frontend', layer: 0, row: 0, callsIn: 0, errorsIn: 0 },
        { service: 'api', layer: 1, row: 0, callsIn: 120, errorsIn: 6 },
        { service: 'db', layer: 2, row: 0, callsIn: 90, errorsIn: 3 },
      ],
      edges: [
        { parent: 'api', child: 'db', calls: 60, errors: 0, callsPerSecond: 1, errorRate: 0 },
        { parent: 'frontend', child: 'api', calls: 120, errors: 6, callsPerSecond: 2, errorRate: 0.05 },
        { parent: 'frontend', child: 'db', calls: 30, errors: 3, callsPerSecond: 0.5, errorRate: 0.1 },
      ],
      layers: 3,
      rows: 1,
    });
  });

  it('adds up repeated links', () => {
    // Prepare
    const links = [link('a', 'b', 10, 1), link('a', 'b', 5), link('a', 'b', 5, 2)];
    // Act
    const graph = serviceGraphOf(links, MINUTE_MS);
    // Assess
    expect(graph.edges).toEqual([
      { parent: 'a', child: 'b', calls: 20, errors: 3, callsPerSecond: 20 / 60, errorRate: 0.15 },
    ]);
    expect(graph.nodes.find((node) => node.service === 'b')).toMatchObject({ callsIn: 20, errorsIn: 3 });
  });

  it.each<{ case: string; links: DependencyLink[]; places: Record<string, [number, number]> }>([
    {
      case: 'a self-call is an edge that places nothing',
      links: [link('a', 'a'), link('a', 'b')],
      places: { a: [0, 0], b: [1, 0] },
    },
    {
      case: 'the longest chain of callers sets the column',
      links: [link('a', 'c'), link('a', 'b'), link('b', 'c')],
      places: { a: [0, 0], b: [1, 0], c: [2, 0] },
    },
    {
      case: 'a cycle entered from a source is broken where it is entered',
      links: [link('frontend', 'b'), link('a', 'b'), link('b', 'a')],
      places: { frontend: [0, 0], b: [1, 0], a: [2, 0] },
    },
    {
      case: 'a cycle nobody enters starts at its first name',
      links: [link('y', 'x'), link('x', 'y')],
      places: { x: [0, 0], y: [1, 0] },
    },
    {
      case: 'a longer cycle with a way out',
      links: [link('c', 'a'), link('a', 'b'), link('b', 'c'), link('c', 'out')],
      places: { a: [0, 0], b: [1, 0], c: [2, 0], out: [3, 0] },
    },
    {
      case: 'a column follows the rows of its callers (barycenter), then names',
      links: [link('a', 'd'), link('b', 'c'), link('b', 'e'), link('a', 'e')],
      places: { a: [0, 0], b: [0, 1], d: [1, 0], e: [1, 1], c: [1, 2] },
    },
  ])('$case', ({ links, places }) => {
    // Act
    const graph = serviceGraphOf(links, MINUTE_MS);
    const reversed = serviceGraphOf([...links].reverse(), MINUTE_MS);
    // Assess: the layout does not depend on the links' order
    expect(placesOf(graph)).toEqual(places);
    expect(reversed).toEqual(graph);
  });

  it('counts its columns and its tallest column', () => {
    // Prepare
    const links = [link('root', 'a'), link('root', 'b'), link('root', 'c'), link('a', 'deep')];
    // Act
    const graph = serviceGraphOf(links, MINUTE_MS);
    // Assess
    expect(graph).toMatchObject({ layers: 3, rows: 3 });
    expect(graph.nodes.map((node) => node.service)).toEqual(['root', 'a', 'b', 'c', 'deep']);
  });

  it('is empty without links', () => {
    // Act
    const graph = serviceGraphOf([], MINUTE_MS);
    // Assess
    expect(graph).toEqual({ nodes: [], edges: [], layers: 0, rows: 0 });
  });

  it.each([
    { case: 'NaN', callCount: Number.NaN, errorCount: 1, calls: 0, errors: 0, errorRate: 0 },
    { case: 'a negative count', callCount: -5, errorCount: -1, calls: 0, errors: 0, errorRate: 0 },
    { case: 'a numeric string', callCount: '8', errorCount: '2', calls: 8, errors: 2, errorRate: 0.25 },
    { case: 'more errors than calls', callCount: 4, errorCount: 9, calls: 4, errors: 4, errorRate: 1 },
    { case: 'no error count', callCount: 4, errorCount: undefined, calls: 4, errors: 0, errorRate: 0 },
  ])('reads $case without throwing', ({ callCount, errorCount, calls, errors, errorRate }) => {
    // Prepare
    const hostile = { parent: 'a', child: 'b', callCount, errorCount } as unknown as DependencyLink;
    // Act
    const graph = serviceGraphOf([hostile], MINUTE_MS);
    // Assess
    expect(graph.edges).toEqual([
      { parent: 'a', child: 'b', calls, errors, callsPerSecond: calls / 60, errorRate },
    ]);
  });

  it('reads service names that are not strings as text', () => {
    // Prepare
    const hostile = { parent: 7, child: null, callCount: 1 } as unknown as DependencyLink;
    // Act
    const graph = serviceGraphOf([hostile], MINUTE_MS);
    // Assess
    expect(graph.edges.map((edge) => [edge.parent, edge.child])).toEqual([['7', '']]);
    expect(placesOf(graph)).toEqual({ '7': [0, 0], '': [1, 0] });
  });

  it.each([
    { case: '0', lookbackMs: 0 },
    { case: 'negative', lookbackMs: -1_000 },
    { case: 'NaN', lookbackMs: Number.NaN },
    { case: 'infinite', lookbackMs: Number.POSITIVE_INFINITY },
  ])('gives 0 calls per second over a $case lookback', ({ lookbackMs }) => {
    // Act
    const graph = serviceGraphOf([link('a', 'b', 10)], lookbackMs);
    // Assess
    expect(graph.edges[0]?.callsPerSecond).toBe(0);
  });
});
