/**
 * The search page: the form (service, operation, tags, durations, time range, limit), then the
 * answer as a scatter plot (duration over start, errors marked), the re-weighted RED figures of
 * the service's operations, and the list of traces. The form's values live in the page address,
 * so a search is a link; submitting adds a history entry and runs it.
 */
import type { SearchAnswer } from './api.ts';
import { el, on, replaceChildren } from './dom.ts';
import { SearchFormError } from './errors.ts';
import { formatCount, formatDuration, formatInstant } from './model/format.ts';
import { redByOperation } from './model/red.ts';
import { searchAddress, traceAddress } from './model/route.ts';
import {
  addressOf,
  CUSTOM_LOOKBACK,
  LOOKBACKS,
  MAX_LIMIT,
  type SearchForm,
  type SearchPlan,
  searchFormOf,
  searchPlanOf,
} from './model/search-form.ts';
import { traceSummaryOf } from './model/trace-summary.ts';
import type { TraceSummary } from './model/types.ts';
import type { PageContext } from './page.ts';
import { redTable } from './red-table.ts';
import { scatterPlot } from './scatter-plot.ts';
import { serviceChip } from './service-chip.ts';

export async function renderSearchPage(
  main: HTMLElement,
  address: URLSearchParams,
  context: PageContext,
): Promise<void> {
  replaceChildren(main, el('p', { class: 'loading' }, 'Loading services…'));
  const services = await context.api.services();
  if (!context.current()) return;
  const asked = searchFormOf(address);
  const form = asked.service === '' ? { ...asked, service: services[0] ?? '' } : asked;
  const results = el('section', { class: 'results', 'aria-label': 'Search results', 'aria-live': 'polite' });
  const formElement = await searchFormElement(form, services, context);
  if (!context.current()) return;
  replaceChildren(main, el('h1', { class: 'page-title' }, 'Find traces'), formElement, results);
  if (services.length === 0) {
    replaceChildren(
      results,
      el(
        'p',
        { class: 'empty' },
        'No traces are stored yet. Point an OpenTelemetry exporter at the ingest endpoint (see the README).',
      ),
    );
    return;
  }
  if (asked.service === '') {
    replaceChildren(results, el('p', { class: 'empty' }, 'Choose a service and find traces.'));
    return;
  }
  await runSearch(results, asked, context);
}

/** Runs the search a form describes into the results section. */
async function runSearch(results: HTMLElement, form: SearchForm, context: PageContext): Promise<void> {
  const plan = searchPlanOf(form, context.now());
  replaceChildren(results, el('p', { class: 'loading' }, `Searching ${form.service}…`));
  const answer = await context.api.search(plan.params);
  if (!context.current()) return;
  replaceChildren(results, ...resultViews(answer, form, plan, context));
}

function resultViews(
  answer: SearchAnswer,
  form: SearchForm,
  plan: SearchPlan,
  context: PageContext,
): Element[] {
  const summaries = answer.traces.map(traceSummaryOf).sort((a, b) => b.startUs - a.startUs);
  const truncated = summaries.length >= form.limit;
  const heading = el(
    'h2',
    {},
    `${summaries.length} trace${summaries.length === 1 ? '' : 's'}`,
    truncated ? ` (the newest ${form.limit}: the limit was reached)` : '',
  );
  const notes = answer.notes.map((note) => el('p', { class: 'note' }, note));
  if (summaries.length === 0) {
    return [
      heading,
      ...notes,
      el('p', { class: 'empty' }, 'No kept trace matches. Widen the time range or remove a filter.'),
    ];
  }
  // With the limit reached, the answer covers only the time since its oldest trace.
  const fromUs = truncated ? Math.min(...summaries.map((s) => s.startUs)) : plan.window.fromUs;
  const window = { fromUs, toUs: plan.window.toUs };
  return [
    heading,
    ...notes,
    scatterPlot(summaries, context.uiBase),
    redTable(redByOperation(answer.traces, form.service, window), form.service, summaries.length, truncated),
    traceList(summaries, context.uiBase),
  ];
}

function traceList(summaries: readonly TraceSummary[], uiBase: URL): HTMLElement {
  const head = ['Trace', 'Started', 'Duration', 'Spans', 'Services', 'Errors', 'Kept by'];
  return el(
    'table',
    { class: 'trace-list' },
    el('caption', {}, 'Traces, newest first'),
    el('thead', {}, el('tr', {}, ...head.map((name) => el('th', { scope: 'col' }, name)))),
    el('tbody', {}, ...summaries.map((summary) => traceRow(summary, uiBase))),
  );
}

function traceRow(summary: TraceSummary, uiBase: URL): HTMLElement {
  const { decision } = summary;
  return el(
    'tr',
    { class: summary.errorCount > 0 ? 'has-error' : undefined },
    el(
      'td',
      {},
      el(
        'a',
        { href: traceAddress(uiBase, summary.traceId).href, 'data-nav': true, class: 'trace-link' },
        el('span', { class: 'root-name' }, `${summary.rootService}: ${summary.rootOperation}`),
        el('span', { class: 'trace-id' }, summary.traceId.slice(0, 12)),
      ),
    ),
    el('td', { class: 'nowrap' }, formatInstant(summary.startUs)),
    el('td', { class: 'number' }, formatDuration(summary.durationUs)),
    el('td', { class: 'number' }, summary.spanCount),
    el('td', {}, ...summary.services.map((s) => serviceChip(s.name, s.spans))),
    el('td', { class: summary.errorCount > 0 ? 'number error-text' : 'number' }, summary.errorCount),
    el(
      'td',
      {},
      decision.policy === '' ? '–' : decision.policy,
      decision.adjustedCount > 1
        ? el('span', { class: 'muted' }, ` ×${formatCount(decision.adjustedCount)}`)
        : '',
    ),
  );
}

/** The form, its values filled in; the operations follow the chosen service. */
async function searchFormElement(
  form: SearchForm,
  services: readonly string[],
  context: PageContext,
): Promise<HTMLElement> {
  const service = select(
    'service',
    services.map((s) => ({ value: s, label: s })),
    form.service,
  );
  const operation = select('operation', [{ value: '', label: 'All operations' }], form.operation);
  const fillOperations = async (chosen: string, keep: string) => {
    const operations = chosen === '' ? [] : await context.api.operations(chosen);
    const names = [...new Set(operations.map((o) => o.name))];
    replaceChildren(
      operation,
      option('', 'All operations', keep),
      ...names.map((name) => option(name, name, keep)),
    );
  };
  await fillOperations(form.service, form.operation);
  on(service, { change: () => void fillOperations(service.value, '') });
  const tags = input('tags', form.tags, { placeholder: 'http.status_code=500 error=true' });
  const minDuration = input('minDuration', form.minDuration, { placeholder: 'e.g. 100ms' });
  const maxDuration = input('maxDuration', form.maxDuration, { placeholder: 'e.g. 2s' });
  const lookback = select(
    'lookback',
    [
      ...LOOKBACKS.map((l) => ({ value: l.value, label: l.label })),
      { value: CUSTOM_LOOKBACK, label: 'Custom range' },
    ],
    form.lookback,
  );
  const start = input('start', localInputValue(form.startMs), { type: 'datetime-local', step: '1' });
  const end = input('end', localInputValue(form.endMs), { type: 'datetime-local', step: '1' });
  const custom = el(
    'div',
    { class: 'custom-range', hidden: form.lookback !== CUSTOM_LOOKBACK },
    field('start', 'From', start),
    field('end', 'To', end),
  );
  on(lookback, { change: () => (custom.hidden = lookback.value !== CUSTOM_LOOKBACK) });
  const limit = input('limit', String(form.limit), { type: 'number', min: 1, max: MAX_LIMIT });
  const problem = el('p', { class: 'form-error', id: 'search-form-error', role: 'alert', hidden: true });
  const element = el(
    'form',
    { class: 'search-form', 'aria-label': 'Search traces', 'aria-describedby': 'search-form-error' },
    field('service', 'Service', service),
    field('operation', 'Operation', operation),
    field('tags', 'Tags', tags),
    field('minDuration', 'Min duration', minDuration),
    field('maxDuration', 'Max duration', maxDuration),
    field('lookback', 'Time range', lookback),
    custom,
    field('limit', 'Limit', limit),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Find traces')),
    problem,
  );
  return on(element, {
    submit: (event) => {
      event.preventDefault();
      const values: SearchForm = {
        service: service.value,
        operation: operation.value,
        tags: tags.value,
        minDuration: minDuration.value,
        maxDuration: maxDuration.value,
        lookback: lookback.value,
        startMs: epochOfLocal(start.value),
        endMs: epochOfLocal(end.value),
        limit: Number(limit.value),
      };
      for (const control of element.querySelectorAll('[aria-invalid]'))
        control.removeAttribute('aria-invalid');
      try {
        searchPlanOf(values, context.now());
      } catch (error) {
        if (!(error instanceof SearchFormError)) throw error;
        problem.textContent = error.message;
        problem.hidden = false;
        const control = element.querySelector(`#search-${error.field}`);
        control?.setAttribute('aria-invalid', 'true');
        (control as HTMLElement | null)?.focus();
        return;
      }
      context.navigate(searchAddress(context.uiBase, addressOf(values)));
    },
  });
}

function field(name: string, label: string, control: HTMLElement): HTMLElement {
  return el('div', { class: `field field-${name}` }, el('label', { for: `search-${name}` }, label), control);
}

function select(
  name: string,
  options: readonly { value: string; label: string }[],
  chosen: string,
): HTMLSelectElement {
  return el(
    'select',
    { id: `search-${name}`, name },
    ...options.map((o) => option(o.value, o.label, chosen)),
  );
}

function option(value: string, label: string, chosen: string): HTMLOptionElement {
  return el('option', { value, selected: value === chosen }, label);
}

function input(name: string, value: string, attributes: Record<string, string | number>): HTMLInputElement {
  const element = el('input', { id: `search-${name}`, name, autocomplete: 'off', ...attributes });
  element.value = value;
  return element;
}

/** A datetime-local input's value (local time) as epoch milliseconds. */
function epochOfLocal(value: string): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function localInputValue(epochMs: number | undefined): string {
  if (epochMs === undefined) return '';
  const date = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
