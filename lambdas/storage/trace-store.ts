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
 */
import type { StorageConfig } from '../shared/config/storage.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/emf.ts';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  TraceSink,
} from '../shared/sampling/kept-trace.ts';
import type { Span } from '../shared/span/model.ts';
import { enrichTrace } from './enrich.ts';
import type { ParquetStore, TraceRowsWrite } from './parquet-store.ts';
import { partitionOf } from './partitions.ts';
import { decisionOf } from './summary.ts';
import {
  type Delivery,
  deliveryOf,
  expiresAtOf,
  firstWriteItems,
  lateWriteItems,
  sameDelivery,
  spansOf,
  storedTraceOf,
  type TraceItem,
} from './trace-items.ts';
import type { TraceTable } from './trace-table.ts';

export interface TraceStoreDeps {
  readonly table: TraceTable;
  readonly parquet: ParquetStore;
  readonly storage: StorageConfig;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** What one write stored, for metrics, the benchmark and tests. */
export interface TraceWriteReport {
  readonly traces: number;
  readonly spans: number;
  readonly lateSpans: number;
  readonly items: number;
  readonly writeUnits: number;
  /** Traces found stored already (by another batch), whose fragment was merged with them. */
  readonly mergedTraces: number;
  readonly objects: number;
  readonly parquetBytes: number;
}

export class TraceStore implements TraceSink, DecisionLookup {
  private readonly deps: TraceStoreDeps;

  public constructor(deps: TraceStoreDeps) {
    this.deps = deps;
  }

  public keptDecisions(traceIds: readonly string[]): Promise<ReadonlyMap<string, SamplingDecision>> {
    return this.deps.table.keptDecisions(traceIds);
  }

  public async write(traces: readonly KeptTrace[], batch: BatchRef, signal?: AbortSignal): Promise<void> {
    await this.writeWithReport(traces, batch, signal);
  }

  public async writeWithReport(
    traces: readonly KeptTrace[],
    batch: BatchRef,
    signal?: AbortSignal,
  ): Promise<TraceWriteReport> {
    const delivery = deliveryOf(batch);
    const merged = mergeByTrace(traces);
    const stored = await this.storedItems(merged, batch);

    const items: TraceItem[] = [];
    const rows: TraceRowsWrite[] = [];
    let spans = 0;
    let lateSpans = 0;
    for (const kept of merged) {
      const found = stored.get(kept.traceId);
      const previous = found ? storedTraceOf(kept.traceId, found) : undefined;
      if (!previous || sameDelivery(previous.delivery, batch)) {
        const enrichment = enrichTrace(kept.traceId, kept.spans, kept.decision, kept.firstArrivalMs);
        const expiresAt = expiresAtOf(kept.firstArrivalMs, this.deps.storage.retentionDays);
        items.push(...firstWriteItems(enrichment.summary, kept.spans, delivery, expiresAt));
        rows.push({
          partition: partitionOf(kept.firstArrivalMs),
          rows: { spans: kept.spans, enrichment },
          summary: enrichment.summary,
          edges: enrichment.edges,
        });
        spans += kept.spans.length;
        continue;
      }
      const known = spansOf(previous, batch);
      const knownIds = new Set(known.map((s) => s.spanId));
      const fresh = kept.spans.filter((s) => !knownIds.has(s.spanId));
      if (fresh.length === 0) continue; // every span is stored already: nothing changes
      const first = previous.summary;
      const enrichment = enrichTrace(
        kept.traceId,
        [...known, ...fresh],
        decisionOf(first),
        first.firstArrivalMs,
        fresh,
      );
      items.push(...lateWriteItems(previous, enrichment.summary, fresh, delivery));
      rows.push({
        partition: partitionOf(first.firstArrivalMs),
        rows: { spans: fresh, enrichment },
        edges: enrichment.edges,
      });
      spans += fresh.length;
      lateSpans += fresh.length;
    }

    // Both stores at once; wait for both before failing so no write is left dangling.
    const [dynamo, parquet] = await Promise.allSettled([
      this.deps.table.putItems(items),
      this.deps.parquet.writeBatch(batch, rows, signal),
    ]);
    if (dynamo.status === 'rejected') throw dynamo.reason;
    if (parquet.status === 'rejected') throw parquet.reason;
    const report: TraceWriteReport = {
      traces: rows.length,
      spans,
      lateSpans,
      items: items.length,
      writeUnits: dynamo.value.writeUnits,
      mergedTraces: stored.size,
      objects: parquet.value.objects,
      parquetBytes: parquet.value.bytes,
    };
    this.record(report);
    return report;
  }

  /**
   * Items of the traces stored by another batch: late fragments are read at once; for the others
   * the trace items' deliveries are asked first, and only those stored by another batch are read.
   * A trace first written by an attempt at this batch's records is written again as is.
   */
  private async storedItems(
    traces: readonly KeptTrace[],
    batch: BatchRef,
  ): Promise<Map<string, TraceItem[]>> {
    const late = traces.filter((t) => t.late).map((t) => t.traceId);
    const fresh = traces.filter((t) => !t.late).map((t) => t.traceId);
    const stored =
      fresh.length > 0 ? await this.deps.table.storedDeliveries(fresh) : new Map<string, Delivery>();
    const elsewhere = fresh.filter((id) => {
      const delivery = stored.get(id);
      return delivery !== undefined && !sameDelivery(delivery, batch);
    });
    const ids = [...late, ...elsewhere];
    return ids.length > 0 ? this.deps.table.tracesItems(ids, true) : new Map();
  }

  private record(report: TraceWriteReport): void {
    const metrics = this.deps.metrics;
    if (metrics) {
      metrics.add('StoredTraces', report.traces);
      metrics.add('StoredSpans', report.spans);
      metrics.add('StoredLateSpans', report.lateSpans);
      metrics.add('StoredMergedTraces', report.mergedTraces);
      metrics.add('DynamoDbWriteUnits', report.writeUnits);
      metrics.add('ParquetObjects', report.objects);
      metrics.add('ParquetBytes', report.parquetBytes, 'Bytes');
    }
    this.deps.logger?.log('debug', 'stored kept traces', { ...report });
  }
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
