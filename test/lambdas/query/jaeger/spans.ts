/** Spans and summaries for the Jaeger translation tests, built field by field. */
import type { SamplingSummary } from '../../../../lambdas/query/jaeger/translate.ts';
import {
  type Attributes,
  EMPTY_SCOPE,
  makeResource,
  type Span,
  SpanKind,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** 2017-01-26T21:46:31.639875Z in ns, the start time of Jaeger's fixture spans. */
export const START_NS = 1_485_467_191_639_875_000n;

export const FRONTEND = makeResource({ 'service.name': 'frontend', 'host.name': 'web-1' });

export function span(overrides: Partial<Span> & Pick<Span, 'spanId'>): Span {
  return {
    traceId: TRACE_ID,
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'op',
    kind: SpanKind.UNSPECIFIED,
    startTimeUnixNano: START_NS,
    endTimeUnixNano: START_NS + 5_000n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    resource: FRONTEND,
    scope: EMPTY_SCOPE,
    ...overrides,
  };
}

export function link(traceId: string, spanId: string, attributes: Attributes = {}): Span['links'][number] {
  return { traceId, spanId, traceState: '', attributes, droppedAttributesCount: 0, flags: 0 };
}

export const SUMMARY: SamplingSummary = {
  rootSpanId: '00000000000000a1',
  policy: 'baseline',
  probability: 0.25,
  adjustedCount: 4,
  threshold: 'c',
  reason: 'consistent probability 0.25',
};
