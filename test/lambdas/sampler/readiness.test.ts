import { describe, expect, it } from 'vitest';
import { Readiness, type ReadinessRules, readinessOf } from '../../../lambdas/sampler/readiness.ts';
import type { SpanFacts } from '../../../lambdas/sampler/span-index.ts';

const RULES: ReadinessRules = {
  sendDelayMs: 5_000,
  traceTimeoutMs: 30_000,
  maxSpansPerTrace: 4,
  maxBytesPerTrace: 1_000,
  maxDeferrals: 10,
};
const ROOT = {} as SpanFacts;

function trace(
  overrides: Partial<Parameters<typeof readinessOf>[0]> = {},
): Parameters<typeof readinessOf>[0] {
  return {
    root: undefined,
    rootArrivalMs: 0,
    firstArrivalMs: 100_000,
    spans: [],
    bytes: 0,
    deferrals: 0,
    ...overrides,
  };
}

describe('readinessOf', () => {
  it.each([
    [
      'root, send delay passed exactly',
      trace({ root: ROOT, rootArrivalMs: 100_000 }),
      105_000,
      Readiness.ROOT,
    ],
    ['root, 1 ms before the send delay', trace({ root: ROOT, rootArrivalMs: 100_000 }), 104_999, undefined],
    ['root, long after', trace({ root: ROOT, rootArrivalMs: 100_000 }), 200_000, Readiness.ROOT],
    ['no root, timeout passed exactly', trace(), 130_000, Readiness.TIMEOUT],
    ['no root, 1 ms before the timeout', trace(), 129_999, undefined],
    [
      'root arrived late, timeout since first span',
      trace({ root: ROOT, rootArrivalMs: 129_000 }),
      130_000,
      Readiness.TIMEOUT,
    ],
    ['span limit reached exactly', trace({ spans: new Array(4).fill(ROOT) }), 100_000, Readiness.SPAN_LIMIT],
    ['one span under the limit', trace({ spans: new Array(3).fill(ROOT) }), 100_000, undefined],
    ['byte limit reached exactly', trace({ bytes: 1_000 }), 100_000, Readiness.BYTE_LIMIT],
    ['one byte under the limit', trace({ bytes: 999 }), 100_000, undefined],
    ['deferral limit reached exactly', trace({ deferrals: 10 }), 100_000, Readiness.DEFERRAL_LIMIT],
    ['one deferral under the limit', trace({ deferrals: 9 }), 100_000, undefined],
  ])('%s', (_name, t, watermarkMs, expected) => {
    expect(readinessOf(t, watermarkMs, RULES)).toBe(expected);
  });

  it('with a send delay of 0, a trace is ready as soon as its root is in', () => {
    expect(
      readinessOf(trace({ root: ROOT, rootArrivalMs: 100_000 }), 100_000, { ...RULES, sendDelayMs: 0 }),
    ).toBe(Readiness.ROOT);
  });
});
