/**
 * Search results as dots: start time across, duration up, errors in red. Each dot is a link to its
 * trace (keyboard-focusable, with a title naming it), so the plot is more than a picture.
 */
import { svg } from './dom.ts';
import { formatDuration, formatInstant } from './model/format.ts';
import { traceAddress } from './model/route.ts';
import type { TraceSummary } from './model/types.ts';

const WIDTH = 1000;
const HEIGHT = 220;
const MARGIN = { left: 72, right: 16, top: 12, bottom: 28 };

/** Padding on each side of the results' time range: 5% of it, at least a second. */
const PAD_SHARE = 0.05;
const MIN_PAD_US = 1_000_000;

/**
 * The time axis spans the results, not the whole search window: an hour's search whose traces all
 * came in the last minute would otherwise stack every dot on the right edge.
 */
function domainOf(summaries: readonly TraceSummary[]): { fromUs: number; toUs: number } {
  const starts = summaries.map((s) => s.startUs);
  const first = Math.min(...starts);
  const last = Math.max(...starts);
  const pad = Math.max((last - first) * PAD_SHARE, MIN_PAD_US);
  return { fromUs: first - pad, toUs: last + pad };
}

export function scatterPlot(summaries: readonly TraceSummary[], uiBase: URL): SVGSVGElement {
  const window = domainOf(summaries);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const span = Math.max(1, window.toUs - window.fromUs);
  const longest = Math.max(1, ...summaries.map((s) => s.durationUs));
  const x = (us: number) => MARGIN.left + ((us - window.fromUs) / span) * plotWidth;
  const y = (us: number) => MARGIN.top + plotHeight - (us / (longest * 1.1)) * plotHeight;
  const errors = summaries.filter((s) => s.errorCount > 0).length;
  return svg(
    'svg',
    {
      class: 'scatter',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'group',
      'aria-label': `Duration over start time of ${summaries.length} traces, ${errors} with errors (red)`,
    },
    ...axes(x, y, window, longest),
    ...summaries.map((summary) =>
      svg(
        'a',
        { href: traceAddress(uiBase, summary.traceId).href, 'data-nav': true },
        svg(
          'circle',
          {
            class: summary.errorCount > 0 ? 'dot error' : 'dot',
            cx: x(summary.startUs).toFixed(1),
            cy: y(summary.durationUs).toFixed(1),
            r: 5,
          },
          svg(
            'title',
            {},
            `${summary.rootService}: ${summary.rootOperation} · ${formatDuration(summary.durationUs)} · ` +
              `${formatInstant(summary.startUs)}${summary.errorCount > 0 ? ` · ${summary.errorCount} errors` : ''}`,
          ),
        ),
      ),
    ),
  );
}

function axes(
  x: (us: number) => number,
  y: (us: number) => number,
  window: { readonly fromUs: number; readonly toUs: number },
  longest: number,
): SVGElement[] {
  const bottom = HEIGHT - MARGIN.bottom;
  const parts: SVGElement[] = [
    svg('line', { class: 'axis', x1: MARGIN.left, y1: bottom, x2: WIDTH - MARGIN.right, y2: bottom }),
    svg('line', { class: 'axis', x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: bottom }),
  ];
  for (const share of [0, 0.5, 1]) {
    const us = longest * share;
    parts.push(
      svg(
        'text',
        { class: 'tick', x: MARGIN.left - 6, y: y(us) + 4, 'text-anchor': 'end' },
        formatDuration(us),
      ),
    );
  }
  for (const share of [0, 1 / 3, 2 / 3, 1]) {
    const us = window.fromUs + (window.toUs - window.fromUs) * share;
    const anchor = share === 0 ? 'start' : share === 1 ? 'end' : 'middle';
    parts.push(
      svg(
        'text',
        { class: 'tick', x: x(us), y: bottom + 18, 'text-anchor': anchor },
        formatInstant(us).slice(11, 19),
      ),
    );
  }
  return parts;
}
