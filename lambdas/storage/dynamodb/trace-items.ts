/**
 * The DynamoDB items of one trace (pure: plain data in, plain items out). docs/STORAGE.md has the format.
 *
 *   part `trace`            the head (the decision, the trace's extent, who wrote it) and, for a
 *                           trace whose spans compress to INLINE_LIMIT_BYTES, all its spans inline:
 *                           one item, under 1 KB (one write unit) for a median kept trace
 *   part `spans#0001`...    span chunks of a first write too large to inline
 *   part `late#<batch>#0001`...  spans of a late fragment, keyed by the batch that wrote them
 *
 * and, under their own partition key `resource#<hash>`, the resources the spans name (span-pack.ts):
 * written with the first trace naming them, read with every trace that does.
 *
 * Items are written in version 2: `head` (trace-head.ts) and `spans` (span-blob.ts), nothing else
 * but the keys and `expires_at`. The summary (root, times, counts, services) is not stored: it is
 * computed from the stored spans when the trace is read, so only a trace whose spans DynamoDB
 * refused keeps it in its head. Version 1 items (the summary as named attributes, an OTLP blob
 * named by `codec`) are still read, and a late fragment merges with them.
 *
 * A late fragment writes new `late#` parts and re-puts the trace item (its head changed), never
 * an older chunk: the trace item holds at most INLINE_LIMIT_BYTES of spans, so re-putting it costs
 * a few write units, not the ~350 of a full inline chunk.
 *
 * Every item has `expires_at` (TTL) from the trace's first arrival, so all parts expire together
 * and a redelivered batch computes the same value; its head names the batch that wrote it, which
 * is how a late fragment tells its own earlier write (redelivery) from other batches.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { BatchRef, SamplingDecision } from '../../shared/sampling/kept-trace.ts';
import { makeResource, type Resource, type Span } from '../../shared/span/model.ts';
import { summarizeTrace, type TraceSummary } from '../enrich/summary.ts';
import { SpanTooLargeError, StoredTraceCorruptError } from '../errors.ts';
import { TRACE_TABLE } from '../layout/layout.ts';
import { boundedText, boundSummary, STORED_STRING_BYTES, type StoredSummary } from './bounds.ts';
import { itemSize } from './item-limits.ts';
import { decodeSpanBlob, encodedSpanBlob, SPAN_BLOB_VERSION, type SpanBlob } from './span-blob.ts';
import { type ExternalResource, unpackResource } from './span-pack.ts';
import { decodeHead, encodeHead, type Head, type HeadTrace } from './trace-head.ts';

export { itemSize };

export type TraceItem = Record<string, AttributeValue>;

export const TRACE_PART = 'trace';
/** Attributes of version 2 items (besides the keys and `expires_at`). */
export const ITEM_ATTRIBUTES = { head: 'head', spans: 'spans', resource: 'resource' } as const;
/** Partition key prefix and sort key of resource items. */
const RESOURCE_PREFIX = 'resource#';
export const RESOURCE_PART = 'resource';
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

/**
 * A resource item expires this long after the traces its write was for: a writer puts it again
 * only once a later trace would outlive it, so at most about once a day (trace-store.ts).
 */
const RESOURCE_EXPIRY_MARGIN_SECONDS = DAY_SECONDS;

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

/** The delivery a stored range names: its tag is derived, so version 2 items store the range alone. */
function deliveryOfRange(range: string): Delivery {
  const [shardId = '', firstSequenceNumber = '', lastSequenceNumber = ''] = range.split(' ');
  return deliveryOf({ shardId, firstSequenceNumber, lastSequenceNumber });
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
  const bounded = boundSummary(summary);
  const only = blobs.length === 1 ? (blobs[0] as SpanBlob) : undefined;
  const inline = only && only.blob.length <= INLINE_LIMIT_BYTES ? only : undefined;
  const traceItem = itemOf(summary.traceId, TRACE_PART, expiresAt, {
    range: delivery.range,
    blobBytes: inline?.protobufBytes ?? 0,
    resources: inline ? hashesOf(inline) : [],
    trace: headTraceOf(bounded, protobufBytesOf(blobs), carriedMarks(bounded.truncated)),
  });
  const resources = resourceItemsOf(blobs, expiresAt);
  if (inline) return [...resources, { ...traceItem, ...blobAttributes(inline) }];
  return [
    ...resources,
    traceItem,
    ...chunkItems(summary.traceId, FIRST_CHUNK_PREFIX, blobs, delivery, expiresAt),
  ];
}

/** Whether an item is a resource item (firstWriteItems and lateWriteItems return them first). */
export function isResourceItem(item: TraceItem): boolean {
  return idOf(item).startsWith(RESOURCE_PREFIX);
}

function hashesOf(blob: SpanBlob): Uint8Array[] {
  return blob.resources.map((resource) => resource.hash);
}

/**
 * A resource's item, made once per resource and expiry: the traces of a batch mostly share both,
 * and items are never changed once made.
 */
const resourceItems = new WeakMap<ExternalResource, TraceItem>();

function resourceItemOf(resource: ExternalResource, expiresAt: number): TraceItem {
  const expiry = String(expiresAt + RESOURCE_EXPIRY_MARGIN_SECONDS);
  const made = resourceItems.get(resource);
  if (made?.[TRACE_TABLE.ttlAttribute]?.N === expiry) return made;
  const definition = made?.[ITEM_ATTRIBUTES.resource] ?? { B: versioned(resource.definition) };
  const item: TraceItem = {
    [TRACE_TABLE.partitionKey]: {
      S:
        made?.[TRACE_TABLE.partitionKey]?.S ??
        `${RESOURCE_PREFIX}${Buffer.from(resource.hash).toString('hex')}`,
    },
    [TRACE_TABLE.sortKey]: { S: RESOURCE_PART },
    [TRACE_TABLE.ttlAttribute]: { N: expiry },
    [ITEM_ATTRIBUTES.resource]: definition,
  };
  resourceItems.set(resource, item);
  return item;
}

/** A resource definition as stored: a version byte first. */
function versioned(definition: Uint8Array): Uint8Array {
  const out = new Uint8Array(definition.length + 1);
  out[0] = SPAN_BLOB_VERSION;
  out.set(definition, 1);
  return out;
}

/** One item per resource the blobs name, outliving `expiresAt` by RESOURCE_EXPIRY_MARGIN_SECONDS. */
function resourceItemsOf(blobs: readonly SpanBlob[], expiresAt: number): TraceItem[] {
  const items = new Set<TraceItem>();
  for (const blob of blobs)
    for (const resource of blob.resources) items.add(resourceItemOf(resource, expiresAt));
  return [...items];
}

/**
 * The trace item of a first write DynamoDB refused: the summary alone (its spans are in Parquet,
 * so it is kept in the head), `spans` named in its marks and the refusal as its rejected reason, so
 * trace by id and the decision lookup still find the trace.
 */
export function rejectedTraceItem(
  summary: TraceSummary,
  delivery: Delivery,
  expiresAt: number,
  reason: string,
): TraceItem {
  const bounded = boundSummary(summary);
  return itemOf(summary.traceId, TRACE_PART, expiresAt, {
    range: delivery.range,
    blobBytes: 0,
    resources: [],
    trace: {
      ...headTraceOf(bounded, 0, [...bounded.truncated, 'spans'].sort()),
      rejectedReason: boundedText(reason, STORED_STRING_BYTES.reason).text,
      summary: {
        rootSpanId: bounded.rootSpanId,
        rootService: bounded.rootService,
        rootName: bounded.rootName,
        startTimeUnixNano: bounded.startTimeUnixNano,
        durationNano: bounded.durationNano,
        errorCount: bounded.errorCount,
        services: bounded.services,
        servicesOmitted: bounded.servicesOmitted,
      },
    },
  });
}

/**
 * Marks a stored trace keeps in its head: its decision's strings come bounded from the decision,
 * so their marks cannot be told again from them, and a first write refused for its spans stays
 * without them. Marks of the summary's strings are found again when it is computed on reading.
 */
const CARRIED_MARKS = new Set(['policy', 'reason', 'threshold', 'spans']);

function carriedMarks(marks: readonly string[]): string[] {
  return marks.filter((mark) => CARRIED_MARKS.has(mark));
}

function headTraceOf(summary: StoredSummary, storedBytes: number, marks: readonly string[]): HeadTrace {
  return {
    spanCount: summary.spanCount,
    storedBytes,
    firstArrivalMs: summary.firstArrivalMs,
    decision: {
      policy: summary.policy,
      probability: summary.probability,
      threshold: summary.threshold,
      reason: summary.reason,
    },
    marks,
  };
}

/**
 * Items of a late fragment: the stored trace item with a new head (its inline spans kept byte for
 * byte) naming this batch as its last writer, and the new spans in new chunks keyed by this batch.
 * `knownBytes` are the stored spans' bytes (StoredHead). A version 1 trace item becomes version 2:
 * its summary attributes go (the summary is computed from the spans), its inline blob stays as it
 * was written, with its `codec` and `span_bytes`.
 */
export function lateWriteItems(
  stored: StoredTrace,
  summary: TraceSummary,
  newSpans: readonly Span[],
  delivery: Delivery,
  knownBytes: number,
): TraceItem[] {
  const traceId = summary.traceId;
  const blobs = newSpans.length > 0 ? chunkBlobs(traceId, newSpans) : [];
  const bounded = boundSummary(summary, carriedMarks(stored.summary.truncated));
  const old = stored.traceItem;
  const rejectedReason = rejectedReasonOf(traceId, old);
  const oldHead = isVersion1(old) ? undefined : headOf(traceId, old);
  const traceItem: TraceItem = {
    ...itemOf(traceId, TRACE_PART, stored.expiresAt, {
      range: stored.delivery.range,
      blobBytes: oldHead?.blobBytes ?? 0,
      resources: oldHead?.resources ?? [],
      trace: {
        ...headTraceOf(bounded, knownBytes + protobufBytesOf(blobs), carriedMarks(bounded.truncated)),
        lateRange: delivery.range,
        ...(rejectedReason !== undefined ? { rejectedReason } : {}),
      },
    }),
    ...inlineBlobOf(old),
  };
  return [
    ...resourceItemsOf(blobs, stored.expiresAt),
    traceItem,
    ...chunkItems(traceId, `${LATE_CHUNK_PREFIX}${delivery.tag}#`, blobs, delivery, stored.expiresAt),
  ];
}

/** The span blob attributes of a stored item, as they are (a version 1 blob with its codec). */
function inlineBlobOf(item: TraceItem): TraceItem {
  const out: TraceItem = {};
  for (const name of [ITEM_ATTRIBUTES.spans, 'codec', 'span_bytes']) {
    const value = item[name];
    if (value) out[name] = value;
  }
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
    ...itemOf(traceId, `${prefix}${String(i + 1).padStart(4, '0')}`, expiresAt, {
      range: delivery.range,
      blobBytes: blob.protobufBytes,
      resources: hashesOf(blob),
    }),
    ...blobAttributes(blob),
  }));
}

function itemOf(traceId: string, part: string, expiresAt: number, head: Head): TraceItem {
  return {
    [TRACE_TABLE.partitionKey]: { S: traceId },
    [TRACE_TABLE.sortKey]: { S: part },
    [TRACE_TABLE.ttlAttribute]: { N: String(expiresAt) },
    [ITEM_ATTRIBUTES.head]: { B: encodeHead(head) },
  };
}

function blobAttributes(blob: SpanBlob): TraceItem {
  return { [ITEM_ATTRIBUTES.spans]: { B: blob.blob } };
}

function protobufBytesOf(blobs: readonly SpanBlob[]): number {
  return blobs.reduce((sum, b) => sum + b.protobufBytes, 0);
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
    const encoded = encodedSpanBlob(traceId, group);
    if (encoded.blob.length <= CHUNK_LIMIT_BYTES) {
      out.push(encoded);
      continue;
    }
    if (group.length === 1) {
      const span = group[0] as Span;
      const truncated = encodedSpanBlob(traceId, [truncatedSpan(span)]);
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

/** Decodes the items of one trace (any order, either version); undefined when its trace item is missing. */
export function storedTraceOf(traceId: string, items: readonly TraceItem[]): StoredTrace | undefined {
  const traceItem = items.find((item) => item[TRACE_TABLE.sortKey]?.S === TRACE_PART);
  if (!traceItem) return undefined;
  const parts: { part: string; delivery: Delivery; protobufBytes: number; spans: Span[] }[] = [];
  const resources = resourcesOf(traceId, items);
  const ordered = [...items].sort((a, b) => partOrder(a) - partOrder(b) || compare(partOf(a), partOf(b)));
  for (const item of ordered) {
    const blob = item[ITEM_ATTRIBUTES.spans]?.B;
    if (!blob || idOf(item) !== traceId) continue;
    const part = partOf(item);
    const named = item.codec
      ? []
      : headOf(traceId, item).resources.map((hash) => resourceNamed(traceId, part, resources, hash));
    let spans: Span[];
    try {
      spans = decodeSpanBlob(blob, traceId, item.codec?.S, named);
    } catch (error) {
      throw new StoredTraceCorruptError(traceId, part, (error as Error).message, { cause: error });
    }
    parts.push({
      part,
      delivery: storedDelivery(item),
      protobufBytes: blobBytesOf(traceId, item, blob),
      spans,
    });
  }
  const stored = {
    traceId,
    traceItem,
    delivery: storedDelivery(traceItem),
    expiresAt: numberOf(traceId, traceItem, TRACE_TABLE.ttlAttribute),
    parts,
  };
  return { ...stored, summary: storedSummaryOf(traceId, traceItem, () => spansOf(stored)) };
}

/** The resource items among `items`, by hash (hex). */
function resourcesOf(traceId: string, items: readonly TraceItem[]): Map<string, Resource> {
  const out = new Map<string, Resource>();
  for (const item of items) {
    if (!isResourceItem(item)) continue;
    const hash = idOf(item).slice(RESOURCE_PREFIX.length);
    const definition = item[ITEM_ATTRIBUTES.resource]?.B;
    try {
      if (!definition || definition[0] !== SPAN_BLOB_VERSION)
        throw new Error(`resource ${hash} has no version ${SPAN_BLOB_VERSION} definition`);
      out.set(hash, unpackResource(definition.subarray(1)));
    } catch (error) {
      throw new StoredTraceCorruptError(traceId, idOf(item), (error as Error).message, { cause: error });
    }
  }
  return out;
}

function resourceNamed(
  traceId: string,
  part: string,
  resources: ReadonlyMap<string, Resource>,
  hash: Uint8Array,
): Resource {
  const hex = Buffer.from(hash).toString('hex');
  const resource = resources.get(hex);
  if (!resource) throw new StoredTraceCorruptError(traceId, part, `resource ${hex} is missing`);
  return resource;
}

/** The partition keys of the resource items the items' spans name (TraceTable reads them with the trace). */
export function resourceKeysOf(items: readonly TraceItem[]): string[] {
  const keys = new Set<string>();
  for (const item of items) {
    if (!item[ITEM_ATTRIBUTES.spans] || !item[ITEM_ATTRIBUTES.head]) continue;
    for (const hash of headOf(idOf(item), item).resources)
      keys.add(`${RESOURCE_PREFIX}${Buffer.from(hash).toString('hex')}`);
  }
  return [...keys];
}

/** OTLP protobuf bytes of an item's blob; a version 1 blob written before span_bytes counts its size. */
function blobBytesOf(traceId: string, item: TraceItem, blob: Uint8Array): number {
  if (!item.codec) return headOf(traceId, item).blobBytes;
  return Number(item.span_bytes?.N ?? blob.length);
}

/** The head of a version 2 item; a StoredTraceCorruptError when it has none or it is malformed. */
function headOf(traceId: string, item: TraceItem): Head {
  const bytes = item[ITEM_ATTRIBUTES.head]?.B;
  if (!bytes) throw new StoredTraceCorruptError(traceId, partOf(item), 'attribute head missing');
  try {
    return decodeHead(bytes);
  } catch (error) {
    throw new StoredTraceCorruptError(traceId, partOf(item), (error as Error).message, { cause: error });
  }
}

function headTrace(traceId: string, item: TraceItem): HeadTrace {
  const trace = headOf(traceId, item).trace;
  if (!trace) throw new StoredTraceCorruptError(traceId, partOf(item), 'head without the trace fields');
  return trace;
}

function isVersion1(item: TraceItem): boolean {
  return item[ITEM_ATTRIBUTES.head] === undefined;
}

/**
 * The summary of a stored trace: a version 1 trace item's attributes; a version 2 head's summary
 * when DynamoDB refused the spans; else computed from the stored spans under the stored decision,
 * bounded as the writers bound it (the decision's marks come from the head).
 */
function storedSummaryOf(traceId: string, traceItem: TraceItem, spans: () => Span[]): StoredSummary {
  if (isVersion1(traceItem)) return summaryOf(traceId, traceItem);
  const trace = headTrace(traceId, traceItem);
  const decision = { keep: true, ...trace.decision };
  const kept = trace.summary;
  if (!kept)
    return boundSummary(summarizeTrace(traceId, spans(), decision, trace.firstArrivalMs), trace.marks);
  return {
    traceId,
    ...kept,
    endTimeUnixNano: kept.startTimeUnixNano + BigInt(kept.durationNano),
    spanCount: trace.spanCount,
    ...trace.decision,
    adjustedCount: trace.decision.probability > 0 ? 1 / trace.decision.probability : 0,
    firstArrivalMs: trace.firstArrivalMs,
    truncated: trace.marks,
  };
}

/** Why DynamoDB refused the trace's spans, when it did. */
function rejectedReasonOf(traceId: string, traceItem: TraceItem): string | undefined {
  if (isVersion1(traceItem)) return traceItem.rejected_reason?.S;
  return headTrace(traceId, traceItem).rejectedReason;
}

/** The batch that wrote an item (either version). */
function storedDelivery(item: TraceItem): Delivery {
  if (isVersion1(item)) return { tag: item.batch?.S ?? '', range: item.batch_range?.S ?? '' };
  return deliveryOfRange(headOf(idOf(item), item).range);
}

/** The batch that last wrote the trace item: its last late fragment's, else its first write's. */
function lastDelivery(item: TraceItem): Delivery {
  if (isVersion1(item)) {
    if (item.late_batch?.S === undefined) return storedDelivery(item);
    return { tag: item.late_batch.S, range: item.late_batch_range?.S ?? '' };
  }
  const head = headOf(idOf(item), item);
  return deliveryOfRange(head.trace?.lateRange ?? head.range);
}

/** What a write must know of a stored trace before reading it whole (its trace item alone). */
export interface StoredHead {
  /** The batch of the first write. */
  readonly delivery: Delivery;
  /** The batch that last wrote the trace item. */
  readonly last: Delivery;
  readonly spanCount: number;
  /** OTLP protobuf bytes of the stored spans. */
  readonly storedBytes: number;
}

export function storedHeadOf(traceId: string, item: TraceItem): StoredHead {
  if (isVersion1(item))
    return {
      delivery: storedDelivery(item),
      last: lastDelivery(item),
      spanCount: Number(item.span_count?.N ?? 0),
      storedBytes: Number(item.stored_bytes?.N ?? 0),
    };
  const trace = headTrace(traceId, item);
  return {
    delivery: storedDelivery(item),
    last: lastDelivery(item),
    spanCount: trace.spanCount,
    storedBytes: trace.storedBytes,
  };
}

/** The decision a trace item records (either version); undefined when it records none readable. */
export function decisionOfItem(traceId: string, item: TraceItem): SamplingDecision | undefined {
  if (!isVersion1(item)) return { keep: true, ...headTrace(traceId, item).decision };
  const probability = Number(item.probability?.N);
  if (!Number.isFinite(probability)) return undefined;
  return {
    keep: true,
    policy: item.policy?.S ?? '',
    probability,
    threshold: item.threshold?.S ?? '',
    reason: item.reason?.S ?? '',
  };
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
export function spansOf(stored: Pick<StoredTrace, 'parts'>, redelivered?: BatchRef): Span[] {
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

/** The summary of a version 1 trace item, from its named attributes. */
function summaryOf(traceId: string, item: TraceItem): StoredSummary {
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

function idOf(item: TraceItem): string {
  return item[TRACE_TABLE.partitionKey]?.S ?? '';
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
