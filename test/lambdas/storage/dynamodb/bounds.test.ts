/** Bounds of stored strings and the per-trace caps of late spans (pure). */
import { describe, expect, it } from 'vitest';
import {
  boundedText,
  boundSummary,
  MAX_STORED_SERVICES,
  STORED_STRING_BYTES,
  TRUNCATION_MARKER,
} from '../../../../lambdas/storage/dynamodb/bounds.ts';
import { spansProtobufBytes } from '../../../../lambdas/storage/dynamodb/span-blob.ts';
import { spansWithinCaps } from '../../../../lambdas/storage/dynamodb/trace-caps.ts';
import { summarizeTrace } from '../../../../lambdas/storage/enrich/summary.ts';
import { ERRORS, testSpan } from '../../../support/storage.ts';

describe('boundedText', () => {
  it.each([
    ['ASCII at the bound', 'a'.repeat(10), 10, 'a'.repeat(10)],
    ['ASCII one over', 'a'.repeat(11), 10, `${'a'.repeat(7)}${TRUNCATION_MARKER}`],
    ['3-byte characters, cut at a character', '\u20ac'.repeat(4), 10, `\u20ac\u20ac${TRUNCATION_MARKER}`],
    ['a surrogate pair never split', `a${'\u{1F600}'.repeat(3)}`, 7, `a${TRUNCATION_MARKER}`],
    ['empty', '', 4, ''],
  ])('%s', (_case, text, maxBytes, expected) => {
    // Act
    const out = boundedText(text, maxBytes);
    // Assess
    expect(out.text).toBe(expected);
    expect(out.truncated).toBe(expected !== text);
    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(maxBytes);
  });

  it('is idempotent: a bounded string stays as it is', () => {
    // Prepare
    const once = boundedText('x'.repeat(1_000), 100).text;
    // Act, Assess
    expect(boundedText(once, 100)).toEqual({ text: once, truncated: false });
  });
});

describe('boundSummary', () => {
  it('bounds names and services and marks what it cut, counting omitted services', () => {
    // Prepare
    const spans = [
      testSpan({ id: 'root', service: 'a'.repeat(300), name: 'n'.repeat(1_000), start: 0, end: 5 }),
    ];
    for (let i = 0; i < MAX_STORED_SERVICES + 5; i++)
      spans.push(
        testSpan({
          id: `s${i}`,
          parent: 'root',
          service: `svc-${String(i).padStart(3, '0')}`,
          start: 1,
          end: 2,
        }),
      );
    const summary = summarizeTrace(spans[0]?.traceId as string, spans, ERRORS, 0);
    // Act
    const bounded = boundSummary(summary);
    // Assess
    expect(bounded.truncated).toEqual(['root_name', 'root_service', 'services']);
    expect(Buffer.byteLength(bounded.rootService)).toBeLessThanOrEqual(STORED_STRING_BYTES.service);
    expect(bounded.services.length).toBe(MAX_STORED_SERVICES);
    expect(bounded.servicesOmitted).toBe(MAX_STORED_SERVICES + 6 - MAX_STORED_SERVICES);
    expect(boundSummary(summarizeTrace('t', spans.slice(1, 3), ERRORS, 0)).truncated).toEqual([]);
  });
});

describe('spansWithinCaps', () => {
  const spans = [30, 10, 20].map((start) =>
    testSpan({ id: `l${start}`, parent: 'root', start, end: start + 1 }),
  );

  it.each([
    ['all, under both caps', { spans: 1, bytes: 0 }, { maxSpans: 10, maxBytes: 1e9 }, ['l10', 'l20', 'l30']],
    [
      'the earliest, at the span cap',
      { spans: 8, bytes: 0 },
      { maxSpans: 10, maxBytes: 1e9 },
      ['l10', 'l20'],
    ],
    ['none, when the trace is full', { spans: 10, bytes: 0 }, { maxSpans: 10, maxBytes: 1e9 }, []],
    ['none, when its bytes are at the cap', { spans: 1, bytes: 500 }, { maxSpans: 10, maxBytes: 500 }, []],
  ])('admits %s', (_case, stored, caps, expected) => {
    // Act
    const out = spansWithinCaps(stored, spans, caps);
    // Assess
    expect(out.admitted.map((s) => s.name).sort()).toEqual(expected);
    expect(out.dropped).toBe(spans.length - expected.length);
  });

  it('admits by bytes the earliest spans that fit', () => {
    // Prepare: room for exactly one span measured alone
    const one = spansProtobufBytes([spans[1] as (typeof spans)[number]]);
    // Act
    const out = spansWithinCaps({ spans: 0, bytes: 1_000 }, spans, {
      maxSpans: 10,
      maxBytes: 1_000 + one,
    });
    // Assess
    expect(out.admitted.map((s) => s.name)).toEqual(['l10']);
  });
});
