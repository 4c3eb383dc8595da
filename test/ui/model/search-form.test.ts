import { describe, expect, it } from 'vitest';
import { SearchFormError } from '../../../ui/src/errors.ts';
import {
  addressOf,
  CUSTOM_LOOKBACK,
  DEFAULT_LIMIT,
  EMPTY_SEARCH_FORM,
  LOOKBACKS,
  MAX_LIMIT,
  parseTags,
  type SearchForm,
  searchFormOf,
  searchPlanOf,
} from '../../../ui/src/model/search-form.ts';

/** The fixture's clock: a whole second, so microsecond arithmetic is exact. */
const NOW_MS = 1_700_000_000_000 + 123_000;
const form = (values: Partial<SearchForm>): SearchForm => ({
  ...EMPTY_SEARCH_FORM,
  service: 'checkout',
  ...values,
});

function fieldOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    if (error instanceof SearchFormError) return error.field;
    throw error;
  }
  return undefined;
}

describe('searchPlanOf', () => {
  it('asks the API for the service over the lookback ending now, with the limit', () => {
    // Prepare
    const hour = LOOKBACKS.find((l) => l.value === '1h')?.ms ?? 0;

    // Act
    const plan = searchPlanOf(form({ lookback: '1h', limit: 20 }), NOW_MS);

    // Assess
    expect(plan.window).toEqual({ fromUs: (NOW_MS - hour) * 1000, toUs: NOW_MS * 1000 });
    expect(Object.fromEntries(plan.params)).toEqual({
      service: 'checkout',
      start: String((NOW_MS - hour) * 1000),
      end: String(NOW_MS * 1000),
      limit: '20',
    });
  });

  it('sends the operation, the tags as JSON and both duration bounds', () => {
    // Act
    const plan = searchPlanOf(
      form({
        operation: 'POST /pay',
        tags: 'http.status_code=500 note="two words"',
        minDuration: '100ms',
        maxDuration: '1.5s',
      }),
      NOW_MS,
    );

    // Assess
    expect(plan.params.get('operation')).toBe('POST /pay');
    expect(JSON.parse(plan.params.get('tags') ?? '')).toEqual({
      'http.status_code': '500',
      note: 'two words',
    });
    expect(plan.params.get('minDuration')).toBe('100ms');
    expect(plan.params.get('maxDuration')).toBe('1.5s');
  });

  it('takes a custom range as given, in microseconds', () => {
    // Prepare
    const startMs = NOW_MS - 10 * 60_000;
    const endMs = NOW_MS - 5 * 60_000;

    // Act
    const plan = searchPlanOf(form({ lookback: CUSTOM_LOOKBACK, startMs, endMs }), NOW_MS);

    // Assess
    expect(plan.window).toEqual({ fromUs: startMs * 1000, toUs: endMs * 1000 });
  });

  it.each([
    ['no service', form({ service: '' }), 'service'],
    ['an unknown lookback', form({ lookback: '5y' }), 'lookback'],
    ['a custom range without a start', form({ lookback: CUSTOM_LOOKBACK, endMs: NOW_MS }), 'start'],
    ['a custom range without an end', form({ lookback: CUSTOM_LOOKBACK, startMs: NOW_MS }), 'end'],
    [
      'a start after the end',
      form({ lookback: CUSTOM_LOOKBACK, startMs: NOW_MS, endMs: NOW_MS - 1 }),
      'start',
    ],
    ['a duration without a unit', form({ minDuration: '100' }), 'minDuration'],
    ['a duration with an unknown unit', form({ maxDuration: '3d' }), 'maxDuration'],
    ['a minimum over the maximum', form({ minDuration: '2s', maxDuration: '1500ms' }), 'minDuration'],
    ['a limit of 0', form({ limit: 0 }), 'limit'],
    ['a limit over the most', form({ limit: MAX_LIMIT + 1 }), 'limit'],
    ['a fractional limit', form({ limit: 2.5 }), 'limit'],
    ['a tag without a value separator', form({ tags: 'error' }), 'tags'],
  ])('refuses %s, naming the field', (_name, values, field) => {
    // Act
    const named = fieldOf(() => searchPlanOf(values, NOW_MS));

    // Assess
    expect(named).toBe(field);
  });

  it.each([
    ['equal bounds', '1s', '1000ms'],
    ['microseconds', '250us', '1ms'],
    ['Go’s micro sign', '250µs', '1ms'],
  ])('accepts %s', (_name, minDuration, maxDuration) => {
    // Act
    const plan = searchPlanOf(form({ minDuration, maxDuration }), NOW_MS);

    // Assess
    expect(plan.params.get('minDuration')).toBe(minDuration);
  });
});

describe('parseTags', () => {
  it.each([
    ['', {}],
    ['  a=1   b=2 ', { a: '1', b: '2' }],
    ['k=', { k: '' }],
    ['url=http://x/?a=b', { url: 'http://x/?a=b' }],
    ['q="say \\"hi\\" \\\\ there"', { q: 'say "hi" \\ there' }],
    ['a=1 a=2', { a: '2' }],
  ])('reads %j', (text, tags) => {
    // Act / Assess
    expect(parseTags(text)).toEqual(tags);
  });

  it.each(['=value', 'a="open', 'novalue'])('refuses %j', (text) => {
    // Act
    const field = fieldOf(() => parseTags(text));

    // Assess
    expect(field).toBe('tags');
  });
});

describe('the page address', () => {
  it('gives back the form it was made from', () => {
    // Prepare
    const original = form({
      operation: 'GET /',
      tags: 'a=1',
      minDuration: '1ms',
      lookback: CUSTOM_LOOKBACK,
      startMs: NOW_MS - 1000,
      endMs: NOW_MS,
      limit: 7,
    });

    // Act
    const round = searchFormOf(new URLSearchParams(addressOf(original).toString()));

    // Assess
    expect(round).toEqual(original);
  });

  it('falls back to the defaults for what it cannot read', () => {
    // Act
    const read = searchFormOf(new URLSearchParams('service=s&lookback=forever&limit=-3&start=x'));

    // Assess
    expect(read).toEqual({ ...EMPTY_SEARCH_FORM, service: 's', limit: DEFAULT_LIMIT });
  });

  it('lowers a limit over the most to the most', () => {
    // Act / Assess
    expect(searchFormOf(new URLSearchParams(`limit=${MAX_LIMIT * 2}`)).limit).toBe(MAX_LIMIT);
  });
});
