/**
 * The search form's values, the page's address that keeps them (`/ui/?service=…`, so a search can
 * be shared and reloaded), and the query API request they make (GET /api/traces, Jaeger's
 * parameters: lambdas/query/jaeger/search-params.ts). Values are checked here with the API's own
 * rules, so a mistake is named beside its field instead of coming back as a 400.
 */
import { SearchFormError } from '../errors.ts';

export interface SearchForm {
  readonly service: string;
  /** '' for every operation. */
  readonly operation: string;
  /** `key=value` pairs separated by spaces; a value with spaces is double-quoted (logfmt). */
  readonly tags: string;
  /** Go durations (`100ms`, `1.5s`), '' for no bound. */
  readonly minDuration: string;
  readonly maxDuration: string;
  /** One of LOOKBACKS' values, or `custom` for [startMs, endMs]. */
  readonly lookback: string;
  readonly startMs: number | undefined;
  readonly endMs: number | undefined;
  readonly limit: number;
}

export const LOOKBACKS: readonly { readonly value: string; readonly label: string; readonly ms: number }[] = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '3h', label: 'Last 3 hours', ms: 3 * 3_600_000 },
  { value: '12h', label: 'Last 12 hours', ms: 12 * 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { value: '2d', label: 'Last 2 days', ms: 2 * 24 * 3_600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
];
export const CUSTOM_LOOKBACK = 'custom';
export const DEFAULT_LIMIT = 50;
/** The query API's most traces per search (search-params.ts MAX_SEARCH_LIMIT). */
export const MAX_LIMIT = 1500;

export const EMPTY_SEARCH_FORM: SearchForm = {
  service: '',
  operation: '',
  tags: '',
  minDuration: '',
  maxDuration: '',
  lookback: '1h',
  startMs: undefined,
  endMs: undefined,
  limit: DEFAULT_LIMIT,
};

/** What a search asks of the API, and the window it covers (microseconds since the epoch). */
export interface SearchPlan {
  readonly params: URLSearchParams;
  readonly window: { readonly fromUs: number; readonly toUs: number };
}

/** The form a page address describes; anything missing or unreadable takes its default. */
export function searchFormOf(address: URLSearchParams): SearchForm {
  const text = (name: string) => address.get(name) ?? '';
  const lookback = text('lookback');
  const known = lookback === CUSTOM_LOOKBACK || LOOKBACKS.some((l) => l.value === lookback);
  const limit = Number.parseInt(text('limit'), 10);
  return {
    service: text('service'),
    operation: text('operation'),
    tags: text('tags'),
    minDuration: text('minDuration'),
    maxDuration: text('maxDuration'),
    lookback: known ? lookback : EMPTY_SEARCH_FORM.lookback,
    startMs: finiteOrUndefined(text('start')),
    endMs: finiteOrUndefined(text('end')),
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
  };
}

function finiteOrUndefined(text: string): number | undefined {
  if (text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The page address that describes a form (its inverse: searchFormOf). Empty values are left out. */
export function addressOf(form: SearchForm): URLSearchParams {
  const address = new URLSearchParams();
  const put = (name: string, value: string) => {
    if (value !== '') address.set(name, value);
  };
  put('service', form.service);
  put('operation', form.operation);
  put('tags', form.tags);
  put('minDuration', form.minDuration);
  put('maxDuration', form.maxDuration);
  put('lookback', form.lookback);
  if (form.lookback === CUSTOM_LOOKBACK) {
    put('start', form.startMs === undefined ? '' : String(form.startMs));
    put('end', form.endMs === undefined ? '' : String(form.endMs));
  }
  put('limit', String(form.limit));
  return address;
}

/** The API request of a form at `nowMs`, or a SearchFormError naming the field at fault. */
export function searchPlanOf(form: SearchForm, nowMs: number): SearchPlan {
  if (form.service === '') throw new SearchFormError('service', 'Choose a service.');
  const window = windowOf(form, nowMs);
  const params = new URLSearchParams({ service: form.service });
  if (form.operation !== '') params.set('operation', form.operation);
  const tags = parseTags(form.tags);
  if (Object.keys(tags).length > 0) params.set('tags', JSON.stringify(tags));
  const min = checkedDuration('minDuration', form.minDuration);
  const max = checkedDuration('maxDuration', form.maxDuration);
  if (min !== undefined && max !== undefined && min.us > max.us) {
    throw new SearchFormError('minDuration', 'The minimum duration is over the maximum.');
  }
  if (min) params.set('minDuration', min.text);
  if (max) params.set('maxDuration', max.text);
  params.set('start', String(window.fromUs));
  params.set('end', String(window.toUs));
  if (!Number.isInteger(form.limit) || form.limit < 1 || form.limit > MAX_LIMIT) {
    throw new SearchFormError('limit', `The limit is a whole number from 1 to ${MAX_LIMIT}.`);
  }
  params.set('limit', String(form.limit));
  return { params, window };
}

function windowOf(form: SearchForm, nowMs: number): SearchPlan['window'] {
  if (form.lookback === CUSTOM_LOOKBACK) {
    const { startMs, endMs } = form;
    if (startMs === undefined) throw new SearchFormError('start', 'Give the start of the time range.');
    if (endMs === undefined) throw new SearchFormError('end', 'Give the end of the time range.');
    if (startMs > endMs) throw new SearchFormError('start', 'The start is after the end.');
    return { fromUs: Math.trunc(startMs) * 1000, toUs: Math.trunc(endMs) * 1000 };
  }
  const lookback = LOOKBACKS.find((l) => l.value === form.lookback);
  if (!lookback) throw new SearchFormError('lookback', 'Choose a time range.');
  const toUs = Math.trunc(nowMs) * 1000;
  return { fromUs: toUs - lookback.ms * 1000, toUs };
}

/** Go duration units the API reads, in microseconds. */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};
const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)$/;

function checkedDuration(field: string, text: string): { text: string; us: number } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const match = DURATION.exec(trimmed);
  const unit = match ? DURATION_UNITS[match[2] as string] : undefined;
  if (!match || unit === undefined) {
    throw new SearchFormError(
      field,
      `"${trimmed}" is not a duration: write a number and a unit, as 250ms or 1.5s.`,
    );
  }
  return { text: trimmed, us: Number(match[1]) * unit };
}

/**
 * `http.status_code=500 error=true note="two words"` as a tag map. A key is everything up to the
 * first `=`; a quoted value takes `\"` and `\\` escapes. A key given twice keeps its last value.
 */
export function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
    if (at >= text.length) return tags;
    const equals = text.indexOf('=', at);
    const key = equals < 0 ? '' : text.slice(at, equals);
    if (key === '' || /\s/.test(key)) {
      throw new SearchFormError('tags', 'Write tags as key=value pairs separated by spaces.');
    }
    const { value, next } = tagValueAt(text, equals + 1);
    tags[key] = value;
    at = next;
  }
}

function tagValueAt(text: string, at: number): { value: string; next: number } {
  if (text.charAt(at) !== '"') {
    let end = at;
    while (end < text.length && !/\s/.test(text.charAt(end))) end++;
    return { value: text.slice(at, end), next: end };
  }
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === '"') return { value, next: i + 1 };
    if (char === '\\' && i + 1 < text.length) {
      i++;
      value += text.charAt(i);
    } else value += char;
  }
  throw new SearchFormError('tags', 'A quoted tag value is not closed.');
}
