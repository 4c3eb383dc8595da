/** A search answer fitted into Lambda's 6 MB: the oldest traces left out, the rest in their order. */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RESPONSE_BUDGET } from '../../../../lambdas/query/encoding.ts';
import type { JaegerTrace } from '../../../../lambdas/query/jaeger/model.ts';
import { type FoundTrace, tracesAnswer } from '../../../../lambdas/query/jaeger/trimmed-traces.ts';

/** 1.1 MB of tag value a trace: five fit in the 6 MB budget, six do not. */
const BULK = 1_100_000;

/** A trace of one span whose tag carries `bytes` characters, started at `start` seconds. */
function found(id: string, start: number, bytes = BULK): FoundTrace {
  const trace: JaegerTrace = {
    traceID: id,
    spans: [
      {
        traceID: id,
        spanID: '00000000000000a1',
        operationName: 'GET /cart',
        references: [],
        startTime: start * 1_000_000,
        duration: 1_000,
        tags: [{ key: 'bulk', type: 'string', value: 'x'.repeat(bytes) }],
        logs: [],
        processID: 'p1',
        warnings: null,
      },
    ],
    processes: { p1: { serviceName: 'carts', tags: [] } },
    warnings: null,
  };
  return { trace, startNano: BigInt(start) * 1_000_000_000n };
}

function bodyOf(response: { body: string; isBase64Encoded?: boolean }) {
  const text = response.isBase64Encoded
    ? gunzipSync(Buffer.from(response.body, 'base64')).toString()
    : response.body;
  return JSON.parse(text) as { data: JaegerTrace[]; total: number; errors: { msg: string }[] | null };
}

describe('tracesAnswer', () => {
  it('answers every trace in its order, with the notes, when they fit', () => {
    // Prepare
    const traces = [found('b', 20, 10), found('a', 10, 10)];

    // Act
    const response = tracesAnswer(traces, [{ msg: 'trace not found', traceID: 'c' }], false);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      data: traces.map((t) => t.trace),
      total: 2,
      limit: 0,
      offset: 0,
      errors: [{ msg: 'trace not found', traceID: 'c' }],
    });
  });

  it('writes errors null when there is nothing to note', () => {
    // Act
    const response = tracesAnswer([found('a', 10, 10)], [], false);

    // Assess
    expect(bodyOf(response).errors).toBeNull();
  });

  it('leaves out the oldest traces until the answer fits, newest first kept, with a note', () => {
    // Prepare: eight traces of 1.1 MB, newest first, as a search finds them
    const traces = [80, 70, 60, 50, 40, 30, 20, 10].map((start) => found(`t${start}`, start));

    // Act
    const response = tracesAnswer(traces, [], false);

    // Assess
    const body = bodyOf(response);
    expect(body.data.map((t) => t.traceID)).toEqual(['t80', 't70', 't60', 't50', 't40']);
    expect(body.total).toBe(5);
    expect(body.errors).toEqual([{ msg: expect.stringMatching(/^3 older traces left out: .*6 MB/) }]);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(RESPONSE_BUDGET);
  });

  it('leaves out the oldest by start time, whatever their place, and keeps the order of the rest', () => {
    // Prepare: in the order asked (the traceID form), the oldest in the middle
    const traces = [50, 10, 70, 20, 60, 40, 30].map((start) => found(`t${start}`, start));

    // Act
    const response = tracesAnswer(traces, [{ msg: 'trace not found', traceID: 'ff' }], false);

    // Assess
    const body = bodyOf(response);
    expect(body.data.map((t) => t.traceID)).toEqual(['t50', 't70', 't60', 't40', 't30']);
    expect(body.errors).toEqual([
      { msg: 'trace not found', traceID: 'ff' },
      { msg: expect.stringMatching(/^2 older traces left out/) },
    ]);
  });

  it('says "trace" for one left out', () => {
    // Prepare
    const traces = [60, 50, 40, 30, 20, 10].map((start) => found(`t${start}`, start));

    // Act
    const body = bodyOf(tracesAnswer(traces, [], false));

    // Assess
    expect(body.errors).toEqual([{ msg: expect.stringMatching(/^1 older trace left out/) }]);
  });

  it('answers a single trace over the limit with no data and the note', () => {
    // Act
    const body = bodyOf(tracesAnswer([found('huge', 10, 7_000_000)], [], false));

    // Assess
    expect(body.data).toEqual([]);
    expect(body.errors).toEqual([{ msg: expect.stringMatching(/^1 older trace left out/) }]);
  });

  it('keeps every trace when gzip makes them fit', () => {
    // Prepare
    const traces = [80, 70, 60, 50, 40, 30, 20, 10].map((start) => found(`t${start}`, start));

    // Act
    const response = tracesAnswer(traces, [], true);

    // Assess
    expect(response.headers['content-encoding']).toBe('gzip');
    const body = bodyOf(response);
    expect(body.data).toHaveLength(8);
    expect(body.errors).toBeNull();
  });
});
