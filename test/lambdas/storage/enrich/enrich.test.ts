import { describe, expect, it } from 'vitest';
import { enrichTrace } from '../../../../lambdas/storage/enrich/enrich.ts';
import { summarizeTrace } from '../../../../lambdas/storage/enrich/summary.ts';
import { BASE_NS, BASELINE, ERRORS, sid, TRACE_A, testSpan } from '../../../support/storage.ts';

describe('summarizeTrace', () => {
  it('summarizes root, envelope, counts, services and the decision', () => {
    // Prepare
    const spans = [
      testSpan({ id: 'root', service: 'frontend', name: 'GET /checkout', start: 0, end: 100 }),
      testSpan({ id: 'a', parent: 'root', service: 'checkout', start: 10, end: 150, error: true }),
      testSpan({ id: 'b', parent: 'a', service: 'payments', start: -5, end: 20, error: true }),
    ];
    // Act
    const summary = summarizeTrace(TRACE_A, spans, ERRORS, 1234);
    // Assess
    expect(summary).toEqual({
      traceId: TRACE_A,
      rootSpanId: sid('root'),
      rootService: 'frontend',
      rootName: 'GET /checkout',
      startTimeUnixNano: BASE_NS - 5n,
      endTimeUnixNano: BASE_NS + 150n,
      durationNano: 155,
      spanCount: 3,
      errorCount: 2,
      services: ['checkout', 'frontend', 'payments'],
      policy: 'errors',
      probability: 1,
      adjustedCount: 1,
      threshold: '0',
      reason: 'span status ERROR',
      firstArrivalMs: 1234,
    });
  });

  it('takes the earliest span with a missing parent as root when the root span is absent', () => {
    // Prepare
    const spans = [
      testSpan({ id: 'late', parent: 'gone', service: 'orders', name: 'later', start: 30, end: 40 }),
      testSpan({ id: 'early', parent: 'gone', service: 'users', name: 'earlier', start: 20, end: 25 }),
      testSpan({ id: 'child', parent: 'early', service: 'users', start: 10, end: 12 }),
    ];
    // Act
    const summary = summarizeTrace(TRACE_A, spans, BASELINE, 0);
    // Assess
    expect([summary.rootSpanId, summary.rootService, summary.rootName]).toEqual([
      sid('early'),
      'users',
      'earlier',
    ]);
    expect(summary.adjustedCount).toBe(4);
  });

  it('never reports a negative duration when every span ends before it starts', () => {
    // Prepare
    const spans = [testSpan({ id: 'r', start: 50, end: 10 })];
    // Act
    const summary = summarizeTrace(TRACE_A, spans, BASELINE, 0);
    // Assess
    expect(summary.durationNano).toBe(0);
    expect(summary.endTimeUnixNano).toBe(summary.startTimeUnixNano);
  });
});

describe('enrichTrace edges', () => {
  const spans = [
    testSpan({ id: 'root', service: 'frontend', start: 0, end: 100 }),
    testSpan({ id: 'c1', parent: 'root', service: 'frontend', kind: 3, start: 1, end: 50 }),
    testSpan({ id: 's1', parent: 'c1', service: 'checkout', start: 2, end: 40 }),
    testSpan({ id: 'c2', parent: 'root', service: 'frontend', start: 51, end: 99 }),
    testSpan({ id: 's2', parent: 'c2', service: 'checkout', start: 52, end: 62, error: true }),
    testSpan({ id: 'db', parent: 's2', service: 'postgres', start: 53, end: 60 }),
    testSpan({ id: 'internal', parent: 's1', service: 'checkout', start: 3, end: 4 }),
  ];

  it('counts calls, errors and durations per service pair, leaving calls within a service out', () => {
    // Act
    const { edges } = enrichTrace(TRACE_A, spans, BASELINE, 0);
    // Assess
    expect(edges).toEqual([
      {
        parentService: 'checkout',
        childService: 'postgres',
        callCount: 1,
        errorCount: 0,
        durationNanoSum: 7,
        durationNanoMax: 7,
      },
      {
        parentService: 'frontend',
        childService: 'checkout',
        callCount: 2,
        errorCount: 1,
        durationNanoSum: 38 + 10,
        durationNanoMax: 38,
      },
    ]);
  });

  it('counts only the written spans of a late fragment, finding their parents among all spans', () => {
    // Prepare: the fragment holds the postgres call whose parent was stored earlier.
    const fragment = spans.filter((s) => s.spanId === sid('db'));
    // Act
    const { edges, summary } = enrichTrace(TRACE_A, spans, BASELINE, 0, fragment);
    // Assess
    expect(edges.map((e) => [e.parentService, e.childService, e.callCount])).toEqual([
      ['checkout', 'postgres', 1],
    ]);
    expect(summary.spanCount).toBe(spans.length);
  });
});
