/**
 * The sampler's sink: kept traces -> enrichment -> DynamoDB items and Parquet objects, both
 * idempotent per batch. Also the sampler's decision cache (DecisionLookup over the table).
 *
 * Every fragment of a kept trace merges with what is stored, whether the sampler marked it late
 * (it followed a known decision) or decided it afresh (a container that never saw the trace got
 * its root again, from an exporter retry after a restart): stored traces never shrink and never
 * double. Which traces are stored is asked once per write, for the fragments not marked late:
 * one strongly consistent read (BatchGetItem of the trace item, 1 read unit up to 4 KB) per kept
 * trace. A stored fragment is then merged:
 *  - the stored items are read (consistently); spans stored by *other* batches count as known,
 *    spans of this very batch do not, so a redelivered batch recomputes exactly what it wrote;
 *  - the new spans (not known yet) go to `late#<batch>#NNNN` chunk items, and the trace item is
 *    re-put with the summary recomputed over known + new spans (start, end, counts, services,
 *    root if the root came late): trace-by-id always returns the whole trace, summary right;
 *  - in Parquet the new spans become rows of the trace's own partition, with trace-level columns
 *    and critical path computed over the merged trace, and edges for the new spans only (edge
 *    rows add up); the traces table gets no second row, so no query counts a trace twice, and
 *    compaction later rewrites that row and the trace-level columns from all the trace's spans.
 * A "late" trace whose stored first write came from this same batch is a redelivery of the first
 * write and is simply written again as one.
 *
 * Bounds (issue: no client can hurt another): a late fragment adds spans only up to the per-trace
 * caps (sampling.maxSpansPerTrace, maxBytesPerTrace; the rest counted in LateSpansOverLimit), and a
 * fragment of a trace at its cap is dropped after reading its trace item's head only. Every stored
 * string is bounded (bounds.ts); a trace whose items DynamoDB still refuses is isolated: its batch
 * neighbours are stored, a first write is stored as its summary alone (marked, with the reason), a
 * late fragment is left out (RejectedTraces, RejectedSpans); Parquet holds their spans either way.
 *
 * The resources the spans name (trace-items.ts) are put before the traces naming them, each once
 * per container until a later trace would outlive the stored one: a few write units a day.
 */
import type { StorageConfig } from '../shared/config/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  SinkWriteOutcome,
  TraceSink,
} from '../shared/sampling/kept-trace.ts';
import type { Span } from '../shared/span/model.ts';
import { itemLimitViolation } from './dynamodb/item-limits.ts';
import { isFull, spansWithinCaps, type TraceCaps } from './dynamodb/trace-caps.ts';
import {
  type Delivery,
  deliveryOf,
  expiresAtOf,
  firstWriteItems,
  isResourceItem,
  knownBytesOf,
  lateWriteItems,
  rejectedTraceItem,
  type StoredHead,
  sameDelivery,
  spansOf,
  storedTraceOf,
  type TraceItem,
} from './dynamodb/trace-items.ts';
import type { TraceTable } from './dynamodb/trace-table.ts';
import type { ServiceEdge } from './enrich/edges.ts';
import { enrichTrace } from './enrich/enrich.ts';
import { decisionOf, type TraceSummary } from './enrich/summary.ts';
import { SpanTooLargeError, TraceRejectedError } from './errors.ts';
import { TRACE_TABLE, TRACE_TABLE_KEYS } from './layout/layout.ts';
import { partitionOf } from './layout/partitions.ts';
import type { ParquetStore, TraceRowsWrite } from './parquet/store.ts';
import type { IndexedTraceWrite, SearchIndexWriter } from './search/index-writer.ts';
import { rootDecisionOf } from './search/search-terms.ts';

export interface TraceStoreDeps {
  readonly table: TraceTable;
  readonly parquet: ParquetStore;
  readonly storage: StorageConfig;
  /** The per-trace caps late fragments are held to (sampling.maxSpansPerTrace, maxBytesPerTrace). */
  readonly caps: TraceCaps;
  /** The search index the kept traces are added to (lambdas/storage/search). */
  readonly index: SearchIndexWriter;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** What one write stored, for metrics, the benchmark and tests. */
export interface TraceWriteReport {
  readonly traces: number;
  readonly spans: number;
  readonly lateSpans: number;
  /** Late spans not stored because their trace was at its span or byte cap (LateSpansOverLimit). */
  readonly lateSpansOverLimit: number;
  /** The same, by trace id. */
  readonly spansOverLimit: ReadonlyMap<string, number>;
  /**
   * Traces DynamoDB refused (or would refuse: an item over a limit), each alone: a first write is
   * stored as its summary only, marked, a late fragment is left out; their spans are in Parquet.
   */
  readonly rejectedTraces: number;
  readonly rejectedSpans: number;
  readonly items: number;
  readonly writeUnits: number;
  /** Resource items put (not put already by this container), and their write units. */
  readonly resourceItems: number;
  readonly resourceWriteUnits: number;
  /** Search items and catalogue entries written, and their write units. */
  readonly indexItems: number;
  readonly indexWriteUnits: number;
  /** Dependency counter updates (one write unit each). */
  readonly dependencyWriteUnits: number;
  /** Traces found stored already (by another batch), whose fragment was merged with them. */
  readonly mergedTraces: number;
  readonly objects: number;
  readonly parquetBytes: number;
}

/**
 * A first write holding more spans than the span cap (a trace decided at its span limit with the
 * rest of its batch) keeps the earliest within the caps. Bytes are left to the sampler's readiness
 * (it decides a trace once it grows past maxBytesPerTrace): measuring them here would encode every
 * first write once more.
 */
function withinCountCap(
  kept: KeptTrace,
  caps: TraceCaps,
  countOverLimit: (traceId: string, spans: number) => void,
): KeptTrace {
  if (kept.spans.length <= caps.maxSpans) return kept;
  const { admitted, dropped } = spansWithinCaps({ spans: 0, bytes: 0 }, kept.spans, caps);
  countOverLimit(kept.traceId, dropped);
  return { ...kept, spans: admitted };
}

/** The DynamoDB side of one trace's write. */
interface TraceItemsWrite {
  readonly traceId: string;
  readonly items: TraceItem[];
  readonly spans: number;
  /** What a first write stores when its items are refused: the summary alone, marked. */
  readonly fallback?: (reason: string) => TraceItem;
}

/** Resource items a container remembers having put; past this many it starts afresh (a few MB). */
const REMEMBERED_RESOURCES = 20_000;

export class TraceStore implements TraceSink, DecisionLookup {
  private readonly deps: TraceStoreDeps;
  /** Resource item key -> the expiry this container put it with. */
  private readonly resourcesPut = new Map<string, number>();

  public constructor(deps: TraceStoreDeps) {
    this.deps = deps;
  }

  public keptDecisions(traceIds: readonly string[]): Promise<ReadonlyMap<string, SamplingDecision>> {
    return this.deps.table.keptDecisions(traceIds);
  }

  public async write(
    traces: readonly KeptTrace[],
    batch: BatchRef,
    signal?: AbortSignal,
  ): Promise<SinkWriteOutcome> {
    const report = await this.writeWithReport(traces, batch, signal);
    return { spansOverLimit: report.spansOverLimit };
  }

  public async writeWithReport(
    traces: readonly KeptTrace[],
    batch: BatchRef,
    signal?: AbortSignal,
  ): Promise<TraceWriteReport> {
    const delivery = deliveryOf(batch);
    const merged = mergeByTrace(traces);
    const { heads, stored, full } = await this.storedOf(merged, batch);

    const writes: TraceItemsWrite[] = [];
    const rows: TraceRowsWrite[] = [];
    const indexed: IndexedTraceWrite[] = [];
    let lateSpans = 0;
    const overLimit = new Map<string, number>();
    const countOverLimit = (traceId: string, spans: number) => {
      if (spans > 0) overLimit.set(traceId, (overLimit.get(traceId) ?? 0) + spans);
    };
    for (const kept of merged) {
      if (full.has(kept.traceId)) {
        countOverLimit(kept.traceId, kept.spans.length);
        continue;
      }
      const head = heads.get(kept.traceId);
      const found = stored.get(kept.traceId);
      const previous = found ? storedTraceOf(kept.traceId, found) : undefined;
      if (!head || sameDelivery(head.delivery, batch) || !previous) {
        const first = this.firstWrite(withinCountCap(kept, this.deps.caps, countOverLimit), delivery);
        writes.push(first.write);
        rows.push(first.rows);
        indexed.push(first.indexed);
        continue;
      }
      const known = spansOf(previous, batch);
      const knownIds = new Set(known.map((s) => s.spanId));
      const fresh = kept.spans.filter((s) => !knownIds.has(s.spanId));
      const knownBytes = knownBytesOf(previous, batch);
      const { admitted, dropped } = spansWithinCaps(
        { spans: known.length, bytes: knownBytes },
        fresh,
        this.deps.caps,
      );
      countOverLimit(kept.traceId, dropped);
      if (admitted.length === 0) continue; // every span is stored already or over the caps: nothing changes
      const summary = previous.summary;
      const enrichment = enrichTrace(
        kept.traceId,
        [...known, ...admitted],
        decisionOf(summary),
        summary.firstArrivalMs,
        admitted,
      );
      writes.push({
        traceId: kept.traceId,
        items: lateWriteItems(previous, enrichment.summary, admitted, delivery, knownBytes),
        spans: admitted.length,
      });
      rows.push({
        partition: partitionOf(summary.firstArrivalMs),
        rows: { spans: admitted, enrichment },
        edges: enrichment.edges,
      });
      // A late span starting before the trace moves its start, under which the index files its
      // entries: the whole trace is indexed again at the new start, so a window ending before the
      // old start still finds the spans written first.
      const moved = enrichment.summary.startTimeUnixNano < summary.startTimeUnixNano;
      const spansIndexed = moved ? [...known, ...admitted] : admitted;
      indexed.push(indexedWrite(enrichment.summary, spansIndexed, previous.expiresAt, enrichment.edges));
      lateSpans += admitted.length;
    }

    const resources = this.resourcesToPut(writes);
    const checked = writes.map((w) =>
      withinItemLimits({ ...w, items: w.items.filter((i) => !isResourceItem(i)) }),
    );
    // Resources first: a stored trace never names a resource not stored.
    const resourceWriteUnits = await this.deps.table.putResources(resources);
    this.rememberResources(resources);
    // Both stores at once; wait for both before failing so no write is left dangling.
    const [dynamo, parquet, index] = await Promise.allSettled([
      this.putIsolated(checked),
      this.deps.parquet.writeBatch(batch, rows, signal),
      this.deps.index.write(indexed, delivery.tag),
    ]);
    if (dynamo.status === 'rejected') throw dynamo.reason;
    if (parquet.status === 'rejected') throw parquet.reason;
    if (index.status === 'rejected') throw index.reason;
    // Counters last: they are not idempotent, so a failure above must not have added them.
    const dependencyWriteUnits = await this.deps.index.addDependencies(indexed, delivery.tag);
    const rejected = dynamo.value.rejected;
    const report: TraceWriteReport = {
      traces: rows.length,
      spans: writes.reduce((sum, w) => sum + w.spans, 0),
      lateSpans,
      lateSpansOverLimit: [...overLimit.values()].reduce((sum, n) => sum + n, 0),
      spansOverLimit: overLimit,
      rejectedTraces: rejected.size,
      rejectedSpans: writes.reduce((sum, w) => sum + (rejected.has(w.traceId) ? w.spans : 0), 0),
      items: dynamo.value.items,
      writeUnits: dynamo.value.writeUnits,
      resourceItems: resources.length,
      resourceWriteUnits,
      indexItems: index.value.items,
      indexWriteUnits: index.value.writeUnits,
      dependencyWriteUnits,
      mergedTraces: stored.size,
      objects: parquet.value.objects,
      parquetBytes: parquet.value.bytes,
    };
    for (const [traceId, reason] of rejected)
      this.deps.logger?.log('warn', 'trace refused by DynamoDB, stored alone as its summary', {
        traceId,
        reason,
      });
    this.record(report);
    return report;
  }

  /** The resource items of `writes`, once each, but those this container put already to last long enough. */
  private resourcesToPut(writes: readonly TraceItemsWrite[]): TraceItem[] {
    const byKey = new Map<string, TraceItem>();
    for (const write of writes) {
      for (const item of write.items) {
        if (!isResourceItem(item)) continue;
        const key = item[TRACE_TABLE.partitionKey]?.S ?? '';
        const put = this.resourcesPut.get(key);
        if (put === undefined || put < expiryOf(item)) byKey.set(key, item);
      }
    }
    return [...byKey.values()];
  }

  private rememberResources(resources: readonly TraceItem[]): void {
    if (this.resourcesPut.size + resources.length > REMEMBERED_RESOURCES) this.resourcesPut.clear();
    for (const item of resources) {
      const key = item[TRACE_TABLE.partitionKey]?.S ?? '';
      this.resourcesPut.set(key, Math.max(this.resourcesPut.get(key) ?? 0, expiryOf(item)));
    }
  }

  private firstWrite(
    kept: KeptTrace,
    delivery: Delivery,
  ): { write: TraceItemsWrite; rows: TraceRowsWrite; indexed: IndexedTraceWrite } {
    const enrichment = enrichTrace(kept.traceId, kept.spans, kept.decision, kept.firstArrivalMs);
    const expiresAt = expiresAtOf(kept.firstArrivalMs, this.deps.storage.retentionDays);
    const summary = enrichment.summary;
    const fallback = (reason: string): TraceItem => rejectedTraceItem(summary, delivery, expiresAt, reason);
    let items: TraceItem[];
    try {
      items = firstWriteItems(summary, kept.spans, delivery, expiresAt);
    } catch (error) {
      if (!(error instanceof SpanTooLargeError)) throw error;
      items = [fallback(error.message)];
    }
    return {
      write: { traceId: kept.traceId, items, spans: kept.spans.length, fallback },
      rows: {
        partition: partitionOf(kept.firstArrivalMs),
        rows: { spans: kept.spans, enrichment },
        summary,
        edges: enrichment.edges,
      },
      indexed: indexedWrite(summary, kept.spans, expiresAt, enrichment.edges),
    };
  }

  /**
   * Puts every trace's items; the traces DynamoDB refuses are then written alone as their fallback
   * (a first write's summary), so a refused trace never costs its batch neighbours their write.
   */
  private async putIsolated(
    writes: readonly (TraceItemsWrite & { readonly refusal?: string })[],
  ): Promise<{ items: number; writeUnits: number; rejected: ReadonlyMap<string, string> }> {
    const rejected = new Map<string, string>();
    for (const w of writes) if (w.refusal) rejected.set(w.traceId, w.refusal);
    const items = writes.flatMap((w) => (w.refusal ? [] : w.items));
    const first = await this.deps.table.putItems(items);
    for (const [traceId, reason] of first.rejected) rejected.set(traceId, reason);
    const fallbacks = writes.flatMap((w) => {
      const reason = rejected.get(w.traceId);
      return reason !== undefined && w.fallback ? [w.fallback(reason)] : [];
    });
    const second = fallbacks.length > 0 ? await this.deps.table.putItems(fallbacks) : undefined;
    if (second && second.rejected.size > 0) {
      const [traceId, reason] = [...second.rejected][0] as [string, string];
      throw new TraceRejectedError(traceId, reason);
    }
    return {
      items: items.length - countOf(items, first.rejected) + fallbacks.length,
      writeUnits: first.writeUnits + (second?.writeUnits ?? 0),
      rejected,
    };
  }

  /**
   * Heads of every trace (first and last writer, extent), then the items of those stored by another
   * batch, except those at a cap whose last write was another batch's: their fragment cannot add a
   * span, so it is dropped without reading a trace that may be megabytes. (One whose last write was
   * an attempt at this batch is read: the retry must redo what the attempt wrote.) A trace first
   * written by an attempt at this batch's records is written again as is.
   */
  private async storedOf(
    traces: readonly KeptTrace[],
    batch: BatchRef,
  ): Promise<{
    heads: ReadonlyMap<string, StoredHead>;
    stored: ReadonlyMap<string, TraceItem[]>;
    full: ReadonlySet<string>;
  }> {
    const heads =
      traces.length > 0
        ? await this.deps.table.storedHeads(traces.map((t) => t.traceId))
        : new Map<string, StoredHead>();
    const read: string[] = [];
    const full = new Set<string>();
    for (const { traceId } of traces) {
      const head = heads.get(traceId);
      if (!head || sameDelivery(head.delivery, batch)) continue;
      const atCap = isFull({ spans: head.spanCount, bytes: head.storedBytes }, this.deps.caps);
      if (atCap && !sameDelivery(head.last, batch)) full.add(traceId);
      else read.push(traceId);
    }
    const stored = read.length > 0 ? await this.deps.table.tracesItems(read, true) : new Map();
    return { heads, stored, full };
  }

  private record(report: TraceWriteReport): void {
    const metrics = this.deps.metrics;
    if (metrics) {
      metrics.add('StoredTraces', report.traces);
      metrics.add('StoredSpans', report.spans);
      metrics.add('StoredLateSpans', report.lateSpans);
      metrics.add('LateSpansOverLimit', report.lateSpansOverLimit);
      metrics.add('RejectedTraces', report.rejectedTraces);
      metrics.add('RejectedSpans', report.rejectedSpans);
      metrics.add('StoredMergedTraces', report.mergedTraces);
      metrics.add(
        'DynamoDbWriteUnits',
        report.writeUnits + report.resourceWriteUnits + report.indexWriteUnits + report.dependencyWriteUnits,
      );
      metrics.add('SearchIndexWriteUnits', report.indexWriteUnits + report.dependencyWriteUnits);
      metrics.add('ParquetObjects', report.objects);
      metrics.add('ParquetBytes', report.parquetBytes, 'Bytes');
    }
    this.deps.logger?.log('debug', 'stored kept traces', { ...report });
  }
}

/** A trace write as the search index takes it: the spans written, under the trace's summary. */
export function indexedWrite(
  summary: TraceSummary,
  spans: readonly Span[],
  expiresAt: number,
  edges: readonly ServiceEdge[],
): IndexedTraceWrite {
  return {
    traceId: summary.traceId,
    startNano: summary.startTimeUnixNano,
    expiresAt,
    spans,
    rootSpanId: summary.rootSpanId,
    decision: rootDecisionOf(summary),
    adjustedCount: summary.adjustedCount,
    edges,
  };
}

/** A write whose items DynamoDB would refuse carries the refusal instead of being sent. */
function withinItemLimits(write: TraceItemsWrite): TraceItemsWrite & { readonly refusal?: string } {
  for (const item of write.items) {
    const refusal = itemLimitViolation(item, TRACE_TABLE_KEYS);
    if (refusal) return { ...write, refusal };
  }
  return write;
}

function expiryOf(item: TraceItem): number {
  return Number(item[TRACE_TABLE.ttlAttribute]?.N ?? 0);
}

function countOf(items: readonly TraceItem[], traces: ReadonlyMap<string, string>): number {
  return items.filter((item) => traces.has(item[TRACE_TABLE.partitionKey]?.S ?? '')).length;
}

/**
 * One entry per trace id: fragments of one trace in one call are merged (spans de-duplicated by
 * span id); the result is late only if every fragment was, and empty traces are dropped.
 */
export function mergeByTrace(traces: readonly KeptTrace[]): KeptTrace[] {
  const byId = new Map<
    string,
    { trace: KeptTrace; spans: Map<string, Span>; late: boolean; firstArrivalMs: number }
  >();
  for (const trace of traces) {
    let entry = byId.get(trace.traceId);
    if (!entry) {
      entry = { trace, spans: new Map(), late: trace.late, firstArrivalMs: trace.firstArrivalMs };
      byId.set(trace.traceId, entry);
    } else {
      entry.late &&= trace.late;
      entry.firstArrivalMs = Math.min(entry.firstArrivalMs, trace.firstArrivalMs);
      if (!trace.late && entry.trace.late) entry.trace = trace;
    }
    for (const span of trace.spans) if (!entry.spans.has(span.spanId)) entry.spans.set(span.spanId, span);
  }
  const out: KeptTrace[] = [];
  for (const { trace, spans, late, firstArrivalMs } of byId.values()) {
    if (spans.size === 0) continue;
    out.push({
      ...trace,
      spans: [...spans.values()],
      late,
      firstArrivalMs,
    });
  }
  return out;
}
