/**
 * The Kinesis record format shared by ingest (writer), the sampler (reader, and writer of deferred
 * and forwarded traces) and the fault tooling.
 *
 *   bytes 0-1  magic "TS"
 *   byte  2    format version (1)
 *   byte  3    payload codec (0 none, 1 zstd)
 *   varint     header length, then the header (protobuf, uncompressed, so that counting and
 *              routing never need to decompress)
 *   rest       payload: an OTLP ExportTraceServiceRequest (protobuf), compressed
 *
 * The payload is plain OTLP so that a record is readable by any OTLP tool once decompressed, and so
 * that ingest can build it by copying span bytes verbatim. zstd because it is built into Node 24
 * (so into Lambda's nodejs24.x) and measured best per byte at its default level on span data.
 */
import { constants as zlibConstants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { ProtoReader, ProtoWriter, WireType } from '../otlp/index.ts';
import { bytesOfHex, hexOf } from '../span/ids.ts';
import { PoisonRecordError } from './errors.ts';

export const RECORD_MAGIC_0 = 0x54; // 'T'
export const RECORD_MAGIC_1 = 0x53; // 'S'
export const RECORD_FORMAT_VERSION = 1;
export const Codec = { NONE: 0, ZSTD: 1 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

/** Why a record was written. */
export const RecordOrigin = {
  /** Written by the ingest Lambda from an exporter's request. */
  INGEST: 0,
  /** Written back by the sampler: the trace was not ready yet. */
  DEFERRED: 1,
  /** Written by the sampler for traces that reached a shard that does not own them (after a reshard). */
  FORWARDED: 2,
  /**
   * No spans: written by the sampler while its shard (lane) holds pending traces, so that a shard
   * gone quiet is still invoked and decides them (state/pending.ts).
   */
  WAKE_UP: 3,
} as const;
export type RecordOrigin = (typeof RecordOrigin)[keyof typeof RecordOrigin];

/** What a deferred or forwarded record remembers about each of its traces. */
export interface TraceCarry {
  readonly traceId: string;
  /** Kinesis arrival time (ms since epoch) of the trace's first span. */
  readonly firstArrivalMs: number;
  /** Arrival time of the root span, or 0 if the root has not arrived yet. */
  readonly rootArrivalMs: number;
  /** How many times the trace has been deferred so far. */
  readonly deferrals: number;
}

export interface RecordHeader {
  readonly origin: RecordOrigin;
  /** Number of spans in the payload: lets accounting count a record it cannot decode. */
  readonly spanCount: number;
  /** Per-trace state for DEFERRED and FORWARDED records; empty for INGEST. */
  readonly traces: readonly TraceCarry[];
}

export interface DecodedRecord {
  readonly header: RecordHeader;
  /** The OTLP ExportTraceServiceRequest bytes. */
  readonly payload: Uint8Array;
}

export interface EncodeOptions {
  readonly codec?: Codec;
  /** zstd level; 3 is zstd's default and the best bytes/CPU trade on span data (BENCHMARKS.md). */
  readonly level?: number;
}

/** What comes before the header: the magic, the format version and the codec. */
const FRAME_STARTS: Record<Codec, Uint8Array> = {
  [Codec.NONE]: Uint8Array.of(RECORD_MAGIC_0, RECORD_MAGIC_1, RECORD_FORMAT_VERSION, Codec.NONE),
  [Codec.ZSTD]: Uint8Array.of(RECORD_MAGIC_0, RECORD_MAGIC_1, RECORD_FORMAT_VERSION, Codec.ZSTD),
};
const frameWriter = new ProtoWriter(256);

export function encodeRecord(
  header: RecordHeader,
  payload: Uint8Array,
  options: EncodeOptions = {},
): Uint8Array {
  const codec = options.codec ?? Codec.ZSTD;
  const body =
    codec === Codec.ZSTD
      ? zstdCompressSync(payload, {
          params: {
            [zlibConstants.ZSTD_c_compressionLevel]: options.level ?? 3,
            [zlibConstants.ZSTD_c_checksumFlag]: 1,
          },
          // Each record is compressed once; tell zstd the size so it sizes its tables to it.
          pledgedSrcSize: payload.length,
        })
      : payload;
  // The frame (magic, version, codec, header) goes in a reused writer and the record is allocated
  // once at its final size: ingest frames a record per shard of every request.
  const w = frameWriter.reset();
  w.raw(FRAME_STARTS[codec]).fork();
  writeHeader(w, header);
  w.join();
  const frame = w.written();
  const record = new Uint8Array(frame.length + body.length);
  record.set(frame);
  record.set(body, frame.length);
  return record;
}

/** Reads only the header: cheap enough for counting spans of a record that will not be decoded. */
export function decodeRecordHeader(data: Uint8Array): {
  header: RecordHeader;
  codec: Codec;
  bodyStart: number;
} {
  if (data.length < 5 || data[0] !== RECORD_MAGIC_0 || data[1] !== RECORD_MAGIC_1) {
    throw new PoisonRecordError('not a tracesift record (bad magic)');
  }
  if (data[2] !== RECORD_FORMAT_VERSION) {
    throw new PoisonRecordError(`unsupported record format version ${data[2]}`);
  }
  const codec = data[3] as number;
  if (codec !== Codec.NONE && codec !== Codec.ZSTD)
    throw new PoisonRecordError(`unknown record codec ${codec}`);
  try {
    const r = new ProtoReader(data, 4);
    const end = r.delimitedEnd();
    const header = decodeHeader(new ProtoReader(data, r.pos, end));
    return { header, codec: codec as Codec, bodyStart: end };
  } catch (error) {
    throw new PoisonRecordError(`corrupt record header: ${(error as Error).message}`, { cause: error });
  }
}

export function decodeRecord(data: Uint8Array, maxPayloadBytes = 64 * 1024 * 1024): DecodedRecord {
  const { header, codec, bodyStart } = decodeRecordHeader(data);
  const body = data.subarray(bodyStart);
  if (codec === Codec.NONE) return { header, payload: body };
  try {
    const payload = zstdDecompressSync(body, { maxOutputLength: maxPayloadBytes });
    return { header, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
  } catch (error) {
    throw new PoisonRecordError(`corrupt record payload: ${(error as Error).message}`, { cause: error });
  }
}

function writeHeader(w: ProtoWriter, header: RecordHeader): void {
  if (header.origin !== RecordOrigin.INGEST) w.tag(1, WireType.VARINT).uint32(header.origin);
  w.tag(2, WireType.VARINT).uint32(header.spanCount);
  for (const t of header.traces) {
    const id = bytesOfHex(t.traceId);
    if (!id) throw new Error(`not a hex trace id: ${t.traceId}`);
    w.tag(3, WireType.LEN).fork();
    w.tag(1, WireType.LEN).bytes(id);
    w.tag(2, WireType.VARINT).int64(t.firstArrivalMs);
    if (t.rootArrivalMs) w.tag(3, WireType.VARINT).int64(t.rootArrivalMs);
    if (t.deferrals) w.tag(4, WireType.VARINT).uint32(t.deferrals);
    w.join();
  }
}

function decodeHeader(r: ProtoReader): RecordHeader {
  let origin = 0;
  let spanCount = 0;
  const traces: TraceCarry[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WireType.VARINT);
        origin = r.uint32();
        break;
      case 2:
        r.expect(tag, WireType.VARINT);
        spanCount = r.uint32();
        break;
      case 3: {
        r.expect(tag, WireType.LEN);
        const end = r.delimitedEnd();
        const outer = r.end;
        r.end = end;
        let traceId = '';
        let firstArrivalMs = 0;
        let rootArrivalMs = 0;
        let deferrals = 0;
        while (r.pos < end) {
          const t = r.tag();
          switch (t >>> 3) {
            case 1: {
              r.expect(t, WireType.LEN);
              const e = r.delimitedEnd();
              traceId = hexOf(r.buf, r.pos, e);
              r.pos = e;
              break;
            }
            case 2:
              r.expect(t, WireType.VARINT);
              firstArrivalMs = Number(r.int64());
              break;
            case 3:
              r.expect(t, WireType.VARINT);
              rootArrivalMs = Number(r.int64());
              break;
            case 4:
              r.expect(t, WireType.VARINT);
              deferrals = r.uint32();
              break;
            default:
              r.skip(t & 7);
          }
        }
        r.end = outer;
        traces.push({ traceId, firstArrivalMs, rootArrivalMs, deferrals });
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (origin > RecordOrigin.WAKE_UP) throw new Error(`unknown record origin ${origin}`);
  return { origin: origin as RecordOrigin, spanCount, traces };
}
