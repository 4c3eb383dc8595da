/**
 * The spans of a request grouped by trace, in one pass that both the per-trace write rate and the
 * packer read. Protobuf requests are grouped straight from the 16 id bytes in the body: grouping
 * twice by a string a span (to meter, then to pack) and hashing with node:crypto took 31% of
 * protobuf ingest in a CPU profile of the benchmark workload (issue 18), this about 11%.
 */
import { randomFillSync } from 'node:crypto';
import type { ScannedRequest, ScannedSpan } from '../shared/otlp/index.ts';
import { traceHashWords } from '../shared/routing/index.ts';
import type { TraceRateLimiter } from './trace-rate.ts';

export interface TraceGroups {
  /** Distinct traces, numbered in the order of their first span. */
  readonly count: number;
  /** The trace of each span, by the span's index in the request. */
  readonly traceOfSpan: Int32Array;
  /** Each trace's hash key (routing/hash-key.ts): four words a trace, most significant first. */
  readonly hashWords: Uint32Array;
  /** 1 for a trace refused by its write rate, whose spans are left out; absent when none is. */
  readonly refused?: Uint8Array;
}

/** Groups of a protobuf request, with where each trace's id is in its body. */
export interface ScannedTraceGroups extends TraceGroups {
  /** Offset of each trace's id in the body (its first span's). */
  readonly idAt: Int32Array;
}

const TRACE_ID_BYTES = 16;

/**
 * Simple tabulation hashing of the 16 id bytes: a random word per (position, byte value), xored.
 * Random per container, so a client cannot choose ids that collide in the table below (trace ids
 * are the client's choice; a fixed hash would let one request of colliding ids probe quadratically);
 * the grouping itself never depends on the draw.
 */
const TABULATION = randomFillSync(new Int32Array(TRACE_ID_BYTES * 256));

function idHash(bytes: Uint8Array, at: number): number {
  let h = 0;
  for (let i = 0; i < TRACE_ID_BYTES; i++) h ^= TABULATION[(i << 8) | (bytes[at + i] as number)] as number;
  return h;
}

function sameId(bytes: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < TRACE_ID_BYTES; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/** Groups a scanned request's spans by the trace id bytes at each span's traceIdAt. */
export function groupScannedSpans(scan: ScannedRequest): ScannedTraceGroups {
  const { bytes, spans } = scan;
  let size = 16;
  while (size < 2 * spans.length) size *= 2;
  const mask = size - 1;
  // Open addressing, linear probing: trace number + 1 in each used slot.
  const slots = new Int32Array(size);
  const traceOfSpan = new Int32Array(spans.length);
  const idAt = new Int32Array(spans.length);
  let count = 0;
  for (let s = 0; s < spans.length; s++) {
    const at = (spans[s] as ScannedSpan).traceIdAt;
    let slot = idHash(bytes, at) & mask;
    let trace = (slots[slot] as number) - 1;
    while (trace >= 0 && !sameId(bytes, idAt[trace] as number, at)) {
      slot = (slot + 1) & mask;
      trace = (slots[slot] as number) - 1;
    }
    if (trace < 0) {
      trace = count++;
      slots[slot] = count;
      idAt[trace] = at;
    }
    traceOfSpan[s] = trace;
  }
  const hashWords = new Uint32Array(4 * count);
  for (let t = 0; t < count; t++) traceHashWords(bytes, idAt[t] as number, hashWords, 4 * t);
  return { count, traceOfSpan, hashWords, idAt: idAt.subarray(0, count) };
}

/** Groups decoded spans by their hex trace id (JSON and Zipkin requests, already decoded). */
export function groupDecodedSpans(spans: ReadonlyArray<{ readonly traceId: string }>): TraceGroups {
  const traces = new Map<string, number>();
  const traceOfSpan = new Int32Array(spans.length);
  const ids: string[] = [];
  spans.forEach((span, s) => {
    let trace = traces.get(span.traceId);
    if (trace === undefined) {
      trace = ids.push(span.traceId) - 1;
      traces.set(span.traceId, trace);
    }
    traceOfSpan[s] = trace;
  });
  const hashWords = new Uint32Array(4 * ids.length);
  ids.forEach((id, t) => {
    traceHashWords(Buffer.from(id, 'hex'), 0, hashWords, 4 * t);
  });
  return { count: ids.length, traceOfSpan, hashWords };
}

/**
 * A protobuf request's traces metered by their write rate (trace-rate.ts), in the order of their
 * first span, each by the bytes of its spans; the groups with the refused traces marked, and how
 * many spans those held. Keys are the id bytes as latin1 text, as the limiter has always seen them.
 */
export function meterScannedTraces(
  scan: ScannedRequest,
  groups: ScannedTraceGroups,
  limiter: TraceRateLimiter,
): { readonly groups: TraceGroups; readonly refusedSpans: number } {
  if (!limiter.enabled) return { groups, refusedSpans: 0 };
  const { count, traceOfSpan, idAt } = groups;
  const spanBytes = new Float64Array(count);
  const spanCounts = new Int32Array(count);
  scan.spans.forEach((span, s) => {
    const trace = traceOfSpan[s] as number;
    spanBytes[trace] = (spanBytes[trace] as number) + span.end - span.start;
    spanCounts[trace] = (spanCounts[trace] as number) + 1;
  });
  const body = Buffer.from(scan.bytes.buffer, scan.bytes.byteOffset, scan.bytes.byteLength);
  const refused = new Uint8Array(count);
  let refusedSpans = 0;
  for (let t = 0; t < count; t++) {
    const at = idAt[t] as number;
    if (limiter.admit(body.toString('latin1', at, at + TRACE_ID_BYTES), spanBytes[t] as number)) continue;
    refused[t] = 1;
    refusedSpans += spanCounts[t] as number;
  }
  return refusedSpans === 0 ? { groups, refusedSpans } : { groups: { ...groups, refused }, refusedSpans };
}
