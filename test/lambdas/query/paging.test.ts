import { describe, expect, it } from 'vitest';
import { InvalidPageRequestError } from '../../../lambdas/query/errors.ts';
import { cursorOf, pageOf, pageRequestOf } from '../../../lambdas/query/paging.ts';
import { BASE_NS, sid, testSpan } from '../../support/storage.ts';

// Stored out of order; b and c start together, so the span id breaks the tie.
const spans = [
  testSpan({ id: 'd', parent: 'a', start: 30, end: 40 }),
  testSpan({ id: 'c', parent: 'a', start: 10, end: 20 }),
  testSpan({ id: 'a', start: 0, end: 50 }),
  testSpan({ id: 'b', parent: 'a', start: 10, end: 20 }),
];
const names = (page: { spans: readonly { name: string }[] }): string[] => page.spans.map((s) => s.name);

describe('pageRequestOf', () => {
  it('answers undefined (the whole trace) without limit and cursor', () => {
    // Act, Assess
    expect(pageRequestOf(undefined, undefined)).toBeUndefined();
  });

  it('reads a limit and a cursor', () => {
    // Act
    const request = pageRequestOf('2', `${BASE_NS}-${sid('a')}`);
    // Assess
    expect(request).toEqual({ limit: 2, after: { startTimeUnixNano: BASE_NS, spanId: sid('a') } });
  });

  it.each([['0'], ['-1'], ['1.5'], ['01'], ['100001'], ['']])('refuses the limit %j', (limit) => {
    // Act, Assess
    expect(() => pageRequestOf(limit, undefined)).toThrow(InvalidPageRequestError);
  });

  it.each([['abc'], [`${BASE_NS}`], [`${BASE_NS}-00000000000000AB`], [`x-${sid('a')}`]])(
    'refuses the cursor %j',
    (cursor) => {
      // Act, Assess
      expect(() => pageRequestOf(undefined, cursor)).toThrow(InvalidPageRequestError);
    },
  );
});

describe('pageOf', () => {
  it('pages spans by start time, then span id, each page ending with the cursor of the next', () => {
    // Act
    const first = pageOf(spans, { limit: 2 });
    const second = pageOf(spans, { limit: 2, ...pageRequestOf(undefined, first.next) });
    // Assess
    expect([names(first), first.next]).toEqual([['a', 'b'], cursorOf(spans[3] as (typeof spans)[number])]);
    expect([names(second), second.next]).toEqual([['c', 'd'], undefined]);
  });

  it('answers the rest of the trace after a cursor without a limit, and nothing after the last span', () => {
    // Act
    const rest = pageOf(spans, { after: { startTimeUnixNano: BASE_NS + 10n, spanId: sid('b') } });
    const none = pageOf(spans, { after: { startTimeUnixNano: BASE_NS + 30n, spanId: sid('d') } });
    // Assess
    expect([names(rest), rest.next]).toEqual([['c', 'd'], undefined]);
    expect(none).toEqual({ spans: [] });
  });

  it('repeats no span when a late span lands before the cursor between two pages', () => {
    // Prepare
    const first = pageOf(spans, { limit: 2 });
    const late = [...spans, testSpan({ id: 'e', parent: 'a', start: 5, end: 6 })];
    // Act
    const second = pageOf(late, { limit: 2, ...pageRequestOf(undefined, first.next) });
    // Assess
    expect(names(second)).toEqual(['c', 'd']);
  });
});
