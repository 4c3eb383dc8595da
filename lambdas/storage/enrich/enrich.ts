/**
 * Enrichment, once per kept trace before it is written: the summary, each span's share of the
 * critical path, and the service edges.
 */
import type { SamplingDecision } from '../../shared/sampling/kept-trace.ts';
import { criticalPathNano } from '../../shared/span/critical-path.ts';
import { type ServiceEdge, serviceEdges } from './edges.ts';
import { type EnrichableSpan, summarizeTrace, type TraceSummary } from './summary.ts';

export interface Enrichment {
  readonly summary: TraceSummary;
  /** ns on the critical path by span id; spans off the path are absent. */
  readonly criticalPath: ReadonlyMap<string, number>;
  /** Edges of the spans being written (all of them, or a late fragment's new ones). */
  readonly edges: readonly ServiceEdge[];
}

/**
 * Enriches a trace whose known spans are `all`; `written` are those being written now (equal to
 * `all` for a first write, the new spans of a late fragment otherwise).
 */
export function enrichTrace(
  traceId: string,
  all: readonly EnrichableSpan[],
  decision: SamplingDecision,
  firstArrivalMs: number,
  written: readonly EnrichableSpan[] = all,
): Enrichment {
  const byId = new Map<string, EnrichableSpan>();
  for (const span of all) byId.set(span.spanId, span);
  return {
    summary: summarizeTrace(traceId, all, decision, firstArrivalMs),
    criticalPath: criticalPathNano(all),
    edges: serviceEdges(written, byId),
  };
}
