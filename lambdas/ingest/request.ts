/**
 * HTTP-level checks of an OTLP/HTTP export request: method, content type, content encoding, size
 * limits before and after decompression. Produces the decompressed body or an IngestError.
 */
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import type { IngestConfig } from '../shared/config/schema.ts';
import {
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.ts';

export type BodyFormat = 'protobuf' | 'json';

export interface HttpRequest {
  readonly method: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface ExportRequest {
  readonly format: BodyFormat;
  /** The decompressed body. */
  readonly body: Uint8Array;
  /** Size as received, before decompression. */
  readonly wireBytes: number;
}

/** The response format for a request: its own when known, JSON otherwise (e.g. for a 415). */
export function responseFormatOf(headers: HttpRequest['headers']): BodyFormat {
  return mediaTypeOf(headers['content-type']) === 'protobuf' ? 'protobuf' : 'json';
}

function mediaTypeOf(contentType: string | undefined): BodyFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

type Decompressor = (body: Uint8Array, options: { maxOutputLength: number }) => Buffer;

// The OTLP spec names gzip; the Collector's receiver also takes these, so exporters configured for
// it keep working when pointed here.
const DECOMPRESSORS: Record<string, Decompressor | undefined> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  zstd: zstdDecompressSync,
  br: brotliDecompressSync,
};

export function readExportRequest(request: HttpRequest, limits: IngestConfig): ExportRequest {
  if (request.method.toUpperCase() !== 'POST') throw new MethodNotAllowedError(request.method);
  const format = mediaTypeOf(request.headers['content-type']);
  if (!format) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; ` +
        'send application/x-protobuf or application/json',
    );
  }
  if (request.body.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `request body of ${request.body.length} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`,
    );
  }
  const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') {
    return { format, body: request.body, wireBytes: request.body.length };
  }
  const decompress = DECOMPRESSORS[encoding];
  if (!decompress) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Encoding ${JSON.stringify(encoding)}; send gzip or no encoding`,
    );
  }
  let body: Buffer;
  try {
    body = decompress(request.body, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(
        `request body decompresses to more than the limit of ${limits.maxDecompressedBytes} bytes`,
      );
    }
    throw new MalformedRequestError(`body is not valid ${encoding} data: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    format,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    wireBytes: request.body.length,
  };
}
