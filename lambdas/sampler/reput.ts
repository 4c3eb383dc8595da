/**
 * Writing traces back to the stream: deferred traces (not ready yet) and forwarded ones (their hash
 * lies outside this shard, after a reshard with a stale ingest shard map). Each goes out routed
 * exactly as ingest routes it: ExplicitHashKey = a hash key of a trace in the record, all traces of
 * a record bound for one open shard and one lane, partition key `lane-N`. The record header carries
 * each trace's first-arrival time, root-arrival time and deferral count, so readiness keeps counting
 * from the first arrival and deferral stays bounded by the trace timeout.
 *
 * Span bytes are copied verbatim from the records they came in (with their resource and scope
 * fields), never decoded and re-encoded.
 */
import { ProtoWriter, WireType } from '../shared/otlp/index.ts';
import { encodeRecord, type RecordOrigin, type TraceCarry } from '../shared/record/index.ts';
import { laneOf, partitionKeyOfLane, type ShardMap } from '../shared/routing/index.ts';
import { hexOf } from '../shared/span/ids.ts';
import type { PreparedRecord } from '../shared/stream/index.ts';
import type { TraceAssembly } from './batch.ts';
import { RecordTooLargeError } from './errors.ts';
import type { SpanFacts, SpanGroup } from './span-index.ts';

/** Kinesis's record limit (1 MiB of data and partition key), less room for a `lane-N` key. */
const KINESIS_MAX_RECORD_BYTES = 1024 * 1024 - 16;

export interface OutgoingTrace {
  readonly trace: TraceAssembly;
  readonly hashKey: bigint;
  /** What the record header remembers for it. */
  readonly carry: TraceCarry;
}

export interface ReputRouting {
  /** Open shards; without one, traces are grouped by lane only (Kinesis routes each record by its first trace). */
  readonly shardMap: ShardMap | undefined;
  readonly lanes: number;
  readonly maxRecordBytes: number;
}

export function carryOf(trace: TraceAssembly, deferrals: number): TraceCarry {
  return {
    traceId: hexOf(trace.idBytes, trace.idAt, trace.idAt + 16),
    firstArrivalMs: trace.firstArrivalMs,
    rootArrivalMs: trace.rootArrivalMs,
    deferrals,
  };
}

export function packTraces(
  traces: readonly OutgoingTrace[],
  origin: RecordOrigin,
  routing: ReputRouting,
): PreparedRecord[] {
  const buckets = new Map<string, { shardId: string | undefined; lane: number; traces: OutgoingTrace[] }>();
  for (const outgoing of traces) {
    const lane = laneOf(outgoing.hashKey, routing.lanes);
    const shard = routing.shardMap?.shardOf(outgoing.hashKey);
    const id = `${shard?.shardId ?? ''}/${lane}`;
    let bucket = buckets.get(id);
    if (!bucket) {
      bucket = { shardId: shard?.shardId, lane, traces: [] };
      buckets.set(id, bucket);
    }
    bucket.traces.push(outgoing);
  }
  const records: PreparedRecord[] = [];
  for (const bucket of buckets.values()) {
    emit(bucket.traces, origin, bucket.shardId, bucket.lane, routing.maxRecordBytes, records);
  }
  return records;
}

/** Encodes traces into one record, halving (by trace, then by span) until each fits the record limit. */
function emit(
  traces: readonly OutgoingTrace[],
  origin: RecordOrigin,
  shardId: string | undefined,
  lane: number,
  maxRecordBytes: number,
  out: PreparedRecord[],
): void {
  const spans = traces.flatMap((t) => t.trace.spans);
  const data = encodeRecord(
    { origin, spanCount: spans.length, traces: traces.map((t) => t.carry) },
    payloadOfSpans(spans),
  );
  const spanAlone = traces.length === 1 && spans.length === 1;
  // A lone span may use Kinesis's whole limit: the configured one keeps slack for headers that a
  // span ingest packed at the limit does not need twice.
  if (data.length <= maxRecordBytes || (spanAlone && data.length <= KINESIS_MAX_RECORD_BYTES)) {
    out.push({
      data,
      partitionKey: partitionKeyOfLane(lane),
      explicitHashKey: (traces[0] as OutgoingTrace).hashKey.toString(),
      expectedShardId: shardId,
      spanCount: spans.length,
    });
    return;
  }
  if (traces.length > 1) {
    const half = traces.length >> 1;
    emit(traces.slice(0, half), origin, shardId, lane, maxRecordBytes, out);
    emit(traces.slice(half), origin, shardId, lane, maxRecordBytes, out);
    return;
  }
  const only = traces[0] as OutgoingTrace;
  if (spanAlone) throw new RecordTooLargeError(only.carry.traceId, data.length);
  // One big trace: split its spans; both parts carry the same trace state and route the same way.
  const half = only.trace.spans.length >> 1;
  for (const part of [only.trace.spans.slice(0, half), only.trace.spans.slice(half)]) {
    emit([{ ...only, trace: { ...only.trace, spans: part } }], origin, shardId, lane, maxRecordBytes, out);
  }
}

const payloadWriter = new ProtoWriter(256 * 1024);

/**
 * An ExportTraceServiceRequest holding these spans, rebuilt from their records' bytes: spans are
 * grouped by (record, ScopeSpans) so each resource and scope is written once per record it came from.
 */
export function payloadOfSpans(spans: readonly SpanFacts[]): Uint8Array {
  const ordered = [...spans].sort((a, b) => a.payload.ordinal - b.payload.ordinal || a.group - b.group);
  const w = payloadWriter.reset();
  let payload: SpanFacts['payload'] | undefined;
  let group = -1;
  let resourceIndex = -1;
  for (const span of ordered) {
    if (span.payload !== payload || span.group !== group) {
      const info = span.payload.groups[span.group] as SpanGroup;
      if (payload !== undefined) w.join(); // ScopeSpans
      if (span.payload !== payload || info.resourceIndex !== resourceIndex) {
        if (payload !== undefined) w.join(); // ResourceSpans
        w.tag(1, WireType.LEN).fork();
        copyRanges(w, span.payload.bytes, info.resourceFields);
        resourceIndex = info.resourceIndex;
      }
      w.tag(2, WireType.LEN).fork();
      copyRanges(w, span.payload.bytes, info.scopeFields);
      payload = span.payload;
      group = span.group;
    }
    w.tag(2, WireType.LEN).bytes(span.payload.bytes.subarray(span.start, span.end));
  }
  if (payload !== undefined) w.join().join();
  return w.finish();
}

function copyRanges(w: ProtoWriter, bytes: Uint8Array, ranges: readonly number[]): void {
  for (let i = 0; i < ranges.length; i += 2) w.raw(bytes.subarray(ranges[i], ranges[i + 1]));
}
