/**
 * The DynamoDB items of one trace (pure: plain data in, plain items out). docs/STORAGE.md has the format.
 *
 *   part `trace`            the summary (and, for a trace whose spans compress to INLINE_LIMIT_BYTES,
 *                           all its spans inline: one item, so a median kept trace costs one
 *                           base-table write of ~1.5 KB = 2 write units, plus 1 for the service index)
 *   part `spans#0001`...    span chunks of a first write too large to inline
 *   part `late#<batch>#0001`...  spans of a late fragment, keyed by the batch that wrote them
 *
 * A late fragment writes new `late#` parts and re-puts the trace item (its summary changed), never
 * an older chunk: the trace item holds at most INLINE_LIMIT_BYTES of spans, so re-putting it costs
 * a few write units, not the ~350 of a full inline chunk.
 *
 * Every item has `expires_at` (TTL) from the trace's first arrival, so all parts expire together
 * and a redelivered batch computes the same value; `batch` names the batch that wrote the item,
 * which is how a late fragment tells its own earlier write (redelivery) from other batches.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { BatchRef } from '../../shared/sampling/kept-trace.ts';
import { makeResource, type Span } from '../../shared/span/model.ts';
import type { TraceSummary } from '../enrich/summary.ts';
import { SpanTooLargeError, StoredTraceCorruptError } from '../errors.ts';
import { bucketedIndexKey, indexBucketOf, TRACE_TABLE } from '../layout/layout.ts';
import { boundedText, boundSummary, STORED_STRING_BYTES, type StoredSummary } from './bounds.ts';
import { itemSize } from './item-limits.ts';
import { decodeSpanBlob, encodedSpanBlob, SPAN_BLOB_CODEC, type SpanBlob } from './span-blob.ts';

export { itemSize };

export type TraceItem = Record<string, AttributeValue>;

export const TRACE_PART = 'trace';
const FIRST_CHUNK_PREFIX = 'spans#';
const LATE_CHUNK_PREFIX = 'late#';

/**
 * Largest compressed blob in one item: the item limit is 400 KB (409,600 bytes) including
 * attribute names and the summary, which stay under 4 KB.
 */
export const CHUNK_LIMIT_BYTES = 350_000;

/**
 * Largest blob kept inline in the trace item. A late fragment re-puts the trace item, so this
 * bounds what it rewrites (~4 write units) however large the trace; the median kept trace
 * (~1.5 KB) still takes one item.
 */
export const INLINE_LIMIT_BYTES = 4 * 1024;

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
    ...summaryAttributes(boundSummary(summary)),
    stored_bytes: { N: String(protobufBytesOf(blobs)) },
    expires_at: { N: String(expiresAt) },
    batch: { S: delivery.tag },
    batch_range: { S: delivery.range },
  };
  const only = blobs.length === 1 ? (blobs[0] as SpanBlob) : undefined;
  if (only && only.blob.length <= INLINE_LIMIT_BYTES) return [{ ...traceItem, ...blobAttributes(only) }];
  return [traceItem, ...chunkItems(summary.traceId, FIRST_CHUNK_PREFIX, blobs, delivery, expiresAt)];
}

/**
 * The trace item of a first write DynamoDB refused: the summary alone, `spans` named in
 * `truncated` and the refusal in `rejected_reason` (the spans are in Parquet), so trace by id and
 * the decision lookup still find the trace.
 */
export function rejectedTraceItem(
  summary: TraceSummary,
  delivery: Delivery,
  expiresAt: number,
  reason: string,
): TraceItem {
  const bounded = boundSummary(summary);
  return {
    ...keyOf(summary.traceId, TRACE_PART),
    ...summaryAttributes({ ...bounded, truncated: [...bounded.truncated, 'spans'].sort() }),
    rejected_reason: { S: boundedText(reason, STORED_STRING_BYTES.reason).text },
    stored_bytes: { N: '0' },
    expires_at: { N: String(expiresAt) },
    batch: { S: delivery.tag },
    batch_range: { S: delivery.range },
  };
}

/**
 * Marks a late fragment keeps: its decision's strings come from the stored (bounded) decision, and
 * a first write refused for its spans stays without them.
 */
const CARRIED_MARKS = new Set(['policy', 'reason', 'threshold', 'spans']);

/**
 * Items of a late fragment: the stored trace item with the new summary (its inline spans and
 * first-write attributes kept byte for byte) naming this batch as its last writer, and the new
 * spans in new chunks keyed by this batch. `knownBytes` are the stored spans' bytes (StoredHead).
 */
export function lateWriteItems(
  stored: StoredTrace,
  summary: TraceSummary,
  newSpans: readonly Span[],
  delivery: Delivery,
  knownBytes: number,
): TraceItem[] {
  const blobs = newSpans.length > 0 ? chunkBlobs(summary.traceId, newSpans) : [];
  const earlier = stored.summary.truncated.filter((attribute) => CARRIED_MARKS.has(attribute));
  const traceItem: TraceItem = {
    ...withoutSummaryMarks(stored.traceItem),
    ...summaryAttributes(boundSummary(summary, earlier)),
    stored_bytes: { N: String(knownBytes + protobufBytesOf(blobs)) },
    late_batch: { S: delivery.tag },
    late_batch_range: { S: delivery.range },
  };
  return [
    traceItem,
    ...chunkItems(summary.traceId, `${LATE_CHUNK_PREFIX}${delivery.tag}#`, blobs, delivery, stored.expiresAt),
  ];
}

/** The trace item without the marks a new summary sets afresh (only when they apply). */
function withoutSummaryMarks(item: TraceItem): TraceItem {
  const out = { ...item };
  delete out.truncated;
  delete out.services_omitted;
  return out;
}

function chunkItems(
  traceId: string,
  prefix: string,
  blobs: readonly SpanBlob[],
  delivery: Delivery,
  expiresAt: number,
): TraceItem[] {
  return blobs.map((blob, i) => ({
    ...keyOf(traceId, `${prefix}${String(i + 1).padStart(4, '0')}`),
    expires_at: { N: String(expiresAt) },
    batch: { S: delivery.tag },
    batch_range: { S: delivery.range },
    ...blobAttributes(blob),
  }));
}

function blobAttributes(blob: SpanBlob): TraceItem {
  return {
    codec: { S: SPAN_BLOB_CODEC },
    spans: { B: blob.blob },
    span_bytes: { N: String(blob.protobufBytes) },
  };
}

function protobufBytesOf(blobs: readonly SpanBlob[]): number {
  return blobs.reduce((sum, b) => sum + b.protobufBytes, 0);
}

function keyOf(traceId: string, part: string): TraceItem {
  return { [TRACE_TABLE.partitionKey]: { S: traceId }, [TRACE_TABLE.sortKey]: { S: part } };
}

function summaryAttributes(summary: StoredSummary): TraceItem {
  const item: TraceItem = {
    [TRACE_TABLE.byServiceIndex.partitionKey]: {
      S: bucketedIndexKey(summary.rootService, indexBucketOf(summary.traceId)),
    },
    [TRACE_TABLE.byServiceIndex.sortKey]: { N: String(summary.startTimeUnixNano / 1_000_000n) },
    root_span_id: { S: summary.rootSpanId },
    root_service: { S: summary.rootService },
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
  // A string set cannot be empty; an absent attribute reads as nothing truncated.
  if (summary.truncated.length > 0) item.truncated = { SS: [...summary.truncated] };
  if (summary.servicesOmitted > 0) item.services_omitted = { N: String(summary.servicesOmitted) };
  return item;
}

/**
 * Splits spans into blobs of at most CHUNK_LIMIT_BYTES: one blob when they fit (nearly always),
 * else contiguous groups halved until each fits. A single span too large even alone is stored
 * without its attributes, events and links (marked `tracesift.truncated`), since failing would
 * block the shard forever; its full copy is in Parquet.
 */
export function chunkBlobs(traceId: string, spans: readonly Span[]): SpanBlob[] {
  const out: SpanBlob[] = [];
  const pending: (readonly Span[])[] = [spans];
  while (pending.length > 0) {
    const group = pending.shift() as readonly Span[];
    const encoded = encodedSpanBlob(group);
    if (encoded.blob.length <= CHUNK_LIMIT_BYTES) {
      out.push(encoded);
      continue;
    }
    if (group.length === 1) {
      const span = group[0] as Span;
      const truncated = encodedSpanBlob([truncatedSpan(span)]);
      if (truncated.blob.length > CHUNK_LIMIT_BYTES)
        throw new SpanTooLargeError(traceId, span.spanId, truncated.blob.length, CHUNK_LIMIT_BYTES);
      out.push(truncated);
      continue;
    }
    const parts = Math.max(2, Math.ceil((encoded.blob.length / CHUNK_LIMIT_BYTES) * 1.25));
    const size = Math.ceil(group.length / parts);
    const split: (readonly Span[])[] = [];
    for (let i = 0; i < group.length; i += size) split.push(group.slice(i, i + size));
    pending.unshift(...split);
  }
  return out;
}

export const TRUNCATED_ATTRIBUTE = 'tracesift.truncated';

/** Bound of each string a truncated span keeps (UTF-8 bytes). */
const TRUNCATED_SPAN_STRING_BYTES = 1024;

function truncatedSpan(span: Span): Span {
  const bound = (text: string): string => boundedText(text, TRUNCATED_SPAN_STRING_BYTES).text;
  return {
    ...span,
    traceState: bound(span.traceState),
    name: bound(span.name),
    attributes: { [TRUNCATED_ATTRIBUTE]: 'span exceeded the DynamoDB item size limit' },
    events: [],
    links: [],
    status: { code: span.status.code, message: bound(span.status.message) },
    resource: makeResource({
      'service.name': boundedText(span.resource.serviceName, STORED_STRING_BYTES.service).text,
    }),
    scope: {
      ...span.scope,
      name: bound(span.scope.name),
      version: bound(span.scope.version),
      attributes: {},
    },
  };
}

/** A trace as read back: its summary, its items, and its spans per stored part. */
export interface StoredTrace {
  readonly traceId: string;
  readonly summary: StoredSummary;
  readonly traceItem: TraceItem;
  /** The batch that wrote the first write. */
  readonly delivery: Delivery;
  readonly expiresAt: number;
  readonly parts: readonly {
    readonly part: string;
    readonly delivery: Delivery;
    /** OTLP protobuf bytes of the part's spans, the measure of maxBytesPerTrace. */
    readonly protobufBytes: number;
    readonly spans: readonly Span[];
  }[];
}

/** Decodes the items of one trace (any order); undefined when its trace item is missing. */
export function storedTraceOf(traceId: string, items: readonly TraceItem[]): StoredTrace | undefined {
  const traceItem = items.find((item) => item[TRACE_TABLE.sortKey]?.S === TRACE_PART);
  if (!traceItem) return undefined;
  const parts: { part: string; delivery: Delivery; protobufBytes: number; spans: Span[] }[] = [];
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
    parts.push({
      part,
      delivery: storedDelivery(item),
      // Items written before span_bytes existed count their compressed size: a lower bound.
      protobufBytes: Number(item.span_bytes?.N ?? blob.length),
      spans,
    });
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

export function storedDelivery(item: TraceItem): Delivery {
  return { tag: item.batch?.S ?? '', range: item.batch_range?.S ?? '' };
}

/** The batch that last wrote the trace item: its last late fragment's, else its first write's. */
export function lastDelivery(item: TraceItem): Delivery {
  if (item.late_batch?.S === undefined) return storedDelivery(item);
  return { tag: item.late_batch.S, range: item.late_batch_range?.S ?? '' };
}

/** The stored bytes of spans outside `redelivered`'s parts (see sameDelivery). */
export function knownBytesOf(stored: StoredTrace, redelivered: BatchRef): number {
  let bytes = 0;
  for (const part of stored.parts) if (!sameDelivery(part.delivery, redelivered)) bytes += part.protobufBytes;
  return bytes;
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

export function summaryOf(traceId: string, item: TraceItem): StoredSummary {
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
    rootService: text('root_service'),
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
    truncated: item.truncated?.SS ?? [],
    servicesOmitted: item.services_omitted ? numberOf(traceId, item, 'services_omitted') : 0,
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

/** Write units of one item write: one per started KB. */
export function writeUnits(item: TraceItem): number {
  return Math.max(1, Math.ceil(itemSize(item) / 1024));
}
