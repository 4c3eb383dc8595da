import { describe, expect, it } from 'vitest';
import { ERRORS_POLICY, errorPolicy } from '../../../../lambdas/sampler/policies/error-spans.ts';
import {
  type Attributes,
  type SpanEvent,
  SpanKind,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';
import { contextOf, spanOf, traceOf, viewOfTrace } from '../../../support/sampler.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const ALL = { httpServerErrors: true, exceptionEvents: true };
const exception: SpanEvent = {
  timeUnixNano: 1n,
  name: 'exception',
  attributes: {},
  droppedAttributesCount: 0,
};

function withChild(child: {
  kind?: SpanKind;
  status?: StatusCode;
  attributes?: Attributes;
  events?: SpanEvent[];
}) {
  const [root] = traceOf(TRACE, { children: 0 });
  return viewOfTrace([
    root as NonNullable<typeof root>,
    spanOf({
      traceId: TRACE,
      spanId: 'c0c0c0c0c0c0c0c0',
      parentSpanId: root?.spanId,
      name: 'child',
      ...child,
    }),
  ]);
}

describe('errorPolicy', () => {
  it.each([
    ['status ERROR', { status: StatusCode.ERROR }, ALL, true, 'span status ERROR in checkout "child"'],
    ['status OK', { status: StatusCode.OK }, ALL, false, undefined],
    ['status UNSET', {}, ALL, false, undefined],
    [
      'server span with HTTP 500',
      { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 500 } },
      ALL,
      true,
      'HTTP 500 from checkout "child"',
    ],
    [
      'server span with HTTP 599',
      { kind: SpanKind.SERVER, attributes: { 'http.status_code': 599 } },
      ALL,
      true,
      'HTTP 599 from checkout "child"',
    ],
    [
      'server span with HTTP 499',
      { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 499 } },
      ALL,
      false,
      undefined,
    ],
    [
      'server span with HTTP 600',
      { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 600 } },
      ALL,
      false,
      undefined,
    ],
    [
      'client span with HTTP 503',
      { kind: SpanKind.CLIENT, attributes: { 'http.response.status_code': 503 } },
      ALL,
      false,
      undefined,
    ],
    [
      'HTTP 500 with HTTP errors off',
      { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 500 } },
      { ...ALL, httpServerErrors: false },
      false,
      undefined,
    ],
    ['an exception event', { events: [exception] }, ALL, true, 'exception recorded in checkout "child"'],
    [
      'an exception event with exceptions off',
      { events: [exception] },
      { ...ALL, exceptionEvents: false },
      false,
      undefined,
    ],
  ])('a trace with %s', (_name, child, options, keep, reason) => {
    // Prepare
    const view = withChild(child);

    // Act
    const [verdict] = errorPolicy(options).decide([view], contextOf());

    // Assess: errors keep deterministically, and otherwise pass the trace on
    if (keep) expect(verdict).toEqual({ keep: true, policy: ERRORS_POLICY, threshold: undefined, reason });
    else expect(verdict).toBeUndefined();
  });

  it('decides each trace of a batch on its own', () => {
    const views = [
      withChild({ status: StatusCode.ERROR }),
      withChild({}),
      withChild({ events: [exception] }),
    ];
    const verdicts = errorPolicy(ALL).decide(views, contextOf());
    expect(verdicts.map((v) => v?.keep)).toEqual([true, undefined, true]);
  });
});
