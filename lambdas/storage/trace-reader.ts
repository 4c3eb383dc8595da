/**
 * Reading a kept trace back whole: every item of the trace id, expired ones refused (DynamoDB
 * deletes expired items up to days late, dynalite never), spans of all parts de-duplicated.
 */
import type { Span } from '../shared/span/model.ts';
import type { TraceSummary } from './summary.ts';
import { isExpired, spansOf, storedTraceOf } from './trace-items.ts';
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
  const items = await table.traceItems(traceId, false);
  // All parts of a trace carry the same expires_at; any expired part means the trace is gone.
  if (items.some((item) => isExpired(item, nowMs))) return undefined;
  const stored = storedTraceOf(traceId, items);
  if (!stored) return undefined;
  return { summary: stored.summary, spans: spansOf(stored) };
}
