/**
 * The service graph (`/ui/dependencies`): who calls whom over a time range, from the query API's
 * dependency counters. Calls and errors are re-weighted estimates of all traffic (each kept trace
 * counted as many times as it stands for), shown per second. Services are laid out in columns by
 * call depth; each is a link to its traces. The same edges follow as a table.
 */
import { el, hueOf, on, replaceChildren, svg } from './dom.ts';
import { formatCount, formatPercent, formatRate } from './model/format.ts';
import { searchAddress } from './model/route.ts';
import { LOOKBACKS } from './model/search-form.ts';
import { serviceGraphOf } from './model/service-graph.ts';
import type { GraphEdge, GraphNode, ServiceGraph } from './model/types.ts';
import type { PageContext } from './page.ts';

const DEFAULT_LOOKBACK = '24h';
const NODE = { width: 190, height: 54, columnGap: 110, rowGap: 36, margin: 24 };
const NAME_CHARACTERS = 24;

export async function renderDependenciesPage(
  main: HTMLElement,
  address: URLSearchParams,
  context: PageContext,
): Promise<void> {
  const lookback =
    LOOKBACKS.find((l) => l.value === address.get('lookback')) ??
    LOOKBACKS.find((l) => l.value === DEFAULT_LOOKBACK);
  const lookbackMs = lookback?.ms ?? 24 * 3_600_000;
  replaceChildren(main, el('p', { class: 'loading' }, 'Loading the service graph…'));
  const links = await context.api.dependencies(context.now(), lookbackMs);
  if (!context.current()) return;
  const graph = serviceGraphOf(links, lookbackMs);
  const chooser = el(
    'select',
    { id: 'graph-lookback' },
    ...LOOKBACKS.map((l) => el('option', { value: l.value, selected: l.value === lookback?.value }, l.label)),
  );
  on(chooser, {
    change: () => {
      const url = new URL('dependencies', context.uiBase);
      url.searchParams.set('lookback', chooser.value);
      context.navigate(url);
    },
  });
  replaceChildren(
    main,
    el('h1', { class: 'page-title' }, 'Service graph'),
    el('div', { class: 'field' }, el('label', { for: 'graph-lookback' }, 'Time range'), chooser),
    ...(graph.edges.length === 0
      ? [el('p', { class: 'empty' }, 'No calls between services were recorded in this time range.')]
      : [graphDrawing(graph, context.uiBase), edgeTable(graph.edges)]),
  );
}

function position(node: GraphNode): { x: number; y: number } {
  return {
    x: NODE.margin + node.layer * (NODE.width + NODE.columnGap),
    y: NODE.margin + node.row * (NODE.height + NODE.rowGap),
  };
}

function graphDrawing(graph: ServiceGraph, uiBase: URL): SVGSVGElement {
  const width = NODE.margin * 2 + graph.layers * NODE.width + Math.max(0, graph.layers - 1) * NODE.columnGap;
  const height = NODE.margin * 2 + graph.rows * NODE.height + Math.max(0, graph.rows - 1) * NODE.rowGap;
  const byService = new Map(graph.nodes.map((node) => [node.service, node]));
  return svg(
    'svg',
    {
      class: 'service-graph',
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': `Service graph: ${graph.nodes.length} services, ${graph.edges.length} calls between them`,
    },
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }),
      ),
    ),
    ...graph.edges.map((edge) => edgeDrawing(edge, byService)),
    ...graph.nodes.map((node) => nodeDrawing(node, uiBase)),
  );
}

function edgeDrawing(edge: GraphEdge, nodes: ReadonlyMap<string, GraphNode>): SVGElement {
  const from = nodes.get(edge.parent);
  const to = nodes.get(edge.child);
  if (!from || !to) return svg('g');
  const a = position(from);
  const b = position(to);
  const x1 = a.x + NODE.width;
  const y1 = a.y + NODE.height / 2;
  const x2 = b.x;
  const y2 = b.y + NODE.height / 2;
  const self = edge.parent === edge.child;
  const d = self
    ? `M ${x1 - 30} ${a.y} C ${x1 + 20} ${a.y - 40}, ${x1 + 40} ${a.y + 10}, ${x1} ${y1}`
    : `M ${x1} ${y1} C ${x1 + 60} ${y1}, ${x2 - 60} ${y2}, ${x2} ${y2}`;
  const label = `${formatRate(edge.callsPerSecond)}${edge.errors > 0 ? ` · ${formatPercent(edge.errorRate)} err` : ''}`;
  return svg(
    'g',
    { class: edge.errors > 0 ? 'edge has-errors' : 'edge' },
    svg('path', { d, 'marker-end': 'url(#arrow)' }),
    svg(
      'text',
      { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle', class: 'edge-label' },
      label,
    ),
    svg(
      'title',
      {},
      `${edge.parent} → ${edge.child}: ${formatCount(edge.calls)} calls, ${formatCount(edge.errors)} errors`,
    ),
  );
}

function nodeDrawing(node: GraphNode, uiBase: URL): SVGElement {
  const { x, y } = position(node);
  const name =
    node.service.length > NAME_CHARACTERS ? `${node.service.slice(0, NAME_CHARACTERS - 1)}…` : node.service;
  const group = svg(
    'a',
    {
      href: searchAddress(uiBase, new URLSearchParams({ service: node.service })).href,
      'data-nav': true,
      class: 'node',
    },
    svg('rect', { x, y, width: NODE.width, height: NODE.height, rx: 8 }),
    svg('text', { x: x + 12, y: y + 22, class: 'node-name' }, name),
    svg(
      'text',
      { x: x + 12, y: y + 42, class: 'node-figures' },
      node.callsIn > 0
        ? `in ${formatCount(node.callsIn)} calls${node.errorsIn > 0 ? ` · ${formatPercent(node.errorsIn / node.callsIn)} err` : ''}`
        : 'entry point',
    ),
    svg('title', {}, `${node.service}: find its traces`),
  );
  group.style.setProperty('--hue', String(hueOf(node.service)));
  return group;
}

function edgeTable(edges: readonly GraphEdge[]): HTMLElement {
  const head = ['Caller', 'Callee', 'Calls (est.)', 'Rate', 'Errors (est.)', 'Error rate'];
  return el(
    'table',
    { class: 'edges' },
    el('caption', {}, 'Calls between services, re-weighted by adjusted count'),
    el('thead', {}, el('tr', {}, ...head.map((name) => el('th', { scope: 'col' }, name)))),
    el(
      'tbody',
      {},
      ...edges.map((edge) =>
        el(
          'tr',
          {},
          el('td', {}, edge.parent),
          el('td', {}, edge.child),
          el('td', { class: 'number' }, formatCount(edge.calls)),
          el('td', { class: 'number' }, formatRate(edge.callsPerSecond)),
          el('td', { class: 'number' }, formatCount(edge.errors)),
          el(
            'td',
            { class: edge.errors > 0 ? 'number error-text' : 'number' },
            formatPercent(edge.errorRate),
          ),
        ),
      ),
    ),
  );
}
