import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JaegerTag, JaegerTrace } from '../../../../lambdas/query/jaeger/model.ts';
import {
  jaegerSpanOf,
  jaegerTraceId,
  jaegerTraceOf,
  SAMPLING_TAGS,
} from '../../../../lambdas/query/jaeger/translate.ts';
import {
  EMPTY_SCOPE,
  makeResource,
  type SpanEvent,
  SpanKind,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';
import { FRONTEND, link, START_NS, SUMMARY, span, TRACE_ID } from './spans.ts';

const ROOT = SUMMARY.rootSpanId;
const tagKeys = (tags: readonly JaegerTag[]) => tags.map((tag) => tag.key);

describe('ids', () => {
  it.each([
    ['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['00000000000000000000000000000001', '0000000000000001'],
    ['00000000000000010000000000000000', '00000000000000010000000000000000'],
  ])('writes trace id %s as %s, as Jaeger prints it', (traceId, expected) => {
    // Act
    const id = jaegerTraceId(traceId);

    // Assess
    expect(id).toBe(expected);
  });
});

describe('references', () => {
  const other = '00000000000000000000000000000abc';
  it.each([
    ['a root span', span({ spanId: ROOT }), []],
    [
      'a child span',
      span({ spanId: 'b1', parentSpanId: ROOT }),
      [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: ROOT }],
    ],
    [
      'links after the parent',
      span({
        spanId: 'b1',
        parentSpanId: ROOT,
        links: [link(other, '00000000000000c1'), link(TRACE_ID, 'c2')],
      }),
      [
        { refType: 'CHILD_OF', traceID: TRACE_ID, spanID: ROOT },
        { refType: 'FOLLOWS_FROM', traceID: '0000000000000abc', spanID: '00000000000000c1' },
        { refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID: 'c2' },
      ],
    ],
    [
      'a link marked child_of',
      span({ spanId: 'b1', links: [link(other, 'c1', { 'opentracing.ref_type': 'child_of' })] }),
      [{ refType: 'CHILD_OF', traceID: '0000000000000abc', spanID: 'c1' }],
    ],
    [
      'a link to the parent, which sets its type',
      span({
        spanId: 'b1',
        parentSpanId: ROOT,
        links: [link(TRACE_ID, ROOT, { 'opentracing.ref_type': 'follows_from' })],
      }),
      [{ refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID: ROOT }],
    ],
  ])('of %s', (_name, input, expected) => {
    // Act
    const out = jaegerSpanOf(input, 'p1');

    // Assess
    expect(out.references).toEqual(expected);
  });
});

describe('span tags', () => {
  it.each([
    [SpanKind.UNSPECIFIED, undefined],
    [SpanKind.INTERNAL, 'internal'],
    [SpanKind.SERVER, 'server'],
    [SpanKind.CLIENT, 'client'],
    [SpanKind.PRODUCER, 'producer'],
    [SpanKind.CONSUMER, 'consumer'],
  ])('writes kind %i as span.kind %s', (kind, expected) => {
    // Act
    const out = jaegerSpanOf(span({ spanId: 'a', kind }), 'p1');

    // Assess
    const tags = out.tags.filter((tag) => tag.key === 'span.kind');
    expect(tags).toEqual(expected ? [{ key: 'span.kind', type: 'string', value: expected }] : []);
  });

  it.each([
    ['unset', StatusCode.UNSET, '', []],
    ['unset with a message', StatusCode.UNSET, 'note', [['otel.status_description', 'string', 'note']]],
    ['ok', StatusCode.OK, '', [['otel.status_code', 'string', 'OK']]],
    [
      'error',
      StatusCode.ERROR,
      '',
      [
        ['otel.status_code', 'string', 'ERROR'],
        ['error', 'bool', true],
      ],
    ],
    [
      'error with a message',
      StatusCode.ERROR,
      'boom',
      [
        ['otel.status_code', 'string', 'ERROR'],
        ['error', 'bool', true],
        ['otel.status_description', 'string', 'boom'],
      ],
    ],
  ] as const)('writes status %s', (_name, code, message, expected) => {
    // Act
    const out = jaegerSpanOf(span({ spanId: 'a', status: { code, message } }), 'p1');

    // Assess
    expect(out.tags).toEqual(expected.map(([key, type, value]) => ({ key, type, value })));
  });

  it('orders scope, attributes, kind, status, tracestate and dropped counts as the Collector does', () => {
    // Prepare
    const input = span({
      spanId: 'a',
      scope: { ...EMPTY_SCOPE, name: 'io.opentelemetry.http', version: '1.2.0' },
      attributes: { 'http.method': 'GET', 'http.status_code': 500 },
      kind: SpanKind.SERVER,
      status: { code: StatusCode.ERROR, message: 'boom' },
      traceState: 'ot=th:c',
      droppedAttributesCount: 2,
      droppedEventsCount: 3,
      droppedLinksCount: 4,
    });

    // Act
    const out = jaegerSpanOf(input, 'p1');

    // Assess
    expect(out.tags).toEqual([
      { key: 'otel.scope.name', type: 'string', value: 'io.opentelemetry.http' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.0' },
      { key: 'http.method', type: 'string', value: 'GET' },
      { key: 'http.status_code', type: 'int64', value: 500 },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'boom' },
      { key: 'w3c.tracestate', type: 'string', value: 'ot=th:c' },
      { key: 'otel.dropped_attributes_count', type: 'int64', value: 2 },
      { key: 'otel.dropped_events_count', type: 'int64', value: 3 },
      { key: 'otel.dropped_links_count', type: 'int64', value: 4 },
    ]);
  });
});

describe('times, flags and events', () => {
  it('truncates to microseconds', () => {
    // Prepare
    const input = span({ spanId: 'a', startTimeUnixNano: 1_999n, endTimeUnixNano: 4_998n });

    // Act
    const out = jaegerSpanOf(input, 'p1');

    // Assess
    expect({ startTime: out.startTime, duration: out.duration }).toEqual({ startTime: 1, duration: 2 });
  });

  it('gives a span that ends before it starts a duration of 0', () => {
    // Prepare
    const input = span({ spanId: 'a', startTimeUnixNano: START_NS, endTimeUnixNano: START_NS - 5_000n });

    // Act
    const out = jaegerSpanOf(input, 'p1');

    // Assess
    expect(out.duration).toBe(0);
  });

  it.each([
    [0x01, { flags: 1 }],
    [0x301, { flags: 1 }],
    [0x00, {}],
    [0x300, {}],
  ])('writes W3C flags %i as Jaeger flags %j', (flags, expected) => {
    // Act
    const out = jaegerSpanOf(span({ spanId: 'a', flags }), 'p1');

    // Assess
    expect('flags' in out ? { flags: out.flags } : {}).toEqual(expected);
  });

  it('writes events as logs, the name as an event field first', () => {
    // Prepare
    const event = (name: string, attributes: SpanEvent['attributes']): SpanEvent => ({
      timeUnixNano: START_NS + 1_500n,
      name,
      attributes,
      droppedAttributesCount: 0,
    });
    const input = span({
      spanId: 'a',
      events: [
        event('exception', { 'exception.type': 'Boom' }),
        event('', { x: 'y' }),
        event('n', { event: 'e' }),
      ],
    });

    // Act
    const out = jaegerSpanOf(input, 'p1');

    // Assess
    const at = 1_485_467_191_639_876;
    expect(out.logs).toEqual([
      {
        timestamp: at,
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.type', type: 'string', value: 'Boom' },
        ],
      },
      { timestamp: at, fields: [{ key: 'x', type: 'string', value: 'y' }] },
      { timestamp: at, fields: [{ key: 'event', type: 'string', value: 'e' }] },
    ]);
  });
});

describe('processes', () => {
  it('keys processes in order of first use, one per service name and tags', () => {
    // Prepare
    const frontendAgain = makeResource({ 'service.name': 'frontend', 'host.name': 'web-1' });
    const otherHost = makeResource({ 'service.name': 'frontend', 'host.name': 'web-2' });
    const checkout = makeResource({ 'service.name': 'checkout' });
    const spans = [
      span({ spanId: ROOT, resource: checkout }),
      span({ spanId: 'b1', resource: FRONTEND }),
      span({ spanId: 'b2', resource: frontendAgain }),
      span({ spanId: 'b3', resource: otherHost }),
      span({ spanId: 'b4', resource: checkout }),
    ];

    // Act
    const trace = jaegerTraceOf({ spans, summary: SUMMARY }) as JaegerTrace;

    // Assess
    expect(trace.spans.map((s) => s.processID)).toEqual(['p1', 'p2', 'p2', 'p3', 'p1']);
    expect(trace.processes).toEqual({
      p1: { serviceName: 'checkout', tags: [] },
      p2: { serviceName: 'frontend', tags: [{ key: 'host.name', type: 'string', value: 'web-1' }] },
      p3: { serviceName: 'frontend', tags: [{ key: 'host.name', type: 'string', value: 'web-2' }] },
    });
  });

  it('names a resource without service.name as the span model does', () => {
    // Prepare
    const spans = [span({ spanId: ROOT, resource: makeResource({ 'host.name': 'h' }) })];

    // Act
    const trace = jaegerTraceOf({ spans, summary: SUMMARY }) as JaegerTrace;

    // Assess
    expect(trace.processes.p1?.serviceName).toBe('unknown_service');
  });
});

describe('jaegerTraceOf', () => {
  const samplingTags: JaegerTag[] = [
    { key: SAMPLING_TAGS.policy, type: 'string', value: 'baseline' },
    { key: SAMPLING_TAGS.probability, type: 'float64', value: 0.25 },
    { key: SAMPLING_TAGS.adjustedCount, type: 'float64', value: 4 },
    { key: SAMPLING_TAGS.threshold, type: 'string', value: 'c' },
    { key: SAMPLING_TAGS.reason, type: 'string', value: 'consistent probability 0.25' },
  ];

  it('puts the root span first with the sampling tags, and only there', () => {
    // Prepare
    const spans = [
      span({ spanId: 'b1', parentSpanId: ROOT, attributes: { a: 1 } }),
      span({ spanId: ROOT, attributes: { a: 2 } }),
      span({ spanId: 'b2', parentSpanId: ROOT }),
    ];

    // Act
    const trace = jaegerTraceOf({ spans, summary: SUMMARY }) as JaegerTrace;

    // Assess
    expect(trace.spans.map((s) => s.spanID)).toEqual([ROOT, 'b1', 'b2']);
    expect(trace.spans[0]?.tags).toEqual([{ key: 'a', type: 'int64', value: 2 }, ...samplingTags]);
    expect(trace.spans.slice(1).flatMap((s) => tagKeys(s.tags))).toEqual(['a']);
  });

  it('leaves out an empty threshold and reason', () => {
    // Prepare
    const summary = { ...SUMMARY, probability: 1, adjustedCount: 1, threshold: '', reason: '' };

    // Act
    const trace = jaegerTraceOf({ spans: [span({ spanId: ROOT })], summary }) as JaegerTrace;

    // Assess
    expect(trace.spans[0]?.tags).toEqual([
      { key: SAMPLING_TAGS.policy, type: 'string', value: 'baseline' },
      { key: SAMPLING_TAGS.probability, type: 'float64', value: 1 },
      { key: SAMPLING_TAGS.adjustedCount, type: 'float64', value: 1 },
    ]);
  });

  it('adds no sampling tags when the root is not among the spans', () => {
    // Prepare
    const spans = [span({ spanId: 'b1', parentSpanId: ROOT }), span({ spanId: 'b2', parentSpanId: ROOT })];

    // Act
    const trace = jaegerTraceOf({ spans, summary: SUMMARY }) as JaegerTrace;

    // Assess
    expect(trace.spans.map((s) => s.spanID)).toEqual(['b1', 'b2']);
    expect(trace.spans.flatMap((s) => tagKeys(s.tags))).toEqual([]);
  });

  it('has no Jaeger form for a trace without spans', () => {
    // Act
    const trace = jaegerTraceOf({ spans: [], summary: SUMMARY });

    // Assess
    expect(trace).toBeUndefined();
  });
});

describe("Jaeger's own fixture", () => {
  // jaegertracing/jaeger internal/uimodel/converter/v1/json/fixtures/ui_01.json; see fixtures/README.md.
  const fixture = JSON.parse(readFileSync(new URL('fixtures/ui_01.json', import.meta.url), 'utf8'));
  const traceId = '00000000000000000000000000000001';
  const serviceX = makeResource({ 'service.name': 'service-x' });
  const serviceY = makeResource({ 'service.name': 'service-y' });
  const at = START_NS;
  const event = (name: string, attributes: SpanEvent['attributes']): SpanEvent => ({
    timeUnixNano: at,
    name,
    attributes,
    droppedAttributesCount: 0,
  });
  // The OTLP spans whose Jaeger form the fixture's first three spans are.
  const spans = [
    span({
      traceId,
      spanId: '0000000000000002',
      name: 'test-general-conversion',
      events: [event('some-event', {}), event('', { x: 'y' })],
      resource: serviceX,
    }),
    span({
      traceId,
      spanId: '0000000000000002',
      name: 'some-operation',
      attributes: {
        'peer.service': 'service-y',
        'peer.ipv4': 23456,
        error: true,
        temperature: 72.5,
        javascript_limit: 9_223_372_036_854_775_222n,
        blob: Uint8Array.of(0, 0, 0x30, 0x39),
      },
      resource: serviceX,
    }),
    span({
      traceId,
      spanId: '0000000000000003',
      parentSpanId: '0000000000000002',
      name: 'some-operation',
      resource: serviceY,
    }),
  ];

  it('translates to the same JSON as Jaeger writes', () => {
    // Act
    const trace = jaegerTraceOf({ spans, summary: { ...SUMMARY, rootSpanId: 'none' } });

    // Assess
    expect(JSON.parse(JSON.stringify(trace))).toEqual({
      ...fixture,
      spans: fixture.spans.slice(0, 3),
      warnings: null,
    });
  });

  it('writes every span with the members and value types of the fixture', () => {
    // Prepare
    const shape = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.slice(0, 1).map(shape)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'value' ? 'any' : shape(v)]))
          : typeof value;
    const trace = jaegerTraceOf({
      spans: [spans[1], spans[2]].flatMap((s) => (s ? [s] : [])),
      summary: SUMMARY,
    });

    // Act
    const written = JSON.parse(JSON.stringify(trace));

    // Assess
    expect(shape(written.spans[1])).toEqual(shape(fixture.spans[2]));
    expect(Object.keys(written).sort()).toEqual(Object.keys(fixture).sort());
  });
});
