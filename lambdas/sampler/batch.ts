/**
 * Batch assembly: a Kinesis batch's records -> spans grouped per trace, de-duplicated by span id,
 * with each trace's Kinesis arrival times (from the records, or from the carry of deferred and
 * forwarded records) and the batch watermark (latest arrival). Pure: records in, plain data out.
 *
 * A record that cannot be decoded stops assembly there: the records before it are processed, it is
 * reported as poison, and the records after it are left for the event source mapping to deliver
 * again (see app.ts for why). Records beyond the per-invocation span budget are not decoded at all
 * but passed back to the stream untouched, which bounds memory whatever the batch holds.
 */

import { WireFormatError } from '../shared/otlp/index.ts';
import {
  decodeRecord,
  decodeRecordHeader,
  PoisonRecordError,
  RecordOrigin,
  type TraceCarry,
} from '../shared/record/index.ts';
import { indexPayload, type SpanFacts } from './span-index.ts';

/** A Kinesis record as the sampler sees it, whatever delivered it (the event source mapping or the local poller). */
export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** approximateArrivalTimestamp in ms since epoch. */
  readonly arrivalMs: number;
  readonly data: Uint8Array;
}

/** The spans of one trace gathered from a batch, with what the records said about its timing. */
export interface TraceAssembly {
  /** The trace id as a map key (traceKeyOf). */
  readonly key: string;
  /** Where the id bytes are: the first span's payload. */
  readonly idBytes: Uint8Array;
  readonly idAt: number;
  readonly spans: SpanFacts[];
  readonly spanIds: Set<string>;
  /** The earliest-starting parentless span, if one arrived. */
  root: SpanFacts | undefined;
  /** Kinesis arrival time of the first span (ms). */
  firstArrivalMs: number;
  /** Kinesis arrival time of the root span, 0 while it has not arrived. */
  rootArrivalMs: number;
  /** Times the trace was deferred before this batch. */
  deferrals: number;
  /** Encoded size of its spans. */
  bytes: number;
  /** Spans that came from FORWARDED records (they already crossed shards once). */
  forwardedSpans: number;
}

export interface PoisonRecord {
  readonly index: number;
  readonly sequenceNumber: string;
  /** Spans the record's header announced, 0 when even the header is unreadable. */
  readonly spanCount: number;
  readonly reason: string;
}

export interface PassThroughRecord {
  readonly record: StreamRecord;
  readonly spanCount: number;
}

export interface BatchAssembly {
  readonly traces: Map<string, TraceAssembly>;
  /** Latest arrival time among the handled records: "now" for readiness. */
  readonly watermarkMs: number;
  /** Earliest arrival time among the handled records. */
  readonly earliestArrivalMs: number;
  /** Records handled (decoded or passed through): a prefix of the batch. */
  readonly handled: number;
  readonly uniqueSpans: number;
  readonly duplicateSpans: number;
  readonly passThrough: readonly PassThroughRecord[];
  readonly poison: PoisonRecord | undefined;
  /** WAKE_UP records among the handled ones. */
  readonly wakeUps: number;
  /** Spans of pending records that could not be decoded (announced by their headers). */
  readonly pendingSpansLost: number;
}

export interface AssemblyLimits {
  readonly maxSpansPerInvocation: number;
  /** Largest decompressed payload of one record. */
  readonly maxPayloadBytes: number;
}

interface DecodedPayload {
  readonly origin: RecordOrigin;
  readonly spans: SpanFacts[];
  readonly carry: ReadonlyMap<string, TraceCarry>;
}

/**
 * Map keys for ids: the bytes two by two as UTF-16 code units (8 units for a trace id, 4 for a span
 * id). Built in JS, which in a CPU profile cost a fraction of Buffer#toString('latin1'), a native
 * call per span that showed up at 3 % of sampler time.
 */
export function traceKeyOf(b: Uint8Array, at: number): string {
  return String.fromCharCode(
    ((b[at] as number) << 8) | (b[at + 1] as number),
    ((b[at + 2] as number) << 8) | (b[at + 3] as number),
    ((b[at + 4] as number) << 8) | (b[at + 5] as number),
    ((b[at + 6] as number) << 8) | (b[at + 7] as number),
    ((b[at + 8] as number) << 8) | (b[at + 9] as number),
    ((b[at + 10] as number) << 8) | (b[at + 11] as number),
    ((b[at + 12] as number) << 8) | (b[at + 13] as number),
    ((b[at + 14] as number) << 8) | (b[at + 15] as number),
  );
}

function spanKeyOf(b: Uint8Array, at: number): string {
  return String.fromCharCode(
    ((b[at] as number) << 8) | (b[at + 1] as number),
    ((b[at + 2] as number) << 8) | (b[at + 3] as number),
    ((b[at + 4] as number) << 8) | (b[at + 5] as number),
    ((b[at + 6] as number) << 8) | (b[at + 7] as number),
  );
}

function decodeStreamRecord(record: StreamRecord, ordinal: number, maxPayloadBytes: number): DecodedPayload {
  const { header, payload } = decodeRecord(record.data, maxPayloadBytes);
  const spans: SpanFacts[] = [];
  try {
    indexPayload(payload, spans, ordinal);
  } catch (error) {
    if (error instanceof WireFormatError) {
      throw new PoisonRecordError(`record payload is not a valid OTLP request: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const carry = new Map<string, TraceCarry>();
  for (const trace of header.traces) carry.set(traceKeyOf(Buffer.from(trace.traceId, 'hex'), 0), trace);
  return { origin: header.origin, spans, carry };
}

/**
 * `pending` are the shard's pending records (state/pending.ts): read in front of the batch, always
 * decoded (they were within budget when pended), and not counted among the batch's handled records.
 */
export function assembleBatch(
  records: readonly StreamRecord[],
  limits: AssemblyLimits,
  pending: readonly { readonly data: Uint8Array; readonly arrivalMs: number }[] = [],
): BatchAssembly {
  const into = new AssemblyBuilder();
  let pendingSpansLost = 0;
  for (const [i, record] of pending.entries()) {
    try {
      into.add(decodeStreamRecord(record as StreamRecord, -1 - i, limits.maxPayloadBytes), record.arrivalMs);
    } catch (error) {
      if (!(error instanceof PoisonRecordError)) throw error;
      pendingSpansLost += announcedSpans(record.data);
    }
  }
  const pendingWatermarkMs = into.watermarkMs;
  into.watermarkMs = 0;
  into.earliestArrivalMs = Number.POSITIVE_INFINITY;
  const passThrough: PassThroughRecord[] = [];
  let decodedSpans = 0;
  let poison: PoisonRecord | undefined;
  let handled = 0;
  let wakeUps = 0;

  for (let i = 0; i < records.length; i++) {
    const record = records[i] as StreamRecord;
    let decoded: DecodedPayload;
    let announced = 0;
    try {
      announced = decodeRecordHeader(record.data).header.spanCount;
      if (decodedSpans > 0 && decodedSpans + announced > limits.maxSpansPerInvocation) {
        passThrough.push({ record, spanCount: announced });
        handled++;
        into.arrived(record.arrivalMs);
        continue;
      }
      decoded = decodeStreamRecord(record, i, limits.maxPayloadBytes);
    } catch (error) {
      if (!(error instanceof PoisonRecordError)) throw error;
      poison = {
        index: i,
        sequenceNumber: record.sequenceNumber,
        spanCount: announced,
        reason: error.message,
      };
      break;
    }
    handled++;
    decodedSpans += decoded.spans.length;
    if (decoded.origin === RecordOrigin.WAKE_UP) wakeUps++;
    into.add(decoded, record.arrivalMs);
  }
  // Pending records stand for arrival times the shard has seen already: "now" is the batch's own.
  const watermarkMs = handled > 0 ? into.watermarkMs : pendingWatermarkMs;
  return {
    traces: into.traces,
    watermarkMs,
    earliestArrivalMs: Number.isFinite(into.earliestArrivalMs) ? into.earliestArrivalMs : watermarkMs,
    handled,
    uniqueSpans: into.uniqueSpans,
    duplicateSpans: into.duplicateSpans,
    passThrough,
    poison,
    wakeUps,
    pendingSpansLost,
  };
}

function announcedSpans(data: Uint8Array): number {
  try {
    return decodeRecordHeader(data).header.spanCount;
  } catch {
    return 0;
  }
}

/** Groups decoded spans per trace, de-duplicating by span id. */
class AssemblyBuilder {
  public readonly traces = new Map<string, TraceAssembly>();
  public watermarkMs = 0;
  public earliestArrivalMs = Number.POSITIVE_INFINITY;
  public uniqueSpans = 0;
  public duplicateSpans = 0;

  public arrived(arrivalMs: number): void {
    this.watermarkMs = Math.max(this.watermarkMs, arrivalMs);
    this.earliestArrivalMs = Math.min(this.earliestArrivalMs, arrivalMs);
  }

  public add(decoded: DecodedPayload, arrivalMs: number): void {
    this.arrived(arrivalMs);
    const forwarded = decoded.origin === RecordOrigin.FORWARDED;
    for (const span of decoded.spans) {
      const bytes = span.payload.bytes;
      const key = traceKeyOf(bytes, span.traceIdAt);
      const carried = decoded.carry.get(key);
      const trace = this.traceFor(key, span, carried?.firstArrivalMs || arrivalMs);
      if (carried) {
        trace.deferrals = Math.max(trace.deferrals, carried.deferrals);
        if (carried.rootArrivalMs) trace.rootArrivalMs = earliest(trace.rootArrivalMs, carried.rootArrivalMs);
      }
      const spanKey = spanKeyOf(bytes, span.spanIdAt);
      if (trace.spanIds.has(spanKey)) {
        this.duplicateSpans++;
        continue;
      }
      trace.spanIds.add(spanKey);
      trace.spans.push(span);
      trace.bytes += span.end - span.start;
      if (forwarded) trace.forwardedSpans++;
      this.uniqueSpans++;
      if (span.isRoot) {
        if (!trace.root || span.startNano < trace.root.startNano) trace.root = span;
        trace.rootArrivalMs = earliest(trace.rootArrivalMs, carried?.rootArrivalMs || arrivalMs);
      }
    }
  }

  private traceFor(key: string, span: SpanFacts, firstArrivalMs: number): TraceAssembly {
    let trace = this.traces.get(key);
    if (!trace) {
      trace = {
        key,
        idBytes: span.payload.bytes,
        idAt: span.traceIdAt,
        spans: [],
        spanIds: new Set(),
        root: undefined,
        firstArrivalMs,
        rootArrivalMs: 0,
        deferrals: 0,
        bytes: 0,
        forwardedSpans: 0,
      };
      this.traces.set(key, trace);
    }
    trace.firstArrivalMs = Math.min(trace.firstArrivalMs, firstArrivalMs);
    return trace;
  }
}

/** The earlier of two arrival times where 0 means "none yet". */
function earliest(a: number, b: number): number {
  return a === 0 ? b : Math.min(a, b);
}
