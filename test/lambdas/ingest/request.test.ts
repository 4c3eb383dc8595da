import { deflateRawSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../../lambdas/ingest/errors.ts';
import {
  looksGzipped,
  looksZlibWrapped,
  protocolOf,
  readExportRequest,
  responseFormatOf,
} from '../../../lambdas/ingest/request.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { jsonBody, protobufBody, sdkSpans } from '../../support/otel-sdk.ts';

const limits = parseConfig({ ingest: { maxBodyBytes: 1000, maxDecompressedBytes: 4000 } }).ingest;
const body = new TextEncoder().encode('{"resourceSpans":[]}');
const post = (headers: Record<string, string>, payload: Uint8Array = body) => ({
  method: 'POST',
  headers,
  body: payload,
});

describe('readExportRequest', () => {
  const accepted: Array<[string, Record<string, string>, Uint8Array, string]> = [
    ['protobuf', { 'content-type': 'application/x-protobuf' }, body, 'protobuf'],
    ['protobuf (application/protobuf)', { 'content-type': 'application/protobuf' }, body, 'protobuf'],
    ['JSON with a charset', { 'content-type': 'application/json; charset=utf-8' }, body, 'json'],
    ['gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(body), 'json'],
    [
      'zstd',
      { 'content-type': 'application/json', 'content-encoding': 'zstd' },
      zstdCompressSync(body),
      'json',
    ],
    ['identity', { 'content-type': 'application/json', 'content-encoding': 'identity' }, body, 'json'],
  ];
  it.each(accepted)('accepts %s', (_, headers, payload, format) => {
    const request = readExportRequest(post(headers, payload), limits);
    expect(request.format).toBe(format);
    expect(Buffer.from(request.body).equals(Buffer.from(body))).toBe(true);
    expect(request.wireBytes).toBe(payload.length);
  });

  it('accepts a body exactly at the size limit', () => {
    const exact = new Uint8Array(limits.maxBodyBytes);
    expect(
      readExportRequest(post({ 'content-type': 'application/x-protobuf' }, exact), limits).body,
    ).toHaveLength(1000);
  });

  it('accepts a body that decompresses to exactly the limit', () => {
    const gz = gzipSync(new Uint8Array(limits.maxDecompressedBytes));
    const request = readExportRequest(
      post({ 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, gz),
      limits,
    );
    expect(request.body).toHaveLength(limits.maxDecompressedBytes);
  });

  const refused: Array<
    [
      string,
      { method: string; headers: Record<string, string>; body: Uint8Array },
      new (...a: never[]) => Error,
      RegExp,
    ]
  > = [
    ['GET', { method: 'GET', headers: {}, body }, MethodNotAllowedError, /method GET is not allowed/],
    [
      'text/plain',
      post({ 'content-type': 'text/plain' }),
      UnsupportedMediaTypeError,
      /unsupported Content-Type "text\/plain"/,
    ],
    ['no content type', post({}), UnsupportedMediaTypeError, /unsupported Content-Type ""/],
    [
      'an unknown encoding',
      post({ 'content-type': 'application/json', 'content-encoding': 'lzma' }),
      UnsupportedMediaTypeError,
      /Content-Encoding "lzma"/,
    ],
    [
      'a body one byte over the limit',
      post({ 'content-type': 'application/json' }, new Uint8Array(1001)),
      PayloadTooLargeError,
      /1001 bytes exceeds the limit of 1000/,
    ],
    [
      'a gzip bomb',
      post(
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(new Uint8Array(4001)),
      ),
      PayloadTooLargeError,
      /decompresses to more than the limit of 4000/,
    ],
    [
      'truncated gzip',
      post(
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(body).subarray(0, 12),
      ),
      MalformedRequestError,
      /not valid gzip data/,
    ],
    [
      'truncated deflate',
      post(
        { 'content-type': 'application/json', 'content-encoding': 'deflate' },
        deflateSync(body).subarray(0, 4),
      ),
      MalformedRequestError,
      /not valid deflate data/,
    ],
    [
      'a plain body over the limit under a gzip header (as API Gateway delivers it)',
      post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, new Uint8Array(1001)),
      PayloadTooLargeError,
      /1001 bytes exceeds the limit of 1000/,
    ],
  ];
  it.each(refused)('refuses %s', (_, request, type, message) => {
    expect(() => readExportRequest(request, limits)).toThrow(type);
    expect(() => readExportRequest(request, limits)).toThrow(message);
  });

  it('answers in protobuf only when the request was protobuf', () => {
    expect(responseFormatOf({ 'content-type': 'application/x-protobuf' })).toBe('protobuf');
    expect(responseFormatOf({ 'content-type': 'application/json' })).toBe('json');
    expect(responseFormatOf({ 'content-type': 'text/plain' })).toBe('json');
  });
});

const spans = await sdkSpans(1);
const exports = [
  { format: 'protobuf', contentType: 'application/x-protobuf', plain: protobufBody(spans) },
  { format: 'json', contentType: 'application/json', plain: jsonBody(spans) },
] as const;
const shapes = [
  { shape: 'gzip header, gzip bytes (sent directly)', encoding: 'gzip', compress: gzipSync },
  { shape: 'gzip header, plain bytes (inflated by API Gateway)', encoding: 'gzip', compress: undefined },
  { shape: 'x-gzip header, plain bytes', encoding: 'x-gzip', compress: undefined },
  { shape: 'deflate header, zlib bytes (sent directly)', encoding: 'deflate', compress: deflateSync },
  {
    shape: 'deflate header, plain bytes (inflated by API Gateway)',
    encoding: 'deflate',
    compress: undefined,
  },
] as const;
const cases = exports.flatMap((e) => shapes.map((s) => ({ ...e, ...s })));

describe('readExportRequest decides by the bytes whether a gzip or deflate body is compressed', () => {
  const roomy = parseConfig({}).ingest;

  it.each(cases)('reads $format with $shape', ({ contentType, encoding, compress, plain, format }) => {
    // Prepare
    const sent = compress ? compress(plain) : plain;

    // Act
    const request = readExportRequest(
      post({ 'content-type': contentType, 'content-encoding': encoding }, sent),
      roomy,
    );

    // Assess
    expect(request.format).toBe(format);
    expect(Buffer.from(request.body).equals(Buffer.from(plain))).toBe(true);
    expect(request.wireBytes).toBe(sent.length);
  });

  it('takes raw deflate (no zlib header) as identity, so it fails to decode rather than inflate', () => {
    // Prepare
    const raw = deflateRawSync(body);

    // Act
    const request = readExportRequest(
      post({ 'content-type': 'application/json', 'content-encoding': 'deflate' }, raw),
      limits,
    );

    // Assess
    expect(Buffer.from(request.body).equals(raw)).toBe(true);
  });
});

describe('compressed-body detection', () => {
  it.each([
    ['gzip', gzipSync(body), true, false],
    ...[0, 1, 6, 9].map(
      (level) => [`zlib level ${level}`, deflateSync(body, { level }), false, true] as const,
    ),
    ...[8, 9, 12, 15].map(
      (windowBits) => [`zlib window ${windowBits}`, deflateSync(body, { windowBits }), false, true] as const,
    ),
    ['an OTLP protobuf body', protobufBody(spans), false, false],
    ['an OTLP JSON body', jsonBody(spans), false, false],
    ['JSON after whitespace', Buffer.from(' \n\t\r{}'), false, false],
    ['an empty body', new Uint8Array(), false, false],
    ['one byte', Uint8Array.of(0x1f), false, false],
    ['zlib method without the check bits', Uint8Array.of(0x78, 0x00), false, false],
    ['raw deflate', deflateRawSync(body), false, false],
  ] as const)('recognises %s (gzip %s, zlib %s)', (_, bytes, gzip, zlib) => {
    expect([looksGzipped(bytes), looksZlibWrapped(bytes)]).toEqual([gzip, zlib]);
  });

  it('never takes a protobuf or JSON first byte for a zlib header', () => {
    // Protobuf's only top-level field (1, length-delimited) is 0x0a; JSON starts with { [ or whitespace.
    for (const first of [0x0a, 0x7b, 0x5b, 0x20, 0x09, 0x0d]) {
      for (let second = 0; second < 256; second++) {
        expect(looksZlibWrapped(Uint8Array.of(first, second))).toBe(false);
      }
    }
  });
});

describe('readExportRequest: the lower size limit for JSON', () => {
  const jsonLimits = parseConfig({
    ingest: { maxBodyBytes: 1000, maxDecompressedBytes: 4000, maxDecompressedJsonBytes: 2000 },
  }).ingest;
  const JSON_HEADERS = { 'content-type': 'application/json' };
  const GZIP_JSON = { ...JSON_HEADERS, 'content-encoding': 'gzip' };
  const GZIP_PROTOBUF = { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' };

  it.each([
    ['JSON at the JSON limit', GZIP_JSON, 2000, 'json'],
    ['protobuf beyond the JSON limit, within its own', GZIP_PROTOBUF, 4000, 'protobuf'],
  ])('accepts %s', (_, headers, size, format) => {
    const request = readExportRequest(post(headers, gzipSync(new Uint8Array(size))), jsonLimits);
    expect(request.format).toBe(format);
    expect(request.body).toHaveLength(size);
  });

  it.each([
    ['gzip JSON one byte over the JSON limit', GZIP_JSON, 2001, /more than the limit of 2000 bytes/],
    ['gzip JSON far over it (a bomb)', GZIP_JSON, 200_000, /more than the limit of 2000 bytes/],
  ])('refuses %s with 413', (_, headers, size, message) => {
    const gz = gzipSync(new Uint8Array(size));
    expect(() => readExportRequest(post(headers, gz), jsonLimits)).toThrow(PayloadTooLargeError);
    expect(() => readExportRequest(post(headers, gz), jsonLimits)).toThrow(message);
  });

  it('refuses an identity JSON body over the JSON limit when the body limit is higher', () => {
    const wide = parseConfig({ ingest: { maxBodyBytes: 4000, maxDecompressedJsonBytes: 2000 } }).ingest;
    const payload = new Uint8Array(2001).fill(0x20);
    expect(() => readExportRequest(post(JSON_HEADERS, payload), wide)).toThrow(
      /JSON body of 2001 bytes exceeds the JSON limit of 2000 bytes/,
    );
  });

  it('applies the protobuf limit to JSON when it is the lower one', () => {
    const low = parseConfig({ ingest: { maxDecompressedBytes: 1500 } }).ingest;
    const gz = gzipSync(new Uint8Array(1501));
    expect(() => readExportRequest(post(GZIP_JSON, gz), low)).toThrow(/more than the limit of 1500 bytes/);
  });

  it('refuses a JSON limit that is not a positive integer, naming the key', () => {
    expect(() => parseConfig({ ingest: { maxDecompressedJsonBytes: 0 } })).toThrow(
      /ingest\.maxDecompressedJsonBytes/,
    );
  });
});

describe('readExportRequest on the Zipkin route', () => {
  const spans = new TextEncoder().encode('[]');
  const jsonLimits = parseConfig({
    ingest: { maxBodyBytes: 1000, maxDecompressedBytes: 4000, maxDecompressedJsonBytes: 2000 },
  }).ingest;

  it.each([
    ['/api/v2/spans', 'zipkin'],
    ['/v1/traces', 'otlp'],
    [undefined, 'otlp'],
    ['/api/v2/spans/', 'otlp'],
  ])('takes the route %s for %s', (path, protocol) => {
    expect(protocolOf({ path })).toBe(protocol);
  });

  it.each([
    ['application/json', { 'content-type': 'application/json' }, spans],
    ['JSON with a charset', { 'content-type': 'application/json; charset=utf-8' }, spans],
    ['gzip JSON', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(spans)],
  ])('reads %s as a Zipkin span list', (_, headers, payload) => {
    // Act
    const request = readExportRequest(post(headers, payload), limits, 'zipkin');

    // Assess
    expect(request.format).toBe('zipkin');
    expect(Buffer.from(request.body).toString()).toBe('[]');
  });

  it.each([
    ['protobuf (Zipkin proto3)', post({ 'content-type': 'application/x-protobuf' }, spans)],
    ['text/plain', post({ 'content-type': 'text/plain' }, spans)],
    ['no content type', post({}, spans)],
  ])('refuses %s with 415 naming application/json', (_, request) => {
    expect(() => readExportRequest(request, limits, 'zipkin')).toThrow(UnsupportedMediaTypeError);
    expect(() => readExportRequest(request, limits, 'zipkin')).toThrow(
      /; send Zipkin v2 spans as application\/json$/,
    );
  });

  it('refuses other methods with 405 naming Zipkin span reports', () => {
    const get = { method: 'GET', headers: { 'content-type': 'application/json' }, body: spans };
    expect(() => readExportRequest(get, limits, 'zipkin')).toThrow(MethodNotAllowedError);
    expect(() => readExportRequest(get, limits, 'zipkin')).toThrow(
      'method GET is not allowed; Zipkin span reports use POST',
    );
  });

  it('holds Zipkin JSON to the JSON limit, without advising protobuf', () => {
    // Prepare
    const gz = gzipSync(new Uint8Array(2001));
    const wide = parseConfig({ ingest: { maxBodyBytes: 4000, maxDecompressedJsonBytes: 2000 } }).ingest;
    const identity = post({ 'content-type': 'application/json' }, new Uint8Array(2001).fill(0x20));

    // Act, Assess
    expect(() =>
      readExportRequest(
        post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gz),
        jsonLimits,
        'zipkin',
      ),
    ).toThrow(/more than the limit of 2000 bytes/);
    expect(() => readExportRequest(identity, wide, 'zipkin')).toThrow(
      'JSON body of 2001 bytes exceeds the JSON limit of 2000 bytes; send smaller batches',
    );
  });
});
