/**
 * The waterfall of a trace: one row per span in tree order, a bar placed on the trace's timeline,
 * critical-path spans marked with their share of the trace. Only the rows in view (and a few
 * around) exist in the document, so a 10,000-span trace costs what 40 rows cost; rows are
 * recomputed from the tree only when a span is collapsed or expanded.
 *
 * Keyboard: the tree is one tab stop. Up and Down move the selection, Home and End jump, Right
 * expands (or goes to the first child), Left collapses (or goes to the parent), Enter and Space
 * toggle. The selected span's details show beside the tree.
 */
import { el, hueOf, on, replaceChildren } from './dom.ts';
import { formatDuration, formatPercent } from './model/format.ts';
import { waterfallRows } from './model/trace-view.ts';
import type { SpanNode, TraceView, WaterfallRow } from './model/types.ts';
import { ROW_HEIGHT, WATERFALL_PAINTED_MARK } from './model/waterfall-geometry.ts';

const OVERSCAN = 10;
/** Indentation stops growing past this depth (a 10,000-level chain would leave the screen); the level is still announced. */
const MAX_INDENT_LEVELS = 30;

export class Waterfall {
  public readonly element: HTMLElement;
  readonly #view: TraceView;
  readonly #onSelect: (span: SpanNode) => void;
  readonly #collapsed = new Set<string>();
  readonly #viewport: HTMLElement;
  readonly #canvas: HTMLElement;
  #rows: WaterfallRow[];
  #selected: string | undefined;
  #frame = 0;

  public constructor(view: TraceView, onSelect: (span: SpanNode) => void) {
    this.#view = view;
    this.#onSelect = onSelect;
    this.#rows = waterfallRows(view, this.#collapsed);
    this.#canvas = el('div', { class: 'waterfall-canvas' });
    this.#viewport = on(
      el(
        'div',
        {
          class: 'waterfall-viewport',
          role: 'tree',
          tabindex: 0,
          'aria-label': `Spans of trace ${view.traceId}`,
        },
        this.#canvas,
      ),
      {
        scroll: () => this.#schedule(),
        keydown: (event) => this.#key(event as KeyboardEvent),
        click: (event) => this.#click(event),
      },
    );
    this.element = el('div', { class: 'waterfall' }, ruler(view), this.#viewport);
    this.#layout();
  }

  /** Selects a span (and shows its details), scrolling its row into view. */
  public select(spanId: string | undefined): void {
    const span = spanId === undefined ? undefined : this.#view.spans.get(spanId);
    if (!span) return;
    this.#selected = spanId;
    this.#viewport.setAttribute('aria-activedescendant', rowId(span.spanId));
    this.#scrollTo(this.#rows.findIndex((row) => row.span.spanId === spanId));
    this.#render();
    this.#onSelect(span);
  }

  public toggle(spanId: string): void {
    if (this.#collapsed.has(spanId)) this.#collapsed.delete(spanId);
    else if ((this.#view.spans.get(spanId)?.childIds.length ?? 0) > 0) this.#collapsed.add(spanId);
    this.#layout();
  }

  public expandAll(): void {
    this.#collapsed.clear();
    this.#layout();
  }

  /** Collapses every span with children below the roots, leaving the roots and their children. */
  public collapseAll(): void {
    for (const span of this.#view.spans.values()) {
      if (span.childIds.length > 0 && span.parentId !== undefined) this.#collapsed.add(span.spanId);
    }
    this.#layout();
  }

  /** Sets the painted mark after the first frame with rows has been drawn. */
  public markPainted(): void {
    requestAnimationFrame(() => setTimeout(() => performance.mark(WATERFALL_PAINTED_MARK), 0));
  }

  #layout(): void {
    this.#rows = waterfallRows(this.#view, this.#collapsed);
    this.#canvas.style.setProperty('height', `${this.#rows.length * ROW_HEIGHT}px`);
    this.#render();
  }

  #schedule(): void {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#render();
    });
  }

  #render(): void {
    const top = this.#viewport.scrollTop;
    const height = this.#viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.#rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const visible: HTMLElement[] = [];
    for (let index = first; index < last; index++) {
      visible.push(this.#row(this.#rows[index] as WaterfallRow, index));
    }
    replaceChildren(this.#canvas, ...visible);
  }

  #row(row: WaterfallRow, index: number): HTMLElement {
    const { span } = row;
    const traceUs = Math.max(1, this.#view.durationUs);
    const share = span.criticalUs / traceUs;
    const classes = ['row'];
    if (span.spanId === this.#selected) classes.push('selected');
    if (span.criticalUs > 0) classes.push('critical');
    if (span.error) classes.push('error');
    const element = el(
      'div',
      {
        id: rowId(span.spanId),
        class: classes.join(' '),
        role: 'treeitem',
        'aria-level': row.depth + 1,
        'aria-selected': span.spanId === this.#selected ? 'true' : 'false',
        'aria-expanded': row.hasChildren ? String(!row.collapsed) : undefined,
        'data-span-id': span.spanId,
      },
      nameCell(row),
      barCell(span, traceUs, share),
    );
    element.style.setProperty('top', `${index * ROW_HEIGHT}px`);
    return element;
  }

  #click(event: Event): void {
    const target = event.target as Element;
    const row = target.closest('[data-span-id]');
    const spanId = row?.getAttribute('data-span-id');
    if (!spanId) return;
    if (target.closest('.toggle')) this.toggle(spanId);
    this.select(spanId);
  }

  #key(event: KeyboardEvent): void {
    const index = this.#rows.findIndex((row) => row.span.spanId === this.#selected);
    const row = this.#rows[index];
    const move = (to: number) =>
      this.select(this.#rows[Math.max(0, Math.min(this.#rows.length - 1, to))]?.span.spanId);
    const actions: Record<string, () => void> = {
      ArrowDown: () => move(index + 1),
      ArrowUp: () => move(index - 1),
      Home: () => move(0),
      End: () => move(this.#rows.length - 1),
      PageDown: () => move(index + 20),
      PageUp: () => move(index - 20),
      ArrowRight: () => {
        if (row?.collapsed) this.toggle(row.span.spanId);
        else if (row?.hasChildren) move(index + 1);
      },
      ArrowLeft: () => {
        if (row?.hasChildren && !row.collapsed) this.toggle(row.span.spanId);
        else this.select(row?.span.parentId);
      },
      Enter: () => row && this.toggle(row.span.spanId),
      ' ': () => row && this.toggle(row.span.spanId),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  #scrollTo(index: number): void {
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    const height = this.#viewport.clientHeight || 600;
    if (top < this.#viewport.scrollTop) this.#viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.#viewport.scrollTop + height)
      this.#viewport.scrollTop = top + ROW_HEIGHT - height;
  }
}

function rowId(spanId: string): string {
  return `span-${spanId}`;
}

function nameCell(row: WaterfallRow): HTMLElement {
  const { span } = row;
  const cell = el(
    'div',
    { class: 'name-cell', title: `${span.service}: ${span.operation}` },
    row.hasChildren
      ? el(
          'span',
          { class: 'toggle', 'aria-hidden': 'true' },
          row.collapsed ? `▸ ${span.childIds.length}` : '▾',
        )
      : el('span', { class: 'toggle-space', 'aria-hidden': 'true' }),
    el('span', { class: 'service' }, span.service),
    el('span', { class: 'operation' }, span.operation),
  );
  cell.style.setProperty('--indent', String(Math.min(row.depth, MAX_INDENT_LEVELS)));
  cell.style.setProperty('--hue', String(hueOf(span.service)));
  return cell;
}

function barCell(span: SpanNode, traceUs: number, share: number): HTMLElement {
  const bar = el('div', { class: 'bar' });
  bar.style.setProperty('left', `${(span.offsetUs / traceUs) * 100}%`);
  bar.style.setProperty('width', `${Math.max(0.15, (span.durationUs / traceUs) * 100)}%`);
  bar.style.setProperty('--hue', String(hueOf(span.service)));
  const label = el(
    'span',
    { class: 'bar-label' },
    formatDuration(span.durationUs),
    span.criticalUs > 0
      ? el('span', { class: 'critical-share' }, ` · critical path ${formatPercent(share)}`)
      : '',
  );
  placeLabel(label, span.offsetUs / traceUs, (span.offsetUs + span.durationUs) / traceUs);
  return el('div', { class: 'bar-cell' }, bar, label);
}

/**
 * The label goes after the bar; when the bar reaches the right side, before it; when the bar
 * spans nearly everything, inside it.
 */
function placeLabel(label: HTMLElement, start: number, end: number): void {
  if (end <= 0.7) {
    label.style.setProperty('left', `${end * 100}%`);
  } else if (start >= 0.3) {
    label.style.setProperty('right', `${(1 - start) * 100}%`);
  } else {
    label.classList.add('inside');
    label.style.setProperty('left', `${start * 100}%`);
  }
}

function ruler(view: TraceView): HTMLElement {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => {
    const tick = el('span', { class: 'tick' }, formatDuration(view.durationUs * share));
    tick.style.setProperty('left', `${share * 100}%`);
    return tick;
  });
  return el(
    'div',
    { class: 'ruler', 'aria-hidden': 'true' },
    el('div', { class: 'name-cell' }, 'Service: operation'),
    el('div', { class: 'bar-cell' }, ...ticks),
  );
}
