/**
 * The DynamoDB items of one trace (pure: plain data in, plain items out).
 *
 *   part `trace`            the summary (and, for every trace that fits, all its spans inline:
 *                           one item, so a median kept trace costs one base-table write of
 *                           ~1.5 KB = 2 write units, plus 1 for the service index)
 *   part `spans#0001`...    span chunks of a first write too large to inline
 *   part `late#<batch>#0001`...  spans of a late fragment, keyed by the batch that wrote them
 *
 * Every item has `expires_at` (TTL) from the trace's first arrival, so all parts expire together
 * and a redelivered batch computes the same value; `batch` names the batch that wrote the item,
 * which is how a late fragment tells its own earlier write (redelivery) from other batches.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { BatchRef } from '../shared/sampling/kept-trace.ts';
import { makeResource, type Span } from '../shared/span/model.ts';
import { TRACE_TABLE } from '../shared/storage/layout.ts';
import { SpanTooLargeError, StoredTraceCorruptError } from './errors.ts';
import { decodeSpanBlob, encodeSpanBlob, SPAN_BLOB_CODEC } from './span-blob.ts';
import type { TraceSummary } from './summary.ts';

export type TraceItem = Record<string, AttributeValue>;

export const TRACE_PART = 'trace';
const FIRST_CHUNK_PREFIX = 'spans#';
const LATE_CHUNK_PREFIX = 'late#';

/**
 * Largest compressed blob in one item: the item limit is 400 KB (409,600 bytes) including
 * attribute names and the summary, which stay under 4 KB.
 */
export const CHUNK_LIMIT_BYTES = 350_000;

const DAY_SECONDS = 86_400;

/** Stable short name of a batch: its part keys and `batch` attributes are derived from it. */
export function batchTag(batch: BatchRef): string {
  return createHash('sha256')
    .update(`${batch.shardId}\u0000${batch.firstSequenceNumber}\u0000${batch.lastSequenceNumber}`)
    .digest('base64url')
    .slice(0, 16);
}

/**
 * The write of one batch: its tag (part keys, `batch` attributes) and its shard's sequence range
 * (`batch_range`), by which a retry recognises what a failed attempt at the same records wrote.
 */
export interface Delivery {
  readonly tag: string;
  readonly range: string;
}

export function deliveryOf(batch: BatchRef): Delivery {
  return {
    tag: batchTag(batch),
    range: `${batch.shardId} ${batch.firstSequenceNumber} ${batch.lastSequenceNumber}`,
  };
}

/**
 * True when what `stored` wrote and `batch` are attempts at the same records: the same tag, or the
 * same shard with overlapping sequence ranges (a retry, whole or bisected; batches the event source
 * mapping checkpointed never overlap). Such a write is redone, not merged: the failed attempt's
 * Parquet files are unlisted by the retry's manifest write, so its spans are not "stored".
 */
export function sameDelivery(
  stored: { readonly tag: string; readonly range: string },
  batch: BatchRef,
): boolean {
  const mine = deliveryOf(batch);
  if (stored.tag === mine.tag) return true;
  const [shard, first, last] = stored.range.split(' ');
  if (shard !== batch.shardId || first === undefined || last === undefined) return false;
  return (
    BigInt(first) <= BigInt(batch.lastSequenceNumber) && BigInt(batch.firstSequenceNumber) <= BigInt(last)
  );
}

/** TTL (epoch seconds): retention counted from the trace's first arrival, so it is deterministic. */
export function expiresAtOf(firstArrivalMs: number, retentionDays: number): number {
  return Math.floor(firstArrivalMs / 1000) + retentionDays * DAY_SECONDS;
}

/** Items of a trace's first write: the trace item, with spans inline when they fit in one chunk. */
export function firstWriteItems(
  summary: TraceSummary,
  spans: readonly Span[],
  delivery: Delivery,
  expiresAt: number,
): TraceItem[] {
  const blobs = chunkBlobs(summary.traceId, spans);
  const traceItem: TraceItem = {
    ...keyOf(summary.traceId, TRACE_PART),
    ...summaryAttributes(summary),
    expires_at: { N: String(expiresAt) },
    batch: { S: delivery.tag },
    batch_range: { S: delivery.range },
  };
  if (blobs.length === 1) {
    traceItem.codec = { S: SPAN_BLOB_CODEC };
    traceItem.spans = { B: blobs[0] as Uint8Array };
    return [traceItem];
  }
  return [traceItem, ...chunkItems(summary.traceId, FIRST_CHUNK_PREFIX, blobs, delivery, expiresAt)];
}

/**
 * Items of a late fragment: the stored trace item with the new summary (its inline spans and
 * first-write attributes kept byte for byte), and the new spans in chunks keyed by this batch.
 */
export function lateWriteItems(
  stored: StoredTrace,
  summary: TraceSummary,
  newSpans: readonly Span[],
  delivery: Delivery,
): TraceItem[] {
  const traceItem: TraceItem = { ...stored.traceItem, ...summaryAttributes(summary) };
  if (newSpans.length === 0) return [traceItem];
  const blobs = chunkBlobs(summary.traceId, newSpans);
  return [
    traceItem,
    ...chunkItems(summary.traceId, `${LATE_CHUNK_PREFIX}${delivery.tag}#`, blobs, delivery, stored.expiresAt),
  ];
}

function chunkItems(
  traceId: string,
  prefix: string,
  blobs: readonly Uint8Array[],
  delivery: Delivery,
  expiresAt: number,
): TraceItem[] {
  return blobs.map((blob, i) => ({
    ...keyOf(traceId, `${prefix}${String(i + 1).padStart(4, '0')}`),
    expires_at: { N: String(expiresAt) },
    batch: { S: delivery.tag },
    batch_range: { S: delivery.range },
    codec: { S: SPAN_BLOB_CODEC },
    spans: { B: blob },
  }));
}

function keyOf(traceId: string, part: string): TraceItem {
  return { [TRACE_TABLE.partitionKey]: { S: traceId }, [TRACE_TABLE.sortKey]: { S: part } };
}

function summaryAttributes(summary: TraceSummary): TraceItem {
  const item: TraceItem = {
    [TRACE_TABLE.byServiceIndex.partitionKey]: { S: summary.rootService },
    [TRACE_TABLE.byServiceIndex.sortKey]: { N: String(summary.startTimeUnixNano / 1_000_000n) },
    root_span_id: { S: summary.rootSpanId },
    root_name: { S: summary.rootName },
    start_ns: { N: summary.startTimeUnixNano.toString() },
    end_ns: { N: summary.endTimeUnixNano.toString() },
    duration_ns: { N: String(summary.durationNano) },
    span_count: { N: String(summary.spanCount) },
    error_count: { N: String(summary.errorCount) },
    services: { L: summary.services.map((s) => ({ S: s })) },
    policy: { S: summary.policy },
    probability: { N: String(summary.probability) },
    threshold: { S: summary.threshold },
    reason: { S: summary.reason },
    first_arrival_ms: { N: String(summary.firstArrivalMs) },
  };
  return item;
}

/**
 * Splits spans into blobs of at most CHUNK_LIMIT_BYTES: one blob when they fit (nearly always),
 * else contiguous groups halved until each fits. A single span too large even alone is stored
 * without its attributes, events and links (marked `tracesift.truncated`), since failing would
 * block the shard forever; its full copy is in Parquet.
 */
export function chunkBlobs(traceId: string, spans: readonly Span[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const pending: (readonly Span[])[] = [spans];
  while (pending.length > 0) {
    const group = pending.shift() as readonly Span[];
    const blob = encodeSpanBlob(group);
    if (blob.length <= CHUNK_LIMIT_BYTES) {
      out.push(blob);
      continue;
    }
    if (group.length === 1) {
      const span = group[0] as Span;
      const truncated = encodeSpanBlob([truncatedSpan(span)]);
      if (truncated.length > CHUNK_LIMIT_BYTES)
        throw new SpanTooLargeError(traceId, span.spanId, truncated.length, CHUNK_LIMIT_BYTES);
      out.push(truncated);
      continue;
    }
    const parts = Math.max(2, Math.ceil((blob.length / CHUNK_LIMIT_BYTES) * 1.25));
    const size = Math.ceil(group.length / parts);
    const split: (readonly Span[])[] = [];
    for (let i = 0; i < group.length; i += size) split.push(group.slice(i, i + size));
    pending.unshift(...split);
  }
  return out;
}

export const TRUNCATED_ATTRIBUTE = 'tracesift.truncated';

function truncatedSpan(span: Span): Span {
  return {
    ...span,
    name: span.name.slice(0, 1024),
    attributes: { [TRUNCATED_ATTRIBUTE]: 'span exceeded the DynamoDB item size limit' },
    events: [],
    links: [],
    status: { code: span.status.code, message: span.status.message.slice(0, 1024) },
    resource: makeResource({ 'service.name': span.resource.serviceName }),
  };
}

/** A trace as read back: its summary, its items, and its spans per stored part. */
export interface StoredTrace {
  readonly traceId: string;
  readonly summary: TraceSummary;
  readonly traceItem: TraceItem;
  /** The batch that wrote the first write. */
  readonly delivery: Delivery;
  readonly expiresAt: number;
  readonly parts: readonly {
    readonly part: string;
    readonly delivery: Delivery;
    readonly spans: readonly Span[];
  }[];
}

/** Decodes the items of one trace (any order); undefined when its trace item is missing. */
export function storedTraceOf(traceId: string, items: readonly TraceItem[]): StoredTrace | undefined {
  const traceItem = items.find((item) => item[TRACE_TABLE.sortKey]?.S === TRACE_PART);
  if (!traceItem) return undefined;
  const parts: { part: string; delivery: Delivery; spans: Span[] }[] = [];
  const ordered = [...items].sort((a, b) => partOrder(a) - partOrder(b) || compare(partOf(a), partOf(b)));
  for (const item of ordered) {
    const blob = item.spans?.B;
    if (!blob) continue;
    const part = partOf(item);
    let spans: Span[];
    try {
      spans = decodeSpanBlob(blob, item.codec?.S ?? '');
    } catch (error) {
      throw new StoredTraceCorruptError(traceId, part, (error as Error).message, { cause: error });
    }
    parts.push({ part, delivery: storedDelivery(item), spans });
  }
  return {
    traceId,
    summary: summaryOf(traceId, traceItem),
    traceItem,
    delivery: storedDelivery(traceItem),
    expiresAt: numberOf(traceId, traceItem, 'expires_at'),
    parts,
  };
}

function storedDelivery(item: TraceItem): Delivery {
  return { tag: item.batch?.S ?? '', range: item.batch_range?.S ?? '' };
}

/**
 * The stored spans, de-duplicated by span id (first stored copy wins), optionally without the
 * parts written by attempts at `redelivered`'s records (see sameDelivery).
 */
export function spansOf(stored: StoredTrace, redelivered?: BatchRef): Span[] {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const part of stored.parts) {
    if (redelivered && sameDelivery(part.delivery, redelivered)) continue;
    for (const span of part.spans) {
      if (seen.has(span.spanId)) continue;
      seen.add(span.spanId);
      out.push(span);
    }
  }
  return out;
}

export function summaryOf(traceId: string, item: TraceItem): TraceSummary {
  const text = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined)
      throw new StoredTraceCorruptError(traceId, TRACE_PART, `attribute ${name} missing`);
    return value;
  };
  const probability = numberOf(traceId, item, 'probability');
  let start: bigint;
  let end: bigint;
  try {
    start = BigInt(item.start_ns?.N ?? '');
    end = BigInt(item.end_ns?.N ?? '');
  } catch (error) {
    throw new StoredTraceCorruptError(traceId, TRACE_PART, 'start_ns/end_ns are not integers', {
      cause: error,
    });
  }
  return {
    traceId,
    rootSpanId: text('root_span_id'),
    rootService: text(TRACE_TABLE.byServiceIndex.partitionKey),
    rootName: text('root_name'),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationNano: numberOf(traceId, item, 'duration_ns'),
    spanCount: numberOf(traceId, item, 'span_count'),
    errorCount: numberOf(traceId, item, 'error_count'),
    services: (item.services?.L ?? []).map((v) => v.S ?? ''),
    policy: text('policy'),
    probability,
    adjustedCount: probability > 0 ? 1 / probability : 0,
    threshold: text('threshold'),
    reason: text('reason'),
    firstArrivalMs: numberOf(traceId, item, 'first_arrival_ms'),
  };
}

function numberOf(traceId: string, item: TraceItem, name: string): number {
  const value = Number(item[name]?.N);
  if (item[name]?.N === undefined || !Number.isFinite(value))
    throw new StoredTraceCorruptError(traceId, partOf(item), `attribute ${name} is not a number`);
  return value;
}

function partOf(item: TraceItem): string {
  return item[TRACE_TABLE.sortKey]?.S ?? '';
}

function partOrder(item: TraceItem): number {
  const part = partOf(item);
  if (part === TRACE_PART) return 0;
  if (part.startsWith(FIRST_CHUNK_PREFIX)) return 1;
  return 2;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether an item has expired (DynamoDB deletes expired items only eventually; dynalite never). */
export function isExpired(item: TraceItem, nowMs: number): boolean {
  const value = item.expires_at?.N;
  return value !== undefined && Number(value) * 1000 <= nowMs;
}

/** The DynamoDB size of an item (attribute names plus values), as billed in write units. */
export function itemSize(item: TraceItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined)
    return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined)
    return (
      3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0)
    );
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  return 0;
}

/** Write units of one item write: one per started KB. */
export function writeUnits(item: TraceItem): number {
  return Math.max(1, Math.ceil(itemSize(item) / 1024));
}
