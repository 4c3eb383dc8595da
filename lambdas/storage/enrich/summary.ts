/**
 * The trace summary: what one glance at a kept trace needs (root, times, counts, services, and the
 * decision that kept it), computed from whatever spans of the trace are at hand.
 */
import { adjustedCount, type SamplingDecision } from '../../shared/sampling/kept-trace.ts';
import { type Resource, type Span, type SpanStatus, StatusCode } from '../../shared/span/model.ts';

/** The fields enrichment reads from a span: a full Span, or a row read back from Parquet. */
export type EnrichableSpan = Pick<
  Span,
  'spanId' | 'parentSpanId' | 'name' | 'kind' | 'startTimeUnixNano' | 'endTimeUnixNano'
> & {
  readonly status: Pick<SpanStatus, 'code'>;
  readonly resource: Pick<Resource, 'serviceName'>;
};

export interface TraceSummary {
  readonly traceId: string;
  /** The root span (no parent), else the earliest span whose parent is missing. */
  readonly rootSpanId: string;
  readonly rootService: string;
  readonly rootName: string;
  /** Earliest start and latest end over all spans (the trace's envelope, as Jaeger shows it). */
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly durationNano: number;
  readonly spanCount: number;
  /** Spans with status ERROR. */
  readonly errorCount: number;
  /** Distinct service names, sorted. */
  readonly services: readonly string[];
  readonly policy: string;
  readonly probability: number;
  readonly adjustedCount: number;
  readonly threshold: string;
  readonly reason: string;
  /** Kinesis arrival (ms) of the trace's first span: picks its Parquet partition and its TTL. */
  readonly firstArrivalMs: number;
}

export function summarizeTrace(
  traceId: string,
  spans: readonly EnrichableSpan[],
  decision: SamplingDecision,
  firstArrivalMs: number,
): TraceSummary {
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errors = 0;
  const services = new Set<string>();
  const ids = new Set<string>();
  for (const span of spans) ids.add(span.spanId);
  let root: EnrichableSpan | undefined;
  let orphan: EnrichableSpan | undefined;
  for (const span of spans) {
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (end === undefined || span.endTimeUnixNano > end) end = span.endTimeUnixNano;
    if (span.status.code === StatusCode.ERROR) errors++;
    services.add(span.resource.serviceName);
    if (span.parentSpanId === '') {
      if (!root || earlier(span, root)) root = span;
    } else if (!ids.has(span.parentSpanId) && (!orphan || earlier(span, orphan))) {
      orphan = span;
    }
  }
  const head = root ?? orphan ?? earliest(spans);
  const first = start ?? 0n;
  // A span ending before it starts (clock trouble) must not give a negative duration.
  const last = end !== undefined && end > first ? end : first;
  return {
    traceId,
    rootSpanId: head?.spanId ?? '',
    rootService: head?.resource.serviceName ?? '',
    rootName: head?.name ?? '',
    startTimeUnixNano: first,
    endTimeUnixNano: last,
    durationNano: Number(last - first),
    spanCount: spans.length,
    errorCount: errors,
    services: [...services].sort(),
    policy: decision.policy,
    probability: decision.probability,
    adjustedCount: adjustedCount(decision),
    threshold: decision.threshold,
    reason: decision.reason,
    firstArrivalMs,
  };
}

/** The decision a summary records, for the decision cache. */
export function decisionOf(summary: TraceSummary): SamplingDecision {
  return {
    keep: true,
    policy: summary.policy,
    probability: summary.probability,
    threshold: summary.threshold,
    reason: summary.reason,
  };
}

function earlier(a: EnrichableSpan, b: EnrichableSpan): boolean {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano;
  return a.spanId < b.spanId;
}

function earliest(spans: readonly EnrichableSpan[]): EnrichableSpan | undefined {
  let best: EnrichableSpan | undefined;
  for (const span of spans) if (!best || earlier(span, best)) best = span;
  return best;
}
