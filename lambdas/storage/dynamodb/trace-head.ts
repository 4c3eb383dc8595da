/**
 * The head of a version 2 item (attribute `head`): what an item says about itself and its trace,
 * as one small protobuf message rather than a dozen named attributes, whose names DynamoDB bills on
 * every write (pure). Fields (numbers fixed; a reader skips fields it does not know):
 *
 *   1 version (2)        2 range: the batch that wrote the item (Range)
 *   3 late range: the batch that last re-put a trace item (Range)
 *   4 blob bytes: OTLP protobuf bytes of the item's own spans
 *   15 resources (repeated): hashes of the external resources the item's spans name, in order
 *   trace items only:
 *   5 span count  6 stored bytes (protobuf, of all stored spans)  7 first arrival (epoch ms)
 *   8 policy  9 probability (double)  10 threshold  11 reason  (the decision, bounded)
 *   12 marks (repeated): stored strings cut to their bound (`truncated` of the summary)
 *   13 rejected reason  14 summary (Summary), only when the trace's spans are not stored
 *
 *   Range:   1 shard id | 2 n of `shardId-<n, 12 digits>`;  3 first sequence number as big-endian
 *            bytes | 4 as text;  5 last - first as big-endian bytes | 6 last as text
 *   Summary: 1 root span id  2 root service  3 root name  4 start (ns, fixed64)  5 duration (ns)
 *            6 error count  7 services (repeated)  8 services omitted
 *
 * Kinesis sequence numbers are 56 decimal digits: as bytes a range takes about 50 bytes instead of
 * 134, a tenth of what a median kept trace may take in one write unit.
 */
import { ProtoReader, ProtoWriter, WireType } from '../../shared/otlp/index.ts';
import { StorageError } from '../errors.ts';

const HEAD_VERSION = 2;

export interface HeadDecision {
  readonly policy: string;
  readonly probability: number;
  readonly threshold: string;
  readonly reason: string;
}

/** The summary of a trace whose spans are not stored (DynamoDB refused them). */
export interface HeadSummary {
  readonly rootSpanId: string;
  readonly rootService: string;
  readonly rootName: string;
  readonly startTimeUnixNano: bigint;
  readonly durationNano: number;
  readonly errorCount: number;
  readonly services: readonly string[];
  readonly servicesOmitted: number;
}

/** What the trace item alone says of its trace. */
export interface HeadTrace {
  readonly spanCount: number;
  readonly storedBytes: number;
  readonly firstArrivalMs: number;
  readonly decision: HeadDecision;
  readonly marks: readonly string[];
  readonly lateRange?: string;
  readonly rejectedReason?: string;
  readonly summary?: HeadSummary;
}

export interface Head {
  /** `<shard id> <first sequence number> <last sequence number>` of the batch that wrote the item. */
  readonly range: string;
  /** OTLP protobuf bytes of the item's own spans (0 without). */
  readonly blobBytes: number;
  /** Hashes of the external resources the item's spans name, in the order they name them. */
  readonly resources: readonly Uint8Array[];
  /** Present on trace items. */
  readonly trace?: HeadTrace;
}

const F = {
  VERSION: 1,
  RANGE: 2,
  LATE_RANGE: 3,
  BLOB_BYTES: 4,
  SPAN_COUNT: 5,
  STORED_BYTES: 6,
  FIRST_ARRIVAL: 7,
  POLICY: 8,
  PROBABILITY: 9,
  THRESHOLD: 10,
  REASON: 11,
  MARKS: 12,
  REJECTED_REASON: 13,
  SUMMARY: 14,
  RESOURCES: 15,
} as const;

const RANGE = { SHARD: 1, SHARD_NUMBER: 2, FIRST: 3, FIRST_TEXT: 4, LAST_DELTA: 5, LAST_TEXT: 6 } as const;

const SUMMARY = {
  ROOT_SPAN_ID: 1,
  ROOT_SERVICE: 2,
  ROOT_NAME: 3,
  START: 4,
  DURATION: 5,
  ERROR_COUNT: 6,
  SERVICES: 7,
  SERVICES_OMITTED: 8,
} as const;

/** Wire type of each head field: a field of another type is refused, not misread. */
const HEAD_WIRE: Readonly<Record<number, number>> = {
  [F.VERSION]: WireType.VARINT,
  [F.RANGE]: WireType.LEN,
  [F.LATE_RANGE]: WireType.LEN,
  [F.BLOB_BYTES]: WireType.VARINT,
  [F.SPAN_COUNT]: WireType.VARINT,
  [F.STORED_BYTES]: WireType.VARINT,
  [F.FIRST_ARRIVAL]: WireType.VARINT,
  [F.POLICY]: WireType.LEN,
  [F.PROBABILITY]: WireType.I64,
  [F.THRESHOLD]: WireType.LEN,
  [F.REASON]: WireType.LEN,
  [F.MARKS]: WireType.LEN,
  [F.REJECTED_REASON]: WireType.LEN,
  [F.SUMMARY]: WireType.LEN,
  [F.RESOURCES]: WireType.LEN,
};

/** Summary fields that are not length-delimited. */
const SUMMARY_WIRE: Readonly<Record<number, number>> = {
  [SUMMARY.START]: WireType.I64,
  [SUMMARY.DURATION]: WireType.VARINT,
  [SUMMARY.ERROR_COUNT]: WireType.VARINT,
  [SUMMARY.SERVICES_OMITTED]: WireType.VARINT,
};

const SHARD_ID = /^shardId-(\d{12})$/;
/** A sequence number that reads back from its bytes as the same text: no sign, no leading zero. */
const CANONICAL_DECIMAL = /^(0|[1-9]\d{0,99})$/;

const writer = new ProtoWriter(1024);

export function encodeHead(head: Head): Uint8Array {
  const w = writer.reset();
  w.tag(F.VERSION, WireType.VARINT).uint32(HEAD_VERSION);
  writeRange(w, F.RANGE, head.range);
  if (head.blobBytes > 0) w.tag(F.BLOB_BYTES, WireType.VARINT).int64(head.blobBytes);
  for (const hash of head.resources) w.tag(F.RESOURCES, WireType.LEN).bytes(hash);
  const trace = head.trace;
  if (trace) {
    if (trace.lateRange !== undefined) writeRange(w, F.LATE_RANGE, trace.lateRange);
    w.tag(F.SPAN_COUNT, WireType.VARINT).int64(trace.spanCount);
    w.tag(F.STORED_BYTES, WireType.VARINT).int64(trace.storedBytes);
    w.tag(F.FIRST_ARRIVAL, WireType.VARINT).int64(trace.firstArrivalMs);
    w.tag(F.POLICY, WireType.LEN).string(trace.decision.policy);
    w.tag(F.PROBABILITY, WireType.I64).double(trace.decision.probability);
    w.tag(F.THRESHOLD, WireType.LEN).string(trace.decision.threshold);
    w.tag(F.REASON, WireType.LEN).string(trace.decision.reason);
    for (const mark of trace.marks) w.tag(F.MARKS, WireType.LEN).string(mark);
    if (trace.rejectedReason !== undefined)
      w.tag(F.REJECTED_REASON, WireType.LEN).string(trace.rejectedReason);
    if (trace.summary) writeSummary(w, trace.summary);
  }
  return w.finish();
}

/** The last range written and its bytes: every item of a batch has the same one. */
let lastRange: { readonly text: string; readonly bytes: Uint8Array } | undefined;

function writeRange(w: ProtoWriter, field: number, range: string): void {
  if (lastRange?.text !== range) lastRange = { text: range, bytes: rangeBytes(range) };
  w.tag(field, WireType.LEN).bytes(lastRange.bytes);
}

const rangeWriter = new ProtoWriter(256);

function rangeBytes(range: string): Uint8Array {
  const w = rangeWriter.reset();
  const [shard = '', first = '', last = ''] = range.split(' ');
  const shardNumber = SHARD_ID.exec(shard)?.[1];
  if (shardNumber !== undefined) w.tag(RANGE.SHARD_NUMBER, WireType.VARINT).int64(Number(shardNumber));
  else w.tag(RANGE.SHARD, WireType.LEN).string(shard);
  const numeric =
    CANONICAL_DECIMAL.test(first) && CANONICAL_DECIMAL.test(last) && BigInt(last) >= BigInt(first);
  if (numeric) {
    w.tag(RANGE.FIRST, WireType.LEN).bytes(bytesOfNumber(BigInt(first)));
    w.tag(RANGE.LAST_DELTA, WireType.LEN).bytes(bytesOfNumber(BigInt(last) - BigInt(first)));
  } else {
    w.tag(RANGE.FIRST_TEXT, WireType.LEN).string(first);
    w.tag(RANGE.LAST_TEXT, WireType.LEN).string(last);
  }
  return w.finish();
}

function writeSummary(w: ProtoWriter, summary: HeadSummary): void {
  w.tag(F.SUMMARY, WireType.LEN).fork();
  w.tag(SUMMARY.ROOT_SPAN_ID, WireType.LEN).string(summary.rootSpanId);
  w.tag(SUMMARY.ROOT_SERVICE, WireType.LEN).string(summary.rootService);
  w.tag(SUMMARY.ROOT_NAME, WireType.LEN).string(summary.rootName);
  w.tag(SUMMARY.START, WireType.I64).fixed64(summary.startTimeUnixNano);
  w.tag(SUMMARY.DURATION, WireType.VARINT).int64(summary.durationNano);
  w.tag(SUMMARY.ERROR_COUNT, WireType.VARINT).int64(summary.errorCount);
  for (const service of summary.services) w.tag(SUMMARY.SERVICES, WireType.LEN).string(service);
  w.tag(SUMMARY.SERVICES_OMITTED, WireType.VARINT).int64(summary.servicesOmitted);
  w.join();
}

/** Unsigned big-endian bytes of `value`, none for 0. */
function bytesOfNumber(value: bigint): Uint8Array {
  const hex = value === 0n ? '' : value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

function numberOfBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Decodes a head; throws a StorageError when it is not a version 2 head or is malformed. */
export function decodeHead(bytes: Uint8Array): Head {
  const r = new ProtoReader(bytes);
  let version = 0;
  let range: string | undefined;
  let blobBytes = 0;
  let lateRange: string | undefined;
  let spanCount: number | undefined;
  let storedBytes = 0;
  let firstArrivalMs = 0;
  const decision = { policy: '', probability: 0, threshold: '', reason: '' };
  const marks: string[] = [];
  let rejectedReason: string | undefined;
  let summary: HeadSummary | undefined;
  const resources: Uint8Array[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    const wire = HEAD_WIRE[tag >>> 3];
    if (wire !== undefined) r.expect(tag, wire);
    switch (tag >>> 3) {
      case F.VERSION:
        version = r.uint32();
        break;
      case F.RANGE:
        range = readRange(r);
        break;
      case F.LATE_RANGE:
        lateRange = readRange(r);
        break;
      case F.BLOB_BYTES:
        blobBytes = Number(r.int64());
        break;
      case F.SPAN_COUNT:
        spanCount = Number(r.int64());
        break;
      case F.STORED_BYTES:
        storedBytes = Number(r.int64());
        break;
      case F.FIRST_ARRIVAL:
        firstArrivalMs = Number(r.int64());
        break;
      case F.POLICY:
        decision.policy = r.string();
        break;
      case F.PROBABILITY:
        decision.probability = r.double();
        break;
      case F.THRESHOLD:
        decision.threshold = r.string();
        break;
      case F.REASON:
        decision.reason = r.string();
        break;
      case F.MARKS:
        marks.push(r.string());
        break;
      case F.REJECTED_REASON:
        rejectedReason = r.string();
        break;
      case F.SUMMARY:
        summary = readSummary(r);
        break;
      case F.RESOURCES:
        resources.push(r.bytes().slice());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (version !== HEAD_VERSION) throw new StorageError(`unknown item head version ${version}`);
  if (range === undefined) throw new StorageError('item head without a range');
  if (spanCount === undefined) return { range, blobBytes, resources };
  const trace: HeadTrace = {
    spanCount,
    storedBytes,
    firstArrivalMs,
    decision,
    marks,
    ...(lateRange !== undefined ? { lateRange } : {}),
    ...(rejectedReason !== undefined ? { rejectedReason } : {}),
    ...(summary ? { summary } : {}),
  };
  return { range, blobBytes, resources, trace };
}

function readRange(r: ProtoReader): string {
  const end = r.delimitedEnd();
  const outer = r.end;
  r.end = end;
  let shard = '';
  let first = '';
  let last = '';
  let delta: bigint | undefined;
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field >= RANGE.SHARD && field <= RANGE.LAST_TEXT)
      r.expect(tag, field === RANGE.SHARD_NUMBER ? WireType.VARINT : WireType.LEN);
    switch (field) {
      case RANGE.SHARD:
        shard = r.string();
        break;
      case RANGE.SHARD_NUMBER:
        shard = `shardId-${String(r.int64()).padStart(12, '0')}`;
        break;
      case RANGE.FIRST:
        first = numberOfBytes(r.bytes()).toString();
        break;
      case RANGE.FIRST_TEXT:
        first = r.string();
        break;
      case RANGE.LAST_DELTA:
        delta = numberOfBytes(r.bytes());
        break;
      case RANGE.LAST_TEXT:
        last = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outer;
  if (delta !== undefined) last = (BigInt(first) + delta).toString();
  return `${shard} ${first} ${last}`;
}

function readSummary(r: ProtoReader): HeadSummary {
  const end = r.delimitedEnd();
  const outer = r.end;
  r.end = end;
  const summary = {
    rootSpanId: '',
    rootService: '',
    rootName: '',
    startTimeUnixNano: 0n,
    durationNano: 0,
    errorCount: 0,
    services: [] as string[],
    servicesOmitted: 0,
  };
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field >= SUMMARY.ROOT_SPAN_ID && field <= SUMMARY.SERVICES_OMITTED)
      r.expect(tag, SUMMARY_WIRE[field] ?? WireType.LEN);
    switch (field) {
      case SUMMARY.ROOT_SPAN_ID:
        summary.rootSpanId = r.string();
        break;
      case SUMMARY.ROOT_SERVICE:
        summary.rootService = r.string();
        break;
      case SUMMARY.ROOT_NAME:
        summary.rootName = r.string();
        break;
      case SUMMARY.START:
        summary.startTimeUnixNano = r.fixed64();
        break;
      case SUMMARY.DURATION:
        summary.durationNano = Number(r.int64());
        break;
      case SUMMARY.ERROR_COUNT:
        summary.errorCount = Number(r.int64());
        break;
      case SUMMARY.SERVICES:
        summary.services.push(r.string());
        break;
      case SUMMARY.SERVICES_OMITTED:
        summary.servicesOmitted = Number(r.int64());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outer;
  return summary;
}
