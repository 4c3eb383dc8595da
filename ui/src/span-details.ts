/**
 * One span in full: identity and timing, its tags, its events (exceptions set apart, with their
 * stack traces), its links to other spans and traces, and its resource (Jaeger's process). Every
 * value, whoever sent it, is a text node.
 */
import type { JaegerLog, JaegerProcess, JaegerSpan, JaegerTag } from '../../lambdas/query/jaeger/model.ts';
import { el } from './dom.ts';
import { formatDuration, formatInstant, formatPercent } from './model/format.ts';
import { traceAddress } from './model/route.ts';
import type { SpanNode, TraceView } from './model/types.ts';
import { serviceChip } from './service-chip.ts';

export function spanDetails(
  span: JaegerSpan,
  node: SpanNode,
  process: JaegerProcess | undefined,
  view: TraceView,
  uiBase: URL,
): HTMLElement[] {
  return [
    el('h2', {}, serviceChip(node.service), ' ', node.operation),
    identity(span, node, view),
    tagTable('Tags', span.tags),
    events(span.logs, view),
    links(span, view, uiBase),
    tagTable('Resource', process?.tags ?? []),
    ...(span.warnings && span.warnings.length > 0
      ? [
          el(
            'section',
            {},
            el('h3', {}, 'Warnings'),
            el('ul', {}, ...span.warnings.map((w) => el('li', {}, w))),
          ),
        ]
      : []),
  ];
}

function identity(span: JaegerSpan, node: SpanNode, view: TraceView): HTMLElement {
  const entries: [string, string][] = [
    ['Span id', span.spanID],
    ['Parent', node.parentId ?? '(root)'],
    ['Kind', node.kind === '' ? 'unspecified' : node.kind],
    ['Start', `${formatInstant(span.startTime)} (+${formatDuration(node.offsetUs)})`],
    ['Duration', formatDuration(node.durationUs)],
    [
      'Critical path',
      node.criticalUs > 0
        ? `${formatDuration(node.criticalUs)}, ${formatPercent(node.criticalUs / Math.max(1, view.durationUs))} of the trace`
        : 'not on it',
    ],
    ['Status', node.error ? 'error' : 'ok or unset'],
  ];
  return el(
    'dl',
    { class: 'identity' },
    ...entries.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
  );
}

function tagTable(title: string, tags: readonly JaegerTag[]): HTMLElement {
  if (tags.length === 0) return el('section', {}, el('h3', {}, title), el('p', { class: 'muted' }, 'none'));
  return el(
    'section',
    {},
    el('h3', {}, `${title} (${tags.length})`),
    el(
      'table',
      { class: 'tags' },
      el(
        'tbody',
        {},
        ...tags.map((tag) =>
          el(
            'tr',
            {},
            el('th', { scope: 'row' }, tag.key),
            el('td', { class: `value type-${tag.type}` }, String(tag.value)),
          ),
        ),
      ),
    ),
  );
}

function events(logs: readonly JaegerLog[], view: TraceView): HTMLElement {
  if (logs.length === 0)
    return el('section', {}, el('h3', {}, 'Events'), el('p', { class: 'muted' }, 'none'));
  return el(
    'section',
    {},
    el('h3', {}, `Events (${logs.length})`),
    el('ol', { class: 'events' }, ...logs.map((log) => event(log, view))),
  );
}

function event(log: JaegerLog, view: TraceView): HTMLElement {
  const field = (key: string) => log.fields.find((f) => f.key === key)?.value;
  const name = field('event');
  const exceptionType = field('exception.type');
  const exceptionMessage = field('exception.message');
  const stack = field('exception.stacktrace');
  const isException = exceptionType !== undefined || exceptionMessage !== undefined || name === 'exception';
  const rest = log.fields.filter(
    (f) => !['event', 'exception.type', 'exception.message', 'exception.stacktrace'].includes(f.key),
  );
  return el(
    'li',
    { class: isException ? 'event exception' : 'event' },
    el('span', { class: 'event-time' }, `+${formatDuration(log.timestamp - view.startUs)}`),
    ' ',
    el('strong', {}, name === undefined ? '(unnamed event)' : String(name)),
    isException
      ? el(
          'div',
          { class: 'exception-summary' },
          el(
            'span',
            { class: 'exception-type' },
            exceptionType === undefined ? 'exception' : String(exceptionType),
          ),
          exceptionMessage === undefined ? '' : `: ${String(exceptionMessage)}`,
        )
      : '',
    stack === undefined ? '' : el('pre', { class: 'stack' }, String(stack)),
    rest.length > 0 ? tagTable('Attributes', rest) : '',
  );
}

function links(span: JaegerSpan, view: TraceView, uiBase: URL): HTMLElement {
  const references = span.references.filter(
    (ref, index) =>
      !(index === 0 && ref.refType === 'CHILD_OF' && ref.spanID === view.spans.get(span.spanID)?.parentId),
  );
  if (references.length === 0)
    return el('section', {}, el('h3', {}, 'Links'), el('p', { class: 'muted' }, 'none'));
  return el(
    'section',
    {},
    el('h3', {}, `Links (${references.length})`),
    el(
      'ul',
      { class: 'links' },
      ...references.map((ref) =>
        el(
          'li',
          {},
          `${ref.refType === 'FOLLOWS_FROM' ? 'follows from' : 'child of'} span ${ref.spanID} of `,
          ref.traceID === view.traceId
            ? 'this trace'
            : el(
                'a',
                { href: traceAddress(uiBase, ref.traceID).href, 'data-nav': true },
                `trace ${ref.traceID}`,
              ),
        ),
      ),
    ),
  );
}
