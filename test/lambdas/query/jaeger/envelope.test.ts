import { describe, expect, it } from 'vitest';
import { dataEnvelope, errorEnvelope, tracesEnvelope } from '../../../../lambdas/query/jaeger/envelope.ts';
import { InvalidParameterError } from '../../../../lambdas/query/jaeger/errors.ts';
import { SUMMARY, span } from './spans.ts';

describe('dataEnvelope', () => {
  it('wraps data as Jaeger does, with null errors', () => {
    // Act
    const envelope = dataEnvelope(['checkout', 'frontend'], 2);

    // Assess
    expect(envelope).toEqual({ data: ['checkout', 'frontend'], total: 2, limit: 0, offset: 0, errors: null });
  });
});

describe('errorEnvelope', () => {
  it('carries the status and a message naming the parameter', () => {
    // Prepare
    const error = new InvalidParameterError('minDuration', 'abc', 'time: invalid duration "abc"');

    // Act
    const envelope = errorEnvelope(error);

    // Assess
    expect(envelope).toEqual({
      data: null,
      total: 0,
      limit: 0,
      offset: 0,
      errors: [{ code: 400, msg: `unable to parse param 'minDuration': time: invalid duration "abc"` }],
    });
  });
});

describe('tracesEnvelope', () => {
  it('leaves out traces without spans, and serializes to JSON', () => {
    // Prepare
    const kept = {
      spans: [span({ spanId: SUMMARY.rootSpanId, attributes: { big: 2n ** 60n } })],
      summary: SUMMARY,
    };
    const empty = { spans: [], summary: SUMMARY };

    // Act
    const envelope = tracesEnvelope([empty, kept, empty]);

    // Assess
    expect(envelope.data.map((trace) => trace.spans.length)).toEqual([1]);
    expect(JSON.parse(JSON.stringify(envelope)).data[0].spans[0].tags[0]).toEqual({
      key: 'big',
      type: 'int64',
      value: '1152921504606846976',
    });
  });
});
