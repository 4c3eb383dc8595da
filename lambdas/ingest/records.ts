/**
 * Packing a request's spans into Kinesis records: every trace is routed by the hash of its trace
 * id; the traces of one request bound for the same shard (and lane) go into one record whose
 * ExplicitHashKey is one of theirs, so Kinesis puts it on that shard. Records are split until
 * each fits the record size limit; a trace split over two records still lands on one shard.
 */
import {
  encodeTraceRequest,
  ProtoWriter,
  type ScannedRequest,
  type ScannedSpan,
  WireType,
} from '../shared/otlp/index.ts';
import { Codec, encodeRecord, RecordOrigin } from '../shared/record/index.ts';
import {
  laneOf,
  partitionKeyOfLane,
  type ShardMap,
  traceHashKey,
  traceHashKeyOfHex,
} from '../shared/routing/index.ts';
import type { Span } from '../shared/span/model.ts';
import type { PreparedRecord } from '../shared/stream/index.ts';

export interface Routing {
  /** Open shards; without one, every trace gets records of its own (correct, just less packed). */
  readonly shardMap: ShardMap | undefined;
  readonly lanes: number;
  readonly maxRecordBytes: number;
  readonly codec?: Codec;
}

export interface PackResult {
  readonly records: PreparedRecord[];
  readonly traceCount: number;
  /** Spans left out because even alone they do not fit in a record. */
  readonly oversizedSpans: number;
}

interface Bucket<T> {
  readonly firstHash: bigint;
  readonly lane: number;
  readonly shardId: string | undefined;
  readonly items: T[];
  readonly hashes: bigint[];
}

/** Groups items by (shard, lane), or by trace when there is no shard map. */
function bucketize<T>(
  items: readonly T[],
  traceKeyOf: (item: T) => string,
  hashOf: (item: T) => bigint,
  routing: Routing,
): { buckets: Map<string, Bucket<T>>; traceCount: number } {
  const traces = new Map<
    string,
    { hash: bigint; bucket: string; lane: number; shardId: string | undefined }
  >();
  const buckets = new Map<string, Bucket<T>>();
  for (const item of items) {
    const traceKey = traceKeyOf(item);
    let route = traces.get(traceKey);
    if (!route) {
      const hash = hashOf(item);
      const lane = laneOf(hash, routing.lanes);
      if (routing.shardMap) {
        const index = routing.shardMap.indexOf(hash);
        route = { hash, lane, bucket: `${index}/${lane}`, shardId: routing.shardMap.shards[index]?.shardId };
      } else {
        route = { hash, lane, bucket: traceKey, shardId: undefined };
      }
      traces.set(traceKey, route);
    }
    let bucket = buckets.get(route.bucket);
    if (!bucket) {
      bucket = { firstHash: route.hash, lane: route.lane, shardId: route.shardId, items: [], hashes: [] };
      buckets.set(route.bucket, bucket);
    }
    bucket.items.push(item);
    bucket.hashes.push(route.hash);
  }
  return { buckets, traceCount: traces.size };
}

/**
 * Encodes a bucket into records, halving it until each record fits. Raw payloads are first cut to
 * three times the record limit: span payloads compress about 5x with zstd (BENCHMARKS.md), so one
 * compression usually suffices and a pathological bucket never compresses megabytes in vain.
 */
function encodeBucket<T>(
  bucket: Bucket<T>,
  encodePayload: (items: T[]) => Uint8Array,
  routing: Routing,
  out: PreparedRecord[],
): number {
  let oversized = 0;
  const rawTarget = routing.maxRecordBytes * 3;
  const emit = (items: T[], hashes: bigint[]): void => {
    const payload = encodePayload(items);
    const tooBig = payload.length > rawTarget;
    const data = tooBig
      ? undefined
      : encodeRecord({ origin: RecordOrigin.INGEST, spanCount: items.length, traces: [] }, payload, {
          codec: routing.codec ?? Codec.ZSTD,
        });
    if (data && data.length <= routing.maxRecordBytes) {
      out.push({
        data,
        partitionKey: partitionKeyOfLane(bucket.lane),
        explicitHashKey: (hashes[0] as bigint).toString(),
        expectedShardId: bucket.shardId,
        spanCount: items.length,
      });
      return;
    }
    if (items.length === 1) {
      oversized++;
      return;
    }
    const half = items.length >> 1;
    emit(items.slice(0, half), hashes.slice(0, half));
    emit(items.slice(half), hashes.slice(half));
  };
  emit(bucket.items, bucket.hashes);
  return oversized;
}

// --- protobuf requests: spans copied verbatim from the request bytes ----------------------------

const sliceWriter = new ProtoWriter(256 * 1024);

export function packScannedRequest(scan: ScannedRequest, routing: Routing): PackResult {
  const bytes = scan.bytes;
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { buckets, traceCount } = bucketize(
    scan.spans,
    (s) => latin1.toString('latin1', s.traceIdAt, s.traceIdAt + 16),
    (s) => traceHashKey(bytes, s.traceIdAt),
    routing,
  );
  const records: PreparedRecord[] = [];
  let oversizedSpans = 0;
  for (const bucket of buckets.values()) {
    oversizedSpans += encodeBucket(bucket, (items) => payloadFromSlices(scan, items), routing, records);
  }
  return { records, traceCount, oversizedSpans };
}

/** Rebuilds ResourceSpans / ScopeSpans around spans (in request order) from the request's own bytes. */
export function payloadFromSlices(scan: ScannedRequest, spans: readonly ScannedSpan[]): Uint8Array {
  const w = sliceWriter.reset();
  const bytes = scan.bytes;
  let resourceIndex = -1;
  let groupIndex = -1;
  for (const span of spans) {
    if (span.group !== groupIndex) {
      const group = scan.groups[span.group];
      if (!group) throw new Error(`span refers to unknown group ${span.group}`);
      if (groupIndex >= 0) w.join(); // ScopeSpans
      if (group.resourceIndex !== resourceIndex) {
        if (resourceIndex >= 0) w.join(); // ResourceSpans
        w.tag(1, WireType.LEN).fork();
        copyRanges(w, bytes, group.resourceFields);
        resourceIndex = group.resourceIndex;
      }
      w.tag(2, WireType.LEN).fork();
      copyRanges(w, bytes, group.scopeFields);
      groupIndex = span.group;
    }
    w.tag(2, WireType.LEN).bytes(bytes.subarray(span.start, span.end));
  }
  if (groupIndex >= 0) w.join().join();
  return w.finish();
}

function copyRanges(w: ProtoWriter, bytes: Uint8Array, ranges: readonly number[]): void {
  for (let i = 0; i < ranges.length; i += 2) w.raw(bytes.subarray(ranges[i], ranges[i + 1]));
}

// --- JSON requests: spans re-encoded as protobuf -----------------------------------------------

const spanWriter = new ProtoWriter(256 * 1024);

export function packSpans(spans: readonly Span[], routing: Routing): PackResult {
  const { buckets, traceCount } = bucketize(
    spans,
    (s) => s.traceId,
    (s) => traceHashKeyOfHex(s.traceId),
    routing,
  );
  const records: PreparedRecord[] = [];
  let oversizedSpans = 0;
  for (const bucket of buckets.values()) {
    oversizedSpans += encodeBucket(
      bucket,
      (items) => encodeTraceRequest(items, spanWriter),
      routing,
      records,
    );
  }
  return { records, traceCount, oversizedSpans };
}
