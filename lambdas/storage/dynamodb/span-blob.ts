/**
 * Spans as stored in DynamoDB, compressed with zstd and a dictionary of OpenTelemetry vocabulary
 * (span-blob-dictionary.ts). Two formats, told apart by the item (trace-items.ts):
 *  - version 2, written now: a version byte, then the zstd frame of the packed spans (span-pack.ts);
 *  - version 1, read only: the zstd frame of an OTLP protobuf TracesData, named by the item's
 *    `codec` attribute (SPAN_BLOB_CODEC_V1).
 */
import { constants as zlibConstants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { decodeTraceRequest, encodeTraceRequest } from '../../shared/otlp/index.ts';
import type { Resource, Span } from '../../shared/span/model.ts';
import { StorageError } from '../errors.ts';
import { SPAN_BLOB_DICTIONARY_V1 } from './span-blob-dictionary.ts';
import { type ExternalResource, packSpans, unpackSpans } from './span-pack.ts';

/** Codec name stored beside every version 1 blob. */
const SPAN_BLOB_CODEC_V1 = 'otlp+zstd:d1';

/** First byte of a version 2 blob (a zstd frame, which version 1 blobs are, starts with 0x28). */
export const SPAN_BLOB_VERSION = 2;

const DICTIONARY = Buffer.from(SPAN_BLOB_DICTIONARY_V1, 'utf8');

/**
 * zstd level 3: on the workload's packed blobs 5% larger than level 6 at half its time. Much of a
 * call is setting up its context, whose tables are sized here to the input instead of the level's
 * defaults, and its output buffer (16 KB by default): both are memory outside the heap that V8
 * answers with collections. Sized so, a call on the median blob took 24 µs instead of 42.
 */
const LEVEL = 3;

/** log2 of the zstd window, hash and chain tables for `bytes` of input after the dictionary. */
function tableLogOf(bytes: number): number {
  return Math.min(22, Math.max(12, Math.ceil(Math.log2(bytes + DICTIONARY.length + 1))));
}

/** Largest decompressed blob accepted: far above any chunk (they are cut below 350 KB compressed). */
const MAX_DECOMPRESSED = 64 * 1024 * 1024;

assertDictionarySupport();

/** A blob, the OTLP protobuf bytes its spans take (the measure of maxBytesPerTrace), the resources it names. */
export interface SpanBlob {
  readonly blob: Uint8Array;
  readonly protobufBytes: number;
  readonly resources: readonly ExternalResource[];
}

/** A version 2 blob of spans of trace `traceId` (which the blob leaves out, the item key holding it). */
export function encodedSpanBlob(traceId: string, spans: readonly Span[]): SpanBlob {
  const packed = packSpans(spans, traceId);
  const log = tableLogOf(packed.bytes.length);
  const compressed = zstdCompressSync(packed.bytes, {
    params: {
      [zlibConstants.ZSTD_c_compressionLevel]: LEVEL,
      [zlibConstants.ZSTD_c_windowLog]: log,
      [zlibConstants.ZSTD_c_hashLog]: log - 1,
      [zlibConstants.ZSTD_c_chainLog]: log - 1,
    },
    pledgedSrcSize: packed.bytes.length,
    // Room for all of it: a compressed blob outgrows its input by a frame header at most.
    chunkSize: packed.bytes.length + 64,
    dictionary: DICTIONARY,
  });
  // From Node's buffer pool: a typed array of its own per blob costs an allocation outside the heap.
  const blob = Buffer.allocUnsafe(compressed.length + 1);
  blob[0] = SPAN_BLOB_VERSION;
  blob.set(compressed, 1);
  return { blob, protobufBytes: packed.protobufBytes, resources: packed.resources };
}

/** OTLP protobuf bytes of spans, as a blob of them records. */
export function spansProtobufBytes(spans: readonly Span[]): number {
  return encodeTraceRequest(spans).length;
}

/**
 * The spans of a blob of trace `traceId`: version 1 when the item names `codec`, else version 2,
 * whose external resources are `resources` (in the order the blob's item lists them).
 */
export function decodeSpanBlob(
  blob: Uint8Array,
  traceId: string,
  codec: string | undefined,
  resources: readonly Resource[],
): Span[] {
  if (codec !== undefined) {
    if (codec !== SPAN_BLOB_CODEC_V1) throw new StorageError(`unknown span blob codec "${codec}"`);
    const protobuf = decompressed(blob);
    return decodeTraceRequest(new Uint8Array(protobuf.buffer, protobuf.byteOffset, protobuf.byteLength));
  }
  if (blob[0] !== SPAN_BLOB_VERSION) throw new StorageError(`unknown span blob version ${blob[0]}`);
  const packed = decompressed(blob.subarray(1));
  return unpackSpans(new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength), traceId, resources);
}

function decompressed(frame: Uint8Array): Buffer {
  return zstdDecompressSync(frame, { dictionary: DICTIONARY, maxOutputLength: MAX_DECOMPRESSED });
}

/**
 * zstd dictionaries arrived in Node 24.6 (zlib `dictionary` option); an older runtime would ignore
 * the option and write blobs that need it. Fail at load instead.
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
