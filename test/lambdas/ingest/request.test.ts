import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../../lambdas/ingest/errors.ts';
import { readExportRequest, responseFormatOf } from '../../../lambdas/ingest/request.ts';
import { parseConfig } from '../../../lambdas/shared/config/load.ts';

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
      'gzip header but garbage',
      post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, body),
      MalformedRequestError,
      /not valid gzip/,
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
