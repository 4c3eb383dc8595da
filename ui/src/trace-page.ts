/**
 * A trace's page (`/ui/trace/{id}`): a header with what the trace is and why it was kept (policy,
 * probability, adjusted count), the waterfall with the critical path, and the selected span's
 * details.
 */
import type { JaegerSpan, JaegerTrace } from '../../lambdas/query/jaeger/model.ts';
import { el, on, replaceChildren } from './dom.ts';
import { formatCount, formatDuration, formatInstant, formatProbability } from './model/format.ts';
import { traceViewOf } from './model/trace-view.ts';
import type { TraceView } from './model/types.ts';
import type { PageContext } from './page.ts';
import { serviceChip } from './service-chip.ts';
import { spanDetails } from './span-details.ts';
import { Waterfall } from './waterfall.ts';

export async function renderTracePage(
  main: HTMLElement,
  traceId: string,
  context: PageContext,
): Promise<void> {
  replaceChildren(main, el('p', { class: 'loading' }, `Loading trace ${traceId}…`));
  const trace = await context.api.trace(traceId);
  if (!context.current()) return;
  const view = traceViewOf(trace);
  if (view.rootIds.length === 0) {
    replaceChildren(
      main,
      el('h1', {}, `Trace ${traceId}`),
      el('p', { class: 'empty' }, 'This trace has no spans.'),
    );
    return;
  }
  const spans = firstSpans(trace);
  const details = el('section', { class: 'span-details', 'aria-label': 'Span details' });
  const waterfall = new Waterfall(view, (node) => {
    const span = spans.get(node.spanId);
    if (span)
      replaceChildren(
        details,
        ...spanDetails(span, node, trace.processes[span.processID], view, context.uiBase),
      );
  });
  replaceChildren(
    main,
    traceHeader(view, trace),
    toolbar(waterfall),
    el('div', { class: 'trace-body' }, waterfall.element, details),
  );
  document.title = `${titleOf(view, trace)} · tracesift`;
  waterfall.select(view.rootIds[0]);
  waterfall.markPainted();
}

function firstSpans(trace: JaegerTrace): Map<string, JaegerSpan> {
  const spans = new Map<string, JaegerSpan>();
  for (const span of trace.spans) if (!spans.has(span.spanID)) spans.set(span.spanID, span);
  return spans;
}

function titleOf(view: TraceView, trace: JaegerTrace): string {
  const root = view.spans.get(view.rootIds[0] ?? '');
  return root ? `${root.service}: ${root.operation}` : `Trace ${trace.traceID}`;
}

function traceHeader(view: TraceView, trace: JaegerTrace): HTMLElement {
  const facts: [string, string | HTMLElement][] = [
    ['Trace id', el('code', {}, view.traceId)],
    ['Started', formatInstant(view.startUs)],
    ['Duration', formatDuration(view.durationUs)],
    ['Spans', String(view.spans.size)],
    ['Depth', String(view.depth)],
    ['Errors', String(view.errorCount)],
  ];
  return el(
    'header',
    { class: 'trace-header' },
    el('h1', {}, titleOf(view, trace)),
    el(
      'dl',
      { class: 'facts' },
      ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
    ),
    el('div', { class: 'services' }, ...view.services.map((service) => serviceChip(service))),
    decisionBox(view),
  );
}

/** Why the sampler kept this trace and how many traces it stands for. */
function decisionBox(view: TraceView): HTMLElement {
  const { decision } = view;
  if (decision.policy === '') {
    return el('p', { class: 'decision' }, 'No sampling decision is recorded on this trace.');
  }
  return el(
    'p',
    { class: 'decision', 'aria-label': 'Sampling decision' },
    'Kept by policy ',
    el('strong', { class: 'policy' }, decision.policy),
    ` with probability ${formatProbability(decision.probability)}: it stands for `,
    el('strong', { class: 'adjusted-count' }, formatCount(decision.adjustedCount)),
    ` trace${decision.adjustedCount === 1 ? '' : 's'} (adjusted count)`,
    decision.threshold === '' ? '' : `, threshold th:${decision.threshold}`,
    decision.reason === '' ? '.' : `. Reason: ${decision.reason}`,
  );
}

function toolbar(waterfall: Waterfall): HTMLElement {
  const highlight = el('input', { id: 'highlight-critical', type: 'checkbox', checked: true });
  on(highlight, { change: () => waterfall.element.classList.toggle('dim-off-path', highlight.checked) });
  waterfall.element.classList.add('dim-off-path');
  return el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Waterfall' },
    on(el('button', { type: 'button' }, 'Expand all'), { click: () => waterfall.expandAll() }),
    on(el('button', { type: 'button' }, 'Collapse all'), { click: () => waterfall.collapseAll() }),
    el(
      'span',
      { class: 'check' },
      highlight,
      el('label', { for: 'highlight-critical' }, 'Highlight the critical path'),
    ),
    el(
      'span',
      { class: 'legend' },
      el('span', { class: 'swatch critical' }),
      'on the critical path',
      el('span', { class: 'swatch error' }),
      'error',
    ),
  );
}
