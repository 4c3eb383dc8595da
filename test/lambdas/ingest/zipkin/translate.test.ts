import { describe, expect, it } from 'vitest';
import { decodeZipkinJson } from '../../../../lambdas/ingest/zipkin/decode.ts';
import { translateZipkinSpans } from '../../../../lambdas/ingest/zipkin/translate.ts';
import { EMPTY_SCOPE, type Span, SpanKind, StatusCode } from '../../../../lambdas/shared/span/model.ts';

const BASE = {
  traceId: '463ac35c9f6413ad48485a3953bb6124',
  id: 'a2fb4a1d1a96d312',
  name: 'get /api',
  timestamp: 1_700_000_000_123_456,
  duration: 1_500,
  localEndpoint: { serviceName: 'frontend' },
};

/** Zipkin spans (the JSON a client sends) in the span model. */
function translated(...spans: object[]): Span[] {
  return translateZipkinSpans(decodeZipkinJson(JSON.stringify(spans)));
}

function one(change: object): Span {
  return translated({ ...BASE, ...change })[0] as Span;
}

/** A span's attributes as a plain object (they have no prototype). */
const attributesOf = (span: Span): Record<string, unknown> => ({ ...span.attributes });

describe('translateZipkinSpans: a plain span', () => {
  it('maps ids, name, times and the local service', () => {
    // Act
    const span = one({});

    // Assess
    expect(span).toMatchObject({
      traceId: '463ac35c9f6413ad48485a3953bb6124',
      spanId: 'a2fb4a1d1a96d312',
      parentSpanId: '',
      traceState: '',
      flags: 0,
      name: 'get /api',
      kind: SpanKind.UNSPECIFIED,
      startTimeUnixNano: 1_700_000_000_123_456_000n,
      endTimeUnixNano: 1_700_000_000_124_956_000n,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: StatusCode.UNSET, message: '' },
      scope: EMPTY_SCOPE,
    });
    expect(attributesOf(span)).toEqual({});
    expect(span.resource.serviceName).toBe('frontend');
    expect({ ...span.resource.attributes }).toEqual({ 'service.name': 'frontend' });
  });

  it('reads nothing into debug and shared', () => {
    expect(one({ debug: true, shared: true })).toEqual(one({}));
  });
});

describe('translateZipkinSpans: ids', () => {
  it.each([
    [
      'a 64-bit trace id left-padded to 128 bits',
      { traceId: '48485a3953bb6124' },
      'traceId',
      '000000000000000048485a3953bb6124',
    ],
    [
      'an upper-case trace id in lower case',
      { traceId: '463AC35C9F6413AD48485A3953BB6124' },
      'traceId',
      '463ac35c9f6413ad48485a3953bb6124',
    ],
    ['a parent id', { parentId: '6b221d5bc9e6496c' }, 'parentSpanId', '6b221d5bc9e6496c'],
    ['a parent equal to the span itself as a root', { parentId: 'A2FB4A1D1A96D312' }, 'parentSpanId', ''],
    ['a zero parent as a root', { parentId: '0000000000000000' }, 'parentSpanId', ''],
  ])('maps %s', (_, change, field, expected) => {
    expect(one(change)[field as keyof Span]).toBe(expected);
  });
});

describe('translateZipkinSpans: kind', () => {
  it.each([
    ['CLIENT', {}, SpanKind.CLIENT, {}],
    ['SERVER', {}, SpanKind.SERVER, {}],
    ['PRODUCER', {}, SpanKind.PRODUCER, {}],
    ['CONSUMER', {}, SpanKind.CONSUMER, {}],
    [undefined, {}, SpanKind.UNSPECIFIED, {}],
    ['client', {}, SpanKind.UNSPECIFIED, {}],
    [undefined, { 'span.kind': 'internal' }, SpanKind.INTERNAL, {}],
    // Without a Zipkin kind the tag is read (and gone) whatever it says.
    [undefined, { 'span.kind': 'server' }, SpanKind.UNSPECIFIED, {}],
    // With one, the tag is an ordinary attribute.
    ['CLIENT', { 'span.kind': 'internal' }, SpanKind.CLIENT, { 'span.kind': 'internal' }],
  ])('kind %s with tags %j', (kind, tags, expected, attributes) => {
    // Act
    const span = one({ kind, tags });

    // Assess
    expect(span.kind).toBe(expected);
    expect(attributesOf(span)).toEqual(attributes);
  });
});

describe('translateZipkinSpans: status', () => {
  it.each([
    [{ 'otel.status_code': 'STATUS_CODE_OK' }, StatusCode.OK, '', {}],
    [{ 'otel.status_code': 'Ok' }, StatusCode.OK, '', {}],
    [{ 'otel.status_code': 'OK' }, StatusCode.OK, '', {}],
    [{ 'otel.status_code': 'STATUS_CODE_ERROR' }, StatusCode.ERROR, '', {}],
    [{ 'otel.status_code': 'Error' }, StatusCode.ERROR, '', {}],
    // What the OpenTelemetry JS Zipkin exporter sends for an error without a description.
    [{ 'otel.status_code': 'ERROR' }, StatusCode.ERROR, '', {}],
    [{ 'otel.status_code': 'Unset' }, StatusCode.UNSET, '', {}],
    [{ 'otel.status_code': 'bogus' }, StatusCode.UNSET, '', {}],
    [
      { 'otel.status_code': 'Error', 'otel.status_description': 'card declined' },
      StatusCode.ERROR,
      'card declined',
      {},
    ],
    // A description without a code is an ordinary attribute.
    [
      { 'otel.status_description': 'card declined' },
      StatusCode.UNSET,
      '',
      { 'otel.status_description': 'card declined' },
    ],
    [{ error: 'true' }, StatusCode.ERROR, '', {}],
    // Any other error tag makes the status ERROR and stays an attribute.
    [{ error: 'card declined' }, StatusCode.ERROR, '', { error: 'card declined' }],
    [{ error: 'false' }, StatusCode.ERROR, '', { error: 'false' }],
    [{ 'otel.status_code': 'OK', error: 'true' }, StatusCode.ERROR, '', {}],
  ])('tags %j', (tags, code, message, attributes) => {
    // Act
    const span = one({ tags });

    // Assess
    expect(span.status).toEqual({ code, message });
    expect(attributesOf(span)).toEqual(attributes);
  });
});

describe('translateZipkinSpans: times and annotations', () => {
  it.each([
    ['no timestamp', { timestamp: undefined }, 0n, 1_500_000n, true],
    ['a zero timestamp', { timestamp: 0 }, 0n, 1_500_000n, true],
    ['no duration', { duration: undefined }, 1_700_000_000_123_456_000n, 1_700_000_000_123_456_000n, false],
    ['neither', { timestamp: undefined, duration: undefined }, 0n, 0n, true],
  ])('starts a span with %s as the Collector does', (_, change, start, end, absent) => {
    // Act
    const span = one(change);

    // Assess
    expect(span.startTimeUnixNano).toBe(start);
    expect(span.endTimeUnixNano).toBe(end);
    expect(attributesOf(span)).toEqual(absent ? { 'otel.zipkin.absentField.startTime': true } : {});
  });

  it('turns annotations into events, microseconds into nanoseconds', () => {
    // Act
    const span = one({
      annotations: [
        { timestamp: 1_700_000_000_123_500, value: 'wire send' },
        { timestamp: 1_700_000_000_124_000, value: '' },
      ],
    });

    // Assess
    expect(span.events.map((e) => ({ ...e, attributes: { ...e.attributes } }))).toEqual([
      {
        timeUnixNano: 1_700_000_000_123_500_000n,
        name: 'wire send',
        attributes: {},
        droppedAttributesCount: 0,
      },
      { timeUnixNano: 1_700_000_000_124_000_000n, name: '', attributes: {}, droppedAttributesCount: 0 },
    ]);
  });
});

describe('translateZipkinSpans: tags and endpoints', () => {
  it('keeps tags as string attributes and reads the trace state', () => {
    // Act
    const span = one({
      tags: { 'http.method': 'GET', 'http.status_code': '200', 'w3c.tracestate': 'vendor=x' },
    });

    // Assess
    expect(attributesOf(span)).toEqual({ 'http.method': 'GET', 'http.status_code': '200' });
    expect(span.traceState).toBe('vendor=x');
  });

  it('keeps a tag named __proto__ as an ordinary attribute', () => {
    // Prepare
    const text = `[{"traceId":"${BASE.traceId}","id":"${BASE.id}","timestamp":1,"tags":{"__proto__":"x"}}]`;

    // Act
    const [span] = translateZipkinSpans(decodeZipkinJson(text));

    // Assess
    expect(Object.entries(span?.attributes ?? {})).toEqual([['__proto__', 'x']]);
  });

  it.each([
    [
      'a local IPv4 address and port',
      { localEndpoint: { serviceName: 'a', ipv4: '10.0.0.1', port: 8080 } },
      { 'net.host.ip': '10.0.0.1', 'net.host.port': 8080 },
    ],
    [
      'a local IPv6 address over the IPv4 one',
      { localEndpoint: { ipv4: '10.0.0.1', ipv6: '2001:db8::1' } },
      { 'net.host.ip': '2001:db8::1' },
    ],
    ['a zero port as none', { localEndpoint: { serviceName: 'a', port: 0 } }, {}],
    [
      'the remote service as peer.service',
      { remoteEndpoint: { serviceName: 'db' } },
      { 'peer.service': 'db' },
    ],
    [
      'a remote address and port',
      { remoteEndpoint: { ipv4: '192.168.1.9', port: 5432 } },
      { 'net.peer.ip': '192.168.1.9', 'net.peer.port': 5432 },
    ],
    [
      'a remote IPv6 address over the IPv4 one',
      { remoteEndpoint: { ipv4: '192.168.1.9', ipv6: '::1' } },
      { 'net.peer.ip': '::1' },
    ],
    [
      'endpoint attributes over tags of the same name',
      { remoteEndpoint: { serviceName: 'db' }, tags: { 'peer.service': 'cache' } },
      { 'peer.service': 'db' },
    ],
  ])('maps %s', (_, change, attributes) => {
    expect(attributesOf(one(change))).toEqual(attributes);
  });
});

describe('translateZipkinSpans: resource', () => {
  it.each([
    ['no local endpoint', { localEndpoint: undefined }, {}],
    ['a local endpoint without a service', { localEndpoint: { ipv4: '10.0.0.1' } }, {}],
    ["the Collector's name for none", { localEndpoint: { serviceName: 'OTLPResourceNoServiceName' } }, {}],
    [
      'a service name source',
      { tags: { 'otlp.service.name.source': 'faas.name' } },
      { 'faas.name': 'frontend' },
    ],
    [
      'resource tags',
      {
        tags: {
          'telemetry.sdk.language': 'nodejs',
          'host.name': 'web-1',
          'process.pid': '42',
          'http.method': 'GET',
        },
      },
      {
        'service.name': 'frontend',
        'telemetry.sdk.language': 'nodejs',
        'host.name': 'web-1',
        'process.pid': '42',
      },
    ],
    [
      'a service.name tag over the local service',
      { tags: { 'service.name': 'web' } },
      { 'service.name': 'web' },
    ],
    [
      'resource tags without a local service',
      { localEndpoint: undefined, tags: { 'service.name': 'web', 'telemetry.sdk.name': 'opentelemetry' } },
      { 'service.name': 'web', 'telemetry.sdk.name': 'opentelemetry' },
    ],
  ])('builds the resource of %s', (_, change, expected) => {
    // Act
    const span = one(change);

    // Assess
    expect({ ...span.resource.attributes }).toEqual(expected);
    expect(Object.keys(span.attributes).filter((key) => key in expected)).toEqual([]);
  });

  it('names a resource without a service unknown_service', () => {
    expect(one({ localEndpoint: undefined }).resource.serviceName).toBe('unknown_service');
  });

  it('shares one resource among spans with the same service and resource tags, in any order', () => {
    // Prepare
    const web1 = { 'host.name': 'web-1', 'telemetry.sdk.language': 'go' };
    const web2 = { 'host.name': 'web-2', 'telemetry.sdk.language': 'go' };
    const id = (n: number) => `a2fb4a1d1a96d3${n.toString(16).padStart(2, '0')}`;

    // Act
    const [a, b, c, d, e, f] = translated(
      { ...BASE, id: id(1), tags: web1 },
      { ...BASE, id: id(2), tags: web1 },
      { ...BASE, id: id(3), tags: { 'telemetry.sdk.language': 'go', 'host.name': 'web-1' } },
      { ...BASE, id: id(4), tags: web2 },
      { ...BASE, id: id(5), tags: web2, localEndpoint: { serviceName: 'checkout' } },
      { ...BASE, id: id(6), tags: { ...web2, 'otlp.service.name.source': 'faas.name' } },
    ) as [Span, Span, Span, Span, Span, Span];

    // Assess
    expect(b.resource).toBe(a.resource);
    expect(c.resource).toBe(a.resource);
    expect(new Set([a, d, e, f].map((span) => span.resource)).size).toBe(4);
    expect(e.resource.serviceName).toBe('checkout');
    expect({ ...f.resource.attributes }).toEqual({ ...web2, 'faas.name': 'frontend' });
  });
});

describe('translateZipkinSpans: instrumentation scope', () => {
  it.each([
    ['otel.library.*', { 'otel.library.name': 'express', 'otel.library.version': '4.1' }, 'express', '4.1'],
    ['otel.scope.*', { 'otel.scope.name': 'net/http', 'otel.scope.version': '0.5' }, 'net/http', '0.5'],
    [
      'otel.scope.* before otel.library.*',
      {
        'otel.scope.name': 'net/http',
        'otel.scope.version': '0.5',
        'otel.library.name': 'old',
        'otel.library.version': '0.1',
      },
      'net/http',
      '0.5',
    ],
    ['a name alone', { 'otel.library.name': 'express' }, 'express', ''],
  ])('takes the scope from %s', (_, tags, name, version) => {
    // Act
    const span = one({ tags });

    // Assess
    expect(span.scope).toMatchObject({ name, version });
    expect(attributesOf(span)).toEqual({});
  });

  it('shares one scope among spans of the same scope', () => {
    // Act
    const [a, b, c] = translated(
      { ...BASE, tags: { 'otel.scope.name': 'express' } },
      { ...BASE, id: 'a2fb4a1d1a96d313', tags: { 'otel.library.name': 'express' } },
      { ...BASE, id: 'a2fb4a1d1a96d314' },
    ) as [Span, Span, Span];

    // Assess
    expect(b.scope).toBe(a.scope);
    expect(c.scope).toBe(EMPTY_SCOPE);
  });
});
