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
import { hashKeyOfWords, laneOfLowWord, partitionKeyOfLane, type ShardMap } from '../shared/routing/index.ts';
import type { Span } from '../shared/span/model.ts';
import type { PreparedRecord } from '../shared/stream/index.ts';
import { groupDecodedSpans, groupScannedSpans, type TraceGroups } from './trace-groups.ts';

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
  readonly lane: number;
  readonly shardId: string | undefined;
  readonly items: T[];
  /** The trace of each item, for the hash key of the record that starts with it. */
  readonly traces: number[];
}

/**
 * Groups items by (shard, lane), or by trace when there is no shard map; items of refused traces
 * are left out. Buckets are listed in the order of their first item.
 */
function bucketize<T>(
  items: readonly T[],
  groups: TraceGroups,
  routing: Routing,
): { buckets: Bucket<T>[]; traceCount: number } {
  const { count, hashWords, refused, traceOfSpan } = groups;
  const { shardMap, lanes } = routing;
  const buckets: Bucket<T>[] = [];
  // Traces are numbered in the order of their first item, so routing them in that order lists the
  // buckets in the order of their first item too.
  const bucketOfTrace = new Int32Array(count);
  const bucketOfShardLane = new Map<number, number>();
  let traceCount = 0;
  for (let t = 0; t < count; t++) {
    if (refused?.[t]) {
      bucketOfTrace[t] = -1;
      continue;
    }
    traceCount++;
    const lane = laneOfLowWord(hashWords[4 * t + 3] as number, lanes);
    const index = shardMap ? shardMap.indexOfWords(hashWords, 4 * t) : -1;
    const key = index * lanes + lane;
    let bucket = shardMap ? bucketOfShardLane.get(key) : undefined;
    if (bucket === undefined) {
      bucket = buckets.push({ lane, shardId: shardMap?.shards[index]?.shardId, items: [], traces: [] }) - 1;
      if (shardMap) bucketOfShardLane.set(key, bucket);
    }
    bucketOfTrace[t] = bucket;
  }
  for (let i = 0; i < items.length; i++) {
    const trace = traceOfSpan[i] as number;
    const bucket = buckets[bucketOfTrace[trace] as number];
    if (!bucket) continue;
    bucket.items.push(items[i] as T);
    bucket.traces.push(trace);
  }
  return { buckets, traceCount };
}

/**
 * Encodes a bucket into records, halving it until each record fits. Raw payloads are first cut to
 * three times the record limit: span payloads compress about 5x with zstd (BENCHMARKS.md), so one
 * compression usually suffices and a pathological bucket never compresses megabytes in vain.
 * `encodePayload` may return a view of a shared writer: each payload is compressed before the next.
 */
function encodeBucket<T>(
  bucket: Bucket<T>,
  hashWords: Uint32Array,
  encodePayload: (items: T[]) => Uint8Array,
  routing: Routing,
  out: PreparedRecord[],
): number {
  let oversized = 0;
  const rawTarget = routing.maxRecordBytes * 3;
  const emit = (items: T[], traces: number[]): void => {
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
        explicitHashKey: hashKeyOfWords(hashWords, 4 * (traces[0] as number)).toString(),
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
    emit(items.slice(0, half), traces.slice(0, half));
    emit(items.slice(half), traces.slice(half));
  };
  emit(bucket.items, bucket.traces);
  return oversized;
}

// --- protobuf requests: spans copied verbatim from the request bytes ----------------------------

const sliceWriter = new ProtoWriter(256 * 1024);

/** A scanned request's spans in records; `groups` (by default all its traces) may leave traces out. */
export function packScannedRequest(
  scan: ScannedRequest,
  routing: Routing,
  groups: TraceGroups = groupScannedSpans(scan),
): PackResult {
  const { buckets, traceCount } = bucketize(scan.spans, groups, routing);
  const records: PreparedRecord[] = [];
  let oversizedSpans = 0;
  for (const bucket of buckets) {
    oversizedSpans += encodeBucket(
      bucket,
      groups.hashWords,
      (items) => payloadFromSlices(scan, items),
      routing,
      records,
    );
  }
  return { records, traceCount, oversizedSpans };
}

/**
 * Rebuilds ResourceSpans / ScopeSpans around spans (in request order) from the request's own bytes.
 * The payload is a view of a writer the next call reuses (records compress it at once; copying
 * each payload out cost 2% of ingest).
 */
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
  return w.written();
}

function copyRanges(w: ProtoWriter, bytes: Uint8Array, ranges: readonly number[]): void {
  for (let i = 0; i < ranges.length; i += 2) w.raw(bytes.subarray(ranges[i], ranges[i + 1]));
}

// --- JSON requests: spans re-encoded as protobuf -----------------------------------------------

const spanWriter = new ProtoWriter(256 * 1024);

export function packSpans(spans: readonly Span[], routing: Routing): PackResult {
  const groups = groupDecodedSpans(spans);
  const { buckets, traceCount } = bucketize(spans, groups, routing);
  const records: PreparedRecord[] = [];
  let oversizedSpans = 0;
  for (const bucket of buckets) {
    oversizedSpans += encodeBucket(
      bucket,
      groups.hashWords,
      (items) => encodeTraceRequest(items, spanWriter),
      routing,
      records,
    );
  }
  return { records, traceCount, oversizedSpans };
}
