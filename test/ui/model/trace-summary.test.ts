import { describe, expect, it } from 'vitest';
import { traceSummaryOf } from '../../../ui/src/model/trace-summary.ts';
import { EPOCH_US, jaegerTrace, type SpanSpec, samplingTags, TRACE_ID } from './jaeger-traces.ts';

describe('traceSummaryOf', () => {
  it('summarizes a trace from its root, spans[0]', () => {
    // Prepare
    const trace = jaegerTrace([
      {
        id: 'root',
        service: 'web',
        operation: 'GET /',
        start: 5,
        duration: 100,
        tags: samplingTags({ policy: 'errors', probability: 1, adjustedCount: 1, reason: '5xx' }),
      },
      { id: 'early', parent: 'root', service: 'db', start: 0, duration: 3 },
      { id: 'a', parent: 'root', service: 'api', start: 10, duration: 120, error: true },
      { id: 'b', parent: 'a', service: 'db', start: 20, duration: 10, error: true },
      { id: 'c', parent: 'a', service: 'api', start: 30, duration: 10 },
      { id: 'd', parent: 'root', service: 'cache', start: 40, duration: 10 },
    ]);
    // Act
    const summary = traceSummaryOf(trace);
    // Assess
    expect(summary).toEqual({
      traceId: TRACE_ID,
      rootService: 'web',
      rootOperation: 'GET /',
      startUs: EPOCH_US,
      durationUs: 130,
      spanCount: 6,
      services: [
        { name: 'api', spans: 2 },
        { name: 'db', spans: 2 },
        { name: 'cache', spans: 1 },
        { name: 'web', spans: 1 },
      ],
      errorCount: 2,
      decision: { policy: 'errors', probability: 1, adjustedCount: 1, threshold: '', reason: '5xx' },
    });
  });

  it.each<{ case: string; specs: SpanSpec[]; root: string }>([
    {
      case: 'spans[0] whose parent is missing stays the root',
      specs: [
        { id: 'fragment', parent: 'gone', operation: 'fragment', start: 10 },
        { id: 'other', operation: 'other', start: 0 },
      ],
      root: 'fragment',
    },
    {
      case: 'spans[0] with a parent in the trace gives way to the earliest span',
      specs: [
        { id: 'child', parent: 'top', operation: 'child', start: 10 },
        { id: 'late', operation: 'late', start: 20 },
        { id: 'top', operation: 'top', start: 0 },
      ],
      root: 'top',
    },
    {
      case: 'an earlier span with a parent does not displace a root',
      specs: [
        { id: 'child', parent: 'top', operation: 'child', start: 10 },
        { id: 'early-child', parent: 'top', operation: 'early-child', start: 0 },
        { id: 'top', operation: 'top', start: 5 },
      ],
      root: 'top',
    },
    {
      case: 'equally early: the root over spans[0]',
      specs: [
        { id: 'child', parent: 'top', operation: 'child', start: 0 },
        { id: 'top', operation: 'top', start: 0 },
      ],
      root: 'top',
    },
    {
      case: 'every span with a parent (a cycle): the earliest span',
      specs: [
        { id: 'a', parent: 'b', operation: 'a', start: 3 },
        { id: 'b', parent: 'a', operation: 'b', start: 1 },
      ],
      root: 'b',
    },
  ])('$case', ({ specs, root }) => {
    // Prepare
    const trace = jaegerTrace(specs);
    // Act
    const summary = traceSummaryOf(trace);
    // Assess
    expect(summary.rootOperation).toBe(root);
  });

  it('returns an empty line for a trace without spans', () => {
    // Prepare
    const trace = jaegerTrace([]);
    // Act
    const summary = traceSummaryOf(trace);
    // Assess
    expect(summary).toEqual({
      traceId: TRACE_ID,
      rootService: '',
      rootOperation: '',
      startUs: 0,
      durationUs: 0,
      spanCount: 0,
      services: [],
      errorCount: 0,
      decision: { policy: '', probability: 1, adjustedCount: 1, threshold: '', reason: '' },
    });
  });

  it('counts a repeated span id once and reads hostile values without throwing', () => {
    // Prepare
    const trace = jaegerTrace([
      { id: 'root', duration: 50, raw: { processID: 'missing', operationName: 42 } },
      { id: 'x', parent: 'root', start: 10, duration: 10, error: true },
      { id: 'x', parent: 'root', start: 10, duration: 900, error: true },
      { id: 'y', parent: 'root', raw: { startTime: 'soon', duration: Number.NaN } },
    ]);
    // Act
    const summary = traceSummaryOf(trace);
    // Assess: y starts at the epoch (0), so the trace spans from 0 to the root's end.
    expect(summary).toMatchObject({
      rootService: '',
      rootOperation: '42',
      spanCount: 3,
      errorCount: 1,
      startUs: 0,
      durationUs: EPOCH_US + 50,
      services: [
        { name: 'frontend', spans: 2 },
        { name: '', spans: 1 },
      ],
    });
  });
});
