/**
 * HTTP-level checks of an export request (OTLP/HTTP, or a Zipkin v2 span report): method, content
 * type, content encoding, size limits before and after decompression. Produces the decompressed
 * body or an IngestError.
 *
 * Behind API Gateway the body arrives already inflated when the client sent gzip or deflate, with
 * the Content-Encoding header still on the request; so gzip and deflate bodies are inflated only
 * when their bytes are compressed, and taken as they are otherwise.
 */
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import type { IngestConfig } from '../shared/config/index.ts';
import {
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.ts';

/** OTLP bodies (protobuf or JSON), or Zipkin v2 JSON (a list of spans). */
export type BodyFormat = 'protobuf' | 'json' | 'zipkin';

/** What a route speaks: OTLP/HTTP at /v1/traces, Zipkin's span reports at /api/v2/spans. */
export type Protocol = 'otlp' | 'zipkin';

/** Zipkin's span report resource (zipkin2-api.yaml), where Zipkin clients send by default. */
export const ZIPKIN_SPANS_PATH = '/api/v2/spans';

export interface HttpRequest {
  readonly method: string;
  /** The route's resource path (API Gateway's `resource`); OTLP when absent. */
  readonly path?: string | undefined;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface ExportRequest {
  readonly format: BodyFormat;
  /** The decompressed body. */
  readonly body: Uint8Array;
  /** Size as delivered to the function, before ingest's own decompression (if any). */
  readonly wireBytes: number;
}

/** The protocol of the route a request came in by. */
export function protocolOf(request: Pick<HttpRequest, 'path'>): Protocol {
  return request.path === ZIPKIN_SPANS_PATH ? 'zipkin' : 'otlp';
}

/** The OTLP response format for a request: its own when known, JSON otherwise (e.g. for a 415). */
export function responseFormatOf(headers: HttpRequest['headers']): 'protobuf' | 'json' {
  return mediaTypeOf(headers['content-type']) === 'protobuf' ? 'protobuf' : 'json';
}

function mediaTypeOf(contentType: string | undefined): 'protobuf' | 'json' | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

type Decompressor = (body: Uint8Array, options: { maxOutputLength: number }) => Buffer;

interface Coding {
  readonly decompress: Decompressor;
  /**
   * Whether the bytes are really in this coding. API Gateway (REST) inflates gzip and deflate
   * bodies before invoking the function but keeps the Content-Encoding header, so for those two
   * the bytes decide: what is not compressed is taken as it is (identity).
   */
  readonly matches: (body: Uint8Array) => boolean;
}

/** gzip magic number, RFC 1952. OTLP protobuf starts with 0x0a and JSON with text, never 1f 8b. */
export function looksGzipped(body: Uint8Array): boolean {
  return body[0] === 0x1f && body[1] === 0x8b;
}

/**
 * zlib header, RFC 1950: compression method 8 (deflate), window of at most 32 KiB, and the
 * header's check bits. HTTP's deflate coding is zlib (RFC 9110), which is what exporters send.
 * Raw deflate (no header) cannot be told from other bytes, so it is not recognised: such a body is
 * taken as identity and fails to decode (400). An OTLP protobuf body starts with 0x0a and JSON with
 * '{' or whitespace, whose low four bits are never 8, so neither is mistaken for zlib.
 */
export function looksZlibWrapped(body: Uint8Array): boolean {
  const cmf = body[0];
  const flg = body[1];
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

const always = (): boolean => true;

// The OTLP spec names gzip; the Collector's receiver also takes these, so exporters configured for
// it keep working when pointed here. zstd and br never reach the function through API Gateway
// (which only knows gzip and deflate); they serve local mode and direct invocation.
const CODINGS: Record<string, Coding | undefined> = {
  gzip: { decompress: gunzipSync, matches: looksGzipped },
  'x-gzip': { decompress: gunzipSync, matches: looksGzipped },
  deflate: { decompress: inflateSync, matches: looksZlibWrapped },
  zstd: { decompress: zstdDecompressSync, matches: always },
  br: { decompress: brotliDecompressSync, matches: always },
};

export function readExportRequest(
  request: HttpRequest,
  limits: IngestConfig,
  protocol: Protocol = 'otlp',
): ExportRequest {
  if (request.method.toUpperCase() !== 'POST') {
    throw new MethodNotAllowedError(
      request.method,
      protocol === 'zipkin' ? 'Zipkin span reports' : 'OTLP/HTTP exports',
    );
  }
  const format = formatOf(request.headers['content-type'], protocol);
  if (request.body.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `request body of ${request.body.length} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`,
    );
  }
  const json = format !== 'protobuf';
  const maxBytes = json
    ? Math.min(limits.maxDecompressedBytes, limits.maxDecompressedJsonBytes)
    : limits.maxDecompressedBytes;
  const body = decode(request.headers['content-encoding'], request.body, maxBytes);
  // JSON is parsed whole, so its limit holds for an identity body as well as a decompressed one.
  if (json && body.length > maxBytes) {
    const advice = protocol === 'zipkin' ? 'send smaller batches' : 'send protobuf or smaller batches';
    throw new PayloadTooLargeError(
      `JSON body of ${body.length} bytes exceeds the JSON limit of ${maxBytes} bytes; ${advice}`,
    );
  }
  return { format, body, wireBytes: request.body.length };
}

/** The body format a content type means on a route, or a 415 naming what the route takes. */
function formatOf(contentType: string | undefined, protocol: Protocol): BodyFormat {
  const mediaType = mediaTypeOf(contentType);
  const sent = JSON.stringify(contentType ?? '');
  if (protocol === 'zipkin') {
    // Zipkin clients (zipkin-transport-http, the OpenTelemetry Zipkin exporters) send JSON; Zipkin's
    // proto3 encoding is not read here.
    if (mediaType !== 'json') {
      throw new UnsupportedMediaTypeError(
        `unsupported Content-Type ${sent}; send Zipkin v2 spans as application/json`,
      );
    }
    return 'zipkin';
  }
  if (!mediaType) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Type ${sent}; send application/x-protobuf or application/json`,
    );
  }
  return mediaType;
}

/** The body in identity coding: decompressed when the header names a coding and the bytes are in it. */
function decode(header: string | undefined, body: Uint8Array, maxOutputLength: number): Uint8Array {
  const encoding = (header ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  const coding = CODINGS[encoding];
  if (!coding) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Encoding ${JSON.stringify(encoding)}; send gzip or no encoding`,
    );
  }
  if (!coding.matches(body)) return body;
  return decompress(coding.decompress, encoding, body, maxOutputLength);
}

function decompress(
  decompressor: Decompressor,
  encoding: string,
  body: Uint8Array,
  maxOutputLength: number,
): Uint8Array {
  let output: Buffer;
  try {
    output = decompressor(body, { maxOutputLength });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(
        `request body decompresses to more than the limit of ${maxOutputLength} bytes`,
      );
    }
    throw new MalformedRequestError(`body is not valid ${encoding} data: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
}
