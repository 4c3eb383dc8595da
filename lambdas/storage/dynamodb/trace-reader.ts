/**
 * Reading a kept trace back whole: every item of the trace id, expired ones refused (DynamoDB
 * deletes expired items up to days late, dynalite never), spans of all parts de-duplicated. Lists
 * of traces come from the search index (lambdas/storage/search).
 */
import type { Span } from '../../shared/span/model.ts';
import type { TraceSummary } from '../enrich/summary.ts';
import { isExpired, isResourceItem, spansOf, storedTraceOf, type TraceItem } from './trace-items.ts';
import type { TraceTable } from './trace-table.ts';

export interface StoredTraceView {
  readonly summary: TraceSummary;
  readonly spans: readonly Span[];
}

/** The trace, or undefined when it was never stored or has expired at `nowMs`. */
export async function readTrace(
  table: TraceTable,
  traceId: string,
  nowMs: number,
): Promise<StoredTraceView | undefined> {
  return traceViewOf(traceId, await table.traceItems(traceId, false), nowMs);
}

/** The trace the items of `traceId` hold, or undefined when they hold none or it expired at `nowMs`. */
export function traceViewOf(
  traceId: string,
  items: readonly TraceItem[],
  nowMs: number,
): StoredTraceView | undefined {
  // All parts of a trace carry the same expires_at; any expired part means the trace is gone. (The
  // resource items it names outlive it, and a copy read earlier may carry an older expiry.)
  if (items.some((item) => !isResourceItem(item) && isExpired(item, nowMs))) return undefined;
  const stored = storedTraceOf(traceId, items);
  if (!stored) return undefined;
  return { summary: stored.summary, spans: spansOf(stored) };
}
