/**
 * Reading a kept trace back whole: every item of the trace id, expired ones refused (DynamoDB
 * deletes expired items up to days late, dynalite never), spans of all parts de-duplicated; and the
 * recent traces of a service from the bucketed service index.
 */
import type { Span } from '../../shared/span/model.ts';
import type { TraceSummary } from '../enrich/summary.ts';
import { StoredTraceCorruptError } from '../errors.ts';
import { bucketedIndexKeys, TRACE_TABLE } from '../layout/layout.ts';
import { boundedText, STORED_STRING_BYTES } from './bounds.ts';
import { isExpired, spansOf, storedTraceOf, TRACE_PART, type TraceItem } from './trace-items.ts';
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
  // All parts of a trace carry the same expires_at; any expired part means the trace is gone.
  if (items.some((item) => isExpired(item, nowMs))) return undefined;
  const stored = storedTraceOf(traceId, items);
  if (!stored) return undefined;
  return { summary: stored.summary, spans: spansOf(stored) };
}

/** A kept trace as the `by_service_start` index projects it. */
export interface RecentTrace {
  readonly traceId: string;
  readonly rootName: string;
  readonly startTimeUnixNano: bigint;
  readonly durationNano: number;
  readonly spanCount: number;
  readonly errorCount: number;
  readonly policy: string;
  readonly probability: number;
}

export interface RecentTracesQuery {
  /** Root start time range (epoch ms, both ends included). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit: number;
}

/**
 * The newest kept traces whose root service is `service`, started in the range: the INDEX_BUCKETS
 * keys of the service queried in parallel (layout.ts) and merged newest first. The service is
 * bounded as the writers bound it, so a long name finds its truncated key.
 */
export async function recentTracesOfService(
  table: TraceTable,
  service: string,
  query: RecentTracesQuery,
): Promise<RecentTrace[]> {
  if (query.limit <= 0 || query.toMs < query.fromMs) return [];
  const stored = boundedText(service, STORED_STRING_BYTES.service).text;
  const perKey = await Promise.all(
    bucketedIndexKeys(stored).map((key) => table.serviceIndexItems(key, query)),
  );
  return perKey
    .flat()
    .map(recentTraceOf)
    .sort(
      (a, b) =>
        (a.startTimeUnixNano < b.startTimeUnixNano
          ? 1
          : a.startTimeUnixNano > b.startTimeUnixNano
            ? -1
            : 0) || (a.traceId < b.traceId ? -1 : 1),
    )
    .slice(0, query.limit);
}

function recentTraceOf(item: TraceItem): RecentTrace {
  const traceId = item[TRACE_TABLE.partitionKey]?.S ?? '';
  const number = (name: string): number => {
    const value = Number(item[name]?.N);
    if (item[name]?.N === undefined || !Number.isFinite(value))
      throw new StoredTraceCorruptError(traceId, TRACE_PART, `index attribute ${name} is not a number`);
    return value;
  };
  let start: bigint;
  try {
    start = BigInt(item.start_ns?.N ?? '');
  } catch (error) {
    throw new StoredTraceCorruptError(traceId, TRACE_PART, 'index attribute start_ns is not an integer', {
      cause: error,
    });
  }
  return {
    traceId,
    rootName: item.root_name?.S ?? '',
    startTimeUnixNano: start,
    durationNano: number('duration_ns'),
    spanCount: number('span_count'),
    errorCount: number('error_count'),
    policy: item.policy?.S ?? '',
    probability: number('probability'),
  };
}
