/**
 * Generated kept traces with answers that can be worked out from the spans alone: every trace is a
 * root span with sequential leaf children (none overlapping, all inside the root), so each child's
 * time on the critical path is its whole duration and the root's is the rest. Start times lie
 * relative to `nowMs`, away from the 1-hour and 24-hour window edges the named queries use, so a
 * test running slowly cannot move a trace across one.
 */

import type { BatchRef, SamplingDecision } from '../../lambdas/shared/sampling/kept-trace.ts';
import { EMPTY_SCOPE, type Span, SpanKind, StatusCode } from '../../lambdas/shared/span/model.ts';
import {
  enrichTrace,
  type ParquetStore,
  partitionOf,
  type TraceRowsWrite,
} from '../../lambdas/storage/index.ts';
import { seededRandom } from '../../workload/random.ts';
import { serviceResource } from './storage.ts';

export interface GeneratedTrace {
  readonly traceId: string;
  readonly spans: readonly Span[];
  readonly decision: SamplingDecision;
  readonly adjustedCount: number;
  readonly startMs: number;
  readonly firstArrivalMs: number;
}

const ROOTS = [
  { service: 'frontend', name: 'POST /checkout' },
  { service: 'frontend', name: 'GET /cart' },
  { service: 'admin', name: 'GET /report' },
] as const;

const CHILDREN = [
  { service: 'payments', name: 'POST /charge' },
  { service: 'inventory', name: 'reserve' },
  { service: 'postgres', name: 'SELECT' },
  { service: 'frontend', name: 'render' },
] as const;

/** Age windows (minutes before now) that keep clear of the queries' 60-minute and 24-hour edges. */
const AGES = [
  [2, 50],
  [75, 1_300],
  [1_520, 2_000],
] as const;

const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0');

export function generateTraces(options: { count: number; nowMs: number; seed?: number }): GeneratedTrace[] {
  const next = seededRandom(options.seed ?? 7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const traces: GeneratedTrace[] = [];
  for (let t = 0; t < options.count; t++) {
    const traceId = `${hex(t + 1, 8)}${hex(Math.floor(next() * 2 ** 32), 8)}${'ab'.repeat(8)}`;
    const [lo, hi] = pick(AGES);
    // Whole milliseconds, distinct per trace: ordering by start time has no ties.
    const startMs = options.nowMs - Math.round((lo + next() * (hi - lo)) * 60_000) - t;
    const root = pick(ROOTS);
    const children = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(CHILDREN));
    const failing = next() < 0.3 ? Math.floor(next() * children.length) : -1;
    const gapNs = 1_000_000;
    let cursor = BigInt(startMs) * 1_000_000n + BigInt(gapNs);
    const spans: Span[] = [];
    const rootId = hex(t * 16 + 1, 16);
    children.forEach((child, i) => {
      // Whole milliseconds, so a threshold can equal a trace's duration exactly.
      const duration = BigInt(Math.round(1 + next() * 400) * 1_000_000);
      spans.push(
        span(
          traceId,
          hex(t * 16 + 2 + i, 16),
          rootId,
          child.service,
          child.name,
          cursor,
          cursor + duration,
          i === failing,
        ),
      );
      cursor += duration + BigInt(gapNs);
    });
    const rootStart = BigInt(startMs) * 1_000_000n;
    spans.unshift(span(traceId, rootId, '', root.service, root.name, rootStart, cursor, false));
    const decision: SamplingDecision =
      failing >= 0
        ? { keep: true, policy: 'errors', probability: 1, threshold: '0', reason: 'span status ERROR' }
        : next() < 0.5
          ? { keep: true, policy: 'baseline', probability: 0.25, threshold: 'c', reason: 'p 0.25' }
          : { keep: true, policy: 'baseline', probability: 0.125, threshold: 'e', reason: 'p 0.125' };
    traces.push({
      traceId,
      spans,
      decision,
      adjustedCount: 1 / decision.probability,
      startMs,
      firstArrivalMs: startMs + 1_500,
    });
  }
  return traces;
}

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  service: string,
  name: string,
  start: bigint,
  end: bigint,
  error: boolean,
): Span {
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: 1,
    name,
    kind: parentSpanId === '' ? SpanKind.SERVER : SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: parentSpanId === '' ? { 'http.request.method': name.split(' ')[0] ?? 'GET' } : {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: error ? { code: StatusCode.ERROR, message: 'declined' } : { code: StatusCode.UNSET, message: '' },
    resource: serviceResource(service),
    scope: EMPTY_SCOPE,
  };
}

/** The writes the trace store would make for these traces (first writes). */
export function traceWrites(traces: readonly GeneratedTrace[]): TraceRowsWrite[] {
  return traces.map((trace) => {
    const enrichment = enrichTrace(trace.traceId, trace.spans, trace.decision, trace.firstArrivalMs);
    return {
      partition: partitionOf(trace.firstArrivalMs),
      rows: { spans: trace.spans, enrichment },
      summary: enrichment.summary,
      edges: enrichment.edges,
    };
  });
}

/** Writes the traces in `batches` batches of one shard, as the sampler's store would. */
export async function writeTraces(
  parquet: ParquetStore,
  traces: readonly GeneratedTrace[],
  batches: number,
  batchRef: (n: number) => BatchRef,
): Promise<void> {
  const writes = traceWrites(traces);
  const size = Math.ceil(writes.length / batches);
  for (let b = 0; b < batches; b++) {
    await parquet.writeBatch(batchRef(b + 1), writes.slice(b * size, (b + 1) * size));
  }
}
