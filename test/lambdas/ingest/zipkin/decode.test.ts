import { describe, expect, it } from 'vitest';
import { decodeZipkinJson } from '../../../../lambdas/ingest/zipkin/decode.ts';
import {
  ZipkinJsonError,
  ZipkinSpanCountError,
  ZipkinSpanError,
} from '../../../../lambdas/ingest/zipkin/errors.ts';

const GOOD = {
  traceId: '463ac35c9f6413ad48485a3953bb6124',
  id: 'a2fb4a1d1a96d312',
  name: 'get /api',
  timestamp: 1_700_000_000_123_456,
  duration: 1_500,
  localEndpoint: { serviceName: 'frontend' },
};

const bodyOf = (...spans: unknown[]): string => JSON.stringify(spans);

describe('decodeZipkinJson: the body', () => {
  it.each([
    ['not JSON', '[{"traceId":', ZipkinJsonError, /body is not valid JSON/],
    [
      'an object, not a list',
      '{"spans":[]}',
      ZipkinJsonError,
      /must be a JSON list of Zipkin v2 spans, got an object/,
    ],
    ['null', 'null', ZipkinJsonError, /got null/],
  ])('refuses a body that is %s', (_, text, type, message) => {
    expect(() => decodeZipkinJson(text)).toThrow(type);
    expect(() => decodeZipkinJson(text)).toThrow(message);
  });

  it('reads an empty list as no spans', () => {
    expect(decodeZipkinJson('[]')).toEqual([]);
  });

  it('counts the spans against the limit before reading any', () => {
    // Prepare: three spans, the last not even a span.
    const text = bodyOf(GOOD, GOOD, 'not a span');

    // Act
    const refuse = () => decodeZipkinJson(text, { maxSpans: 2 });

    // Assess
    expect(refuse).toThrow(ZipkinSpanCountError);
    expect(refuse).toThrow('request holds 3 spans, more than the limit of 2');
    expect(decodeZipkinJson(bodyOf(GOOD, GOOD), { maxSpans: 2 })).toHaveLength(2);
  });
});

describe('decodeZipkinJson: a valid span', () => {
  it('reads every field of a full span', () => {
    // Prepare
    const span = {
      ...GOOD,
      parentId: '6B221D5BC9E6496C',
      kind: 'SERVER',
      debug: true,
      shared: true,
      localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', ipv6: '2001:db8::1', port: 8080 },
      remoteEndpoint: { serviceName: 'browser', ipv4: '192.168.1.9', port: 51234 },
      annotations: [{ timestamp: 1_700_000_000_123_999, value: 'wr' }],
      tags: { 'http.method': 'GET', 'http.path': '/api' },
      unknownField: { ignored: true },
    };

    // Act
    const [decoded] = decodeZipkinJson(bodyOf(span));

    // Assess
    expect(decoded).toEqual({
      traceId: '463ac35c9f6413ad48485a3953bb6124',
      id: 'a2fb4a1d1a96d312',
      parentId: '6b221d5bc9e6496c',
      name: 'get /api',
      kind: 'SERVER',
      timestamp: 1_700_000_000_123_456,
      duration: 1_500,
      debug: true,
      shared: true,
      localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1', ipv6: '2001:db8::1', port: 8080 },
      remoteEndpoint: { serviceName: 'browser', ipv4: '192.168.1.9', ipv6: '', port: 51234 },
      annotations: [{ timestamp: 1_700_000_000_123_999, value: 'wr' }],
      tags: { 'http.method': 'GET', 'http.path': '/api' },
    });
  });

  it.each([
    ['absent', { traceId: GOOD.traceId, id: GOOD.id }],
    [
      'null',
      {
        traceId: GOOD.traceId,
        id: GOOD.id,
        parentId: null,
        name: null,
        kind: null,
        timestamp: null,
        duration: null,
        debug: null,
        shared: null,
        localEndpoint: null,
        remoteEndpoint: null,
        annotations: null,
        tags: null,
        binaryAnnotations: null,
      },
    ],
  ])('gives optional fields that are %s their empty values', (_, span) => {
    expect(decodeZipkinJson(bodyOf(span))).toEqual([
      {
        traceId: GOOD.traceId,
        id: GOOD.id,
        parentId: '',
        name: '',
        kind: '',
        timestamp: 0,
        duration: 0,
        debug: false,
        shared: false,
        localEndpoint: undefined,
        remoteEndpoint: undefined,
        annotations: [],
        tags: {},
      },
    ]);
  });

  it.each([
    ['a 64-bit trace id', { traceId: '48485A3953BB6124' }, 'traceId', '48485a3953bb6124'],
    [
      'an upper-case 128-bit trace id',
      { traceId: '463AC35C9F6413AD48485A3953BB6124' },
      'traceId',
      GOOD.traceId,
    ],
    ['an upper-case span id', { id: 'A2FB4A1D1A96D312' }, 'id', 'a2fb4a1d1a96d312'],
    ['an empty parent id', { parentId: '' }, 'parentId', ''],
    [
      'an endpoint without a port',
      { localEndpoint: { serviceName: 'a' } },
      'localEndpoint',
      { serviceName: 'a', ipv4: '', ipv6: '', port: 0 },
    ],
    [
      'an IPv6 address in the ipv4 field',
      { localEndpoint: { ipv4: '::1' } },
      'localEndpoint',
      { serviceName: '', ipv4: '::1', ipv6: '', port: 0 },
    ],
    [
      'an annotation without a timestamp',
      { annotations: [{ value: 'cs' }] },
      'annotations',
      [{ timestamp: 0, value: 'cs' }],
    ],
  ])('reads %s', (_, change, field, expected) => {
    const [decoded] = decodeZipkinJson(bodyOf({ ...GOOD, ...change }));
    expect(decoded?.[field as keyof typeof decoded]).toEqual(expected);
  });

  it('keeps a tag named __proto__ as an ordinary tag', () => {
    // Prepare: JSON.parse makes `__proto__` an own key; copied naively it would replace a prototype.
    const text = `[{"traceId":"${GOOD.traceId}","id":"${GOOD.id}","tags":{"__proto__":"x","toString":"y"}}]`;

    // Act
    const [decoded] = decodeZipkinJson(text);

    // Assess
    expect(Object.entries(decoded?.tags ?? {})).toEqual([
      ['__proto__', 'x'],
      ['toString', 'y'],
    ]);
    expect(Object.getPrototypeOf(decoded?.tags)).toBeNull();
  });
});

describe('decodeZipkinJson: a bad span refuses the request, naming the span and the field', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['no trace id', { traceId: undefined }, 'traceId', /is required/],
    ['an empty trace id', { traceId: '' }, 'traceId', /is required/],
    [
      'a 15-hex trace id',
      { traceId: '8485a3953bb6124' },
      'traceId',
      /expected 16 or 32 hex characters, got "8485a3953bb6124"/,
    ],
    ['a 17-hex trace id', { traceId: '048485a3953bb6124' }, 'traceId', /expected 16 or 32 hex/],
    ['a 24-hex trace id', { traceId: '9f6413ad48485a3953bb6124' }, 'traceId', /expected 16 or 32 hex/],
    ['a 33-hex trace id', { traceId: `0${GOOD.traceId}` }, 'traceId', /expected 16 or 32 hex/],
    ['a trace id that is not hex', { traceId: 'g'.repeat(32) }, 'traceId', /expected 16 or 32 hex/],
    ['a numeric trace id', { traceId: 1234 }, 'traceId', /got number 1234/],
    ['a zero 64-bit trace id', { traceId: '0'.repeat(16) }, 'traceId', /must not be all zeros/],
    ['a zero 128-bit trace id', { traceId: '0'.repeat(32) }, 'traceId', /must not be all zeros/],
    ['no span id', { id: undefined }, 'id', /is required/],
    ['a 128-bit span id', { id: GOOD.traceId }, 'id', /expected 16 hex characters/],
    ['a short span id', { id: 'abc' }, 'id', /expected 16 hex characters, got "abc"/],
    ['a zero span id', { id: '0'.repeat(16) }, 'id', /must not be all zeros/],
    ['a short parent id', { parentId: 'abc' }, 'parentId', /expected 16 hex characters/],
    ['a numeric parent id', { parentId: 7 }, 'parentId', /expected 16 hex characters, got number 7/],
    ['a numeric name', { name: 42 }, 'name', /expected a string, got number 42/],
    ['a kind that is a list', { kind: ['CLIENT'] }, 'kind', /expected a string, got a list/],
    [
      'a negative timestamp',
      { timestamp: -1 },
      'timestamp',
      /non-negative integer number of microseconds, got number -1/,
    ],
    ['a fractional timestamp', { timestamp: 1_700_000_000_123_456.5 }, 'timestamp', /non-negative integer/],
    ['a timestamp as text', { timestamp: '1700000000123456' }, 'timestamp', /got "1700000000123456"/],
    ['a timestamp beyond 2^53', { timestamp: 2 ** 53 }, 'timestamp', /non-negative integer/],
    ['a negative duration', { duration: -5 }, 'duration', /non-negative integer/],
    ['debug as text', { debug: 'true' }, 'debug', /expected true or false, got "true"/],
    ['shared as a number', { shared: 1 }, 'shared', /expected true or false/],
    ['a local endpoint that is text', { localEndpoint: 'frontend' }, 'localEndpoint', /expected an object/],
    [
      'a numeric service name',
      { localEndpoint: { serviceName: 5 } },
      'localEndpoint.serviceName',
      /expected a string/,
    ],
    [
      'a negative port',
      { localEndpoint: { port: -1 } },
      'localEndpoint.port',
      /expected a port from 0 to 65535, got number -1/,
    ],
    [
      'a port over 65535',
      { remoteEndpoint: { port: 65_536 } },
      'remoteEndpoint.port',
      /expected a port from 0 to 65535/,
    ],
    ['a port as text', { remoteEndpoint: { port: '80' } }, 'remoteEndpoint.port', /got "80"/],
    [
      'an IPv4 address that does not parse',
      { localEndpoint: { ipv4: '10.0.0.256' } },
      'localEndpoint.ipv4',
      /expected an IP address, got "10.0.0.256"/,
    ],
    [
      'an IPv6 address that does not parse',
      { remoteEndpoint: { ipv6: '2001:db8:::1' } },
      'remoteEndpoint.ipv6',
      /expected an IP address/,
    ],
    ['annotations that are an object', { annotations: {} }, 'annotations', /expected a list, got an object/],
    ['an annotation that is text', { annotations: ['cs'] }, 'annotations[0]', /expected an object/],
    [
      'an annotation with a negative timestamp',
      {
        annotations: [
          { timestamp: 1, value: 'a' },
          { timestamp: -1, value: 'b' },
        ],
      },
      'annotations[1].timestamp',
      /non-negative integer/,
    ],
    [
      'an annotation with a numeric value',
      { annotations: [{ timestamp: 1, value: 2 }] },
      'annotations[0].value',
      /expected a string/,
    ],
    ['tags that are a list', { tags: [['a', 'b']] }, 'tags', /expected an object, got a list/],
    [
      'a numeric tag',
      { tags: { 'http.status_code': 200 } },
      'tags["http.status_code"]',
      /expected a string, got number 200/,
    ],
    ['a null tag', { tags: { a: null } }, 'tags["a"]', /expected a string, got null/],
    [
      'a Zipkin v1 span',
      { binaryAnnotations: [] },
      'binaryAnnotations',
      /Zipkin v1 field; this endpoint takes Zipkin v2 JSON/,
    ],
  ];

  it.each(cases)('%s', (_, change, field, problem) => {
    // Prepare: the bad span third in the list, after two good ones.
    const text = bodyOf(GOOD, GOOD, { ...GOOD, ...change });

    // Act
    let error: unknown;
    try {
      decodeZipkinJson(text);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ZipkinSpanError);
    const spanError = error as ZipkinSpanError;
    expect(spanError.index).toBe(2);
    expect(spanError.field).toBe(field);
    expect(spanError.problem).toMatch(problem);
    expect(spanError.message).toBe(`span 2: ${field}: ${spanError.problem}`);
  });

  it.each([
    ['null', null, /expected a span object, got null/],
    ['a list', [GOOD], /expected a span object, got a list/],
    ['text', 'span', /expected a span object, got "span"/],
  ])('refuses a list element that is %s', (_, element, message) => {
    expect(() => decodeZipkinJson(bodyOf(GOOD, element))).toThrow(ZipkinSpanError);
    expect(() => decodeZipkinJson(bodyOf(GOOD, element))).toThrow(message);
    expect(() => decodeZipkinJson(bodyOf(GOOD, element))).toThrow(/^span 1: expected/);
  });

  it('shortens long values in its messages', () => {
    const long = 'x'.repeat(1000);
    expect(() => decodeZipkinJson(bodyOf({ ...GOOD, id: long }))).toThrow(`got "${'x'.repeat(40)}…"`);
  });
});
