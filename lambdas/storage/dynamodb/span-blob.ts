/**
 * Spans as stored in DynamoDB: an OTLP protobuf TracesData (the shared encoder and decoder, so
 * nothing of a span is lost and any OTLP tool can read a blob once decompressed), compressed with
 * zstd and a dictionary of OpenTelemetry vocabulary (span-blob-dictionary.ts).
 */
import { constants as zlibConstants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { decodeTraceRequest, encodeTraceRequest } from '../../shared/otlp/index.ts';
import type { Span } from '../../shared/span/model.ts';
import { StorageError } from '../errors.ts';
import { SPAN_BLOB_DICTIONARY_V1 } from './span-blob-dictionary.ts';

/** Codec name stored beside every blob. */
export const SPAN_BLOB_CODEC = 'otlp+zstd:d1';

const DICTIONARY = Buffer.from(SPAN_BLOB_DICTIONARY_V1, 'utf8');

/**
 * zstd level 9: on blobs of a few KB it is as fast as level 3 here and ~5% smaller, and every
 * byte saved below a 1 KB boundary is a write unit saved (bench/storage.ts).
 */
const LEVEL = 9;

/** Largest decompressed blob accepted: far above any chunk (they are cut below 350 KB compressed). */
const MAX_DECOMPRESSED = 64 * 1024 * 1024;

assertDictionarySupport();

/** A blob and the OTLP protobuf bytes it holds (the measure of maxBytesPerTrace). */
export interface SpanBlob {
  readonly blob: Uint8Array;
  readonly protobufBytes: number;
}

export function encodedSpanBlob(spans: readonly Span[]): SpanBlob {
  const protobuf = encodeTraceRequest(spans);
  const compressed = zstdCompressSync(protobuf, {
    params: { [zlibConstants.ZSTD_c_compressionLevel]: LEVEL },
    pledgedSrcSize: protobuf.length,
    dictionary: DICTIONARY,
  });
  return {
    blob: new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength),
    protobufBytes: protobuf.length,
  };
}

/** OTLP protobuf bytes of spans, as a blob of them holds. */
export function spansProtobufBytes(spans: readonly Span[]): number {
  return encodeTraceRequest(spans).length;
}

export function decodeSpanBlob(blob: Uint8Array, codec: string): Span[] {
  if (codec !== SPAN_BLOB_CODEC) throw new StorageError(`unknown span blob codec "${codec}"`);
  const protobuf = zstdDecompressSync(blob, { dictionary: DICTIONARY, maxOutputLength: MAX_DECOMPRESSED });
  return decodeTraceRequest(new Uint8Array(protobuf.buffer, protobuf.byteOffset, protobuf.byteLength));
}

/**
 * zstd dictionaries arrived in Node 24.6 (zlib `dictionary` option); an older runtime would ignore
 * the option and write blobs that the codec name says need it. Fail at load instead.
 */
function assertDictionarySupport(): void {
  const probe = Buffer.from('service.name telemetry.sdk.language http.request.method', 'utf8');
  const withDictionary = zstdCompressSync(probe, { dictionary: DICTIONARY });
  const without = zstdCompressSync(probe);
  if (withDictionary.length >= without.length) {
    throw new StorageError(
      `this Node.js (${process.version}) ignores zstd dictionaries; tracesift storage needs Node >= 24.6`,
    );
  }
}
