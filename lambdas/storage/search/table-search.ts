/**
 * The search index read back (TraceSearch over the traces table): the catalogue, the dependency
 * counters, and trace search in two phases. First the search items of the service over the window,
 * newest minutes first, in slices that double (1 min, 2 min, 4 min, ...) until `limit` traces are
 * found: each entry is checked against the search (start, expiry, operation with duration bounds,
 * term filter) without reading its trace. Then the candidates, newest first, are read whole and
 * checked exactly (traceMatches), until `limit` match.
 *
 * Bounded: a search reads at most MAX_INDEX_READ_UNITS of index items and verifies at most
 * maxVerified(limit) traces; one stopped by either says `partial`.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemSize } from '../dynamodb/item-limits.ts';
import { isExpired, type TraceItem } from '../dynamodb/trace-items.ts';
import { type StoredTraceView, traceViewOf } from '../dynamodb/trace-reader.ts';
import { inParallel, type TraceTable } from '../dynamodb/trace-table.ts';
import { INDEX_BUCKETS } from '../layout/layout.ts';
import { operationsKey, SERVICES_KEY } from './catalogue.ts';
import { dependenciesKey, HOUR_MS, hourOf } from './dependencies.ts';
import { boundedService, type SearchEntry } from './search-entries.ts';
import { entriesOfItem, minuteOf, minuteRange, searchPartitionKey } from './search-items.ts';
import { criteriaOf, entryMayMatch, type SearchCriteria, traceMatches } from './search-match.ts';
import { spanKindText } from './search-terms.ts';
import type {
  FoundTraces,
  ServiceDependency,
  ServiceOperation,
  TraceQuery,
  TraceSearch,
} from './trace-search.ts';

const MINUTE_MS = 60_000;
/**
 * The first slice: one minute, so a busy service's limit is found reading a minute of its index
 * (at 1M kept traces a day, 15 minutes first read 111 read units against 23.5 at 100k); a quiet
 * one doubles its way back at 8 Queries a slice.
 */
const FIRST_SLICE_MS = MINUTE_MS;
/** Index read budget of one search: about 16 MB of search items. */
export const MAX_INDEX_READ_UNITS = 2_000;
const CONCURRENCY = 16;

/**
 * Traces one search reads whole at most: its limit, plus room for term filter misses and traces
 * whose spans match the criteria apart (never more than 2,000 extra: about 1,000 read units).
 */
export function maxVerified(limit: number): number {
  return limit + Math.min(9 * limit + 100, 2_000);
}

interface SearchBudget {
  readUnits: number;
  verified: number;
  exhausted: boolean;
}

export function createTraceSearch(table: TraceTable): TraceSearch {
  return {
    services: (nowMs) => services(table, nowMs),
    operations: (service, nowMs, spanKind) => operations(table, service, nowMs, spanKind),
    findTraces: (query, nowMs) => findTraces(table, query, nowMs),
    dependencies: (fromMs, toMs) => dependencies(table, fromMs, toMs),
  };
}

async function allItems(table: TraceTable, key: string): Promise<TraceItem[]> {
  const items: TraceItem[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await table.partitionPage(key, startKey ? { startKey } : {});
    items.push(...page.items);
    startKey = page.next;
  } while (startKey);
  return items;
}

async function services(table: TraceTable, nowMs: number): Promise<string[]> {
  const items = await allItems(table, SERVICES_KEY);
  return items
    .filter((item) => !isExpired(item, nowMs))
    .map((item) => item.service?.S ?? '')
    .filter((name) => name !== '')
    .sort();
}

async function operations(
  table: TraceTable,
  service: string,
  nowMs: number,
  spanKind?: string,
): Promise<ServiceOperation[]> {
  const items = await allItems(table, operationsKey(boundedService(service)));
  return items
    .filter((item) => !isExpired(item, nowMs))
    .map((item) => ({ name: item.name?.S ?? '', spanKind: spanKindText(Number(item.span_kind?.N)) }))
    .filter((op) => op.name !== '' && (spanKind === undefined || op.spanKind === spanKind))
    .sort((a, b) => compare(a.name, b.name) || compare(a.spanKind, b.spanKind));
}

async function findTraces(table: TraceTable, query: TraceQuery, nowMs: number): Promise<FoundTraces> {
  const budget: SearchBudget = { readUnits: 0, verified: 0, exhausted: false };
  if (query.limit <= 0 || query.endNano < query.startNano)
    return { traces: [], readUnits: 0, partial: false };
  const criteria = criteriaOf(query);
  const firstMinute = minuteOf(Number(query.startNano / 1_000_000n));
  const found: StoredTraceView[] = [];
  const seen = new Set<string>();
  let sliceEnd = minuteOf(Number(query.endNano / 1_000_000n));
  let sliceMs = FIRST_SLICE_MS;
  while (sliceEnd >= firstMinute && found.length < query.limit && !budget.exhausted) {
    const sliceStart = Math.max(firstMinute, sliceEnd - sliceMs + MINUTE_MS);
    const entries = await entriesOfSlice(table, criteria.service, sliceStart, sliceEnd, budget);
    const candidates = candidatesOf(entries, criteria, nowMs, seen);
    await verify(table, candidates, criteria, nowMs, { found, limit: query.limit, budget });
    sliceEnd = sliceStart - MINUTE_MS;
    sliceMs *= 2;
  }
  // Newest first by the stored start: an entry written before a late span moved its trace's start
  // may have made it a candidate in a newer slice.
  found.sort(
    (a, b) =>
      compareBigInt(b.summary.startTimeUnixNano, a.summary.startTimeUnixNano) ||
      compare(a.summary.traceId, b.summary.traceId),
  );
  return { traces: found, readUnits: budget.readUnits, partial: budget.exhausted };
}

/** Every search item of the service in [fromMinute, toMinute], all buckets, within the budget. */
async function entriesOfSlice(
  table: TraceTable,
  service: string,
  fromMinute: number,
  toMinute: number,
  budget: SearchBudget,
): Promise<SearchEntry[]> {
  const range = minuteRange(fromMinute, toMinute);
  const entries: SearchEntry[] = [];
  const buckets = Array.from({ length: INDEX_BUCKETS }, (_, bucket) => bucket);
  await inParallel(buckets, INDEX_BUCKETS, async (bucket) => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      if (budget.readUnits >= MAX_INDEX_READ_UNITS) {
        budget.exhausted = true;
        return;
      }
      const page = await table.partitionPage(searchPartitionKey(service, bucket), {
        range,
        descending: true,
        ...(startKey ? { startKey } : {}),
      });
      budget.readUnits += page.readUnits;
      for (const item of page.items) entries.push(...entriesOfItem(item));
      startKey = page.next;
    } while (startKey);
  });
  return entries;
}

/** Trace ids of the entries that may match, not seen before, newest start first. */
function candidatesOf(
  entries: readonly SearchEntry[],
  criteria: SearchCriteria,
  nowMs: number,
  seen: Set<string>,
): string[] {
  const starts = new Map<string, bigint>();
  for (const entry of entries) {
    if (seen.has(entry.traceId) || !entryMayMatch(entry, criteria, nowMs)) continue;
    // A trace's start only moves earlier (late spans), and a move re-indexes it: its earliest entry
    // holds its start.
    const known = starts.get(entry.traceId);
    if (known === undefined || entry.startNano < known) starts.set(entry.traceId, entry.startNano);
  }
  const ids = [...starts.keys()];
  for (const id of ids) seen.add(id);
  return ids.sort((a, b) => compareBigInt(starts.get(b) as bigint, starts.get(a) as bigint) || compare(a, b));
}

/** Reads candidates whole, in order and a few at once, keeping those that match, up to the limit. */
async function verify(
  table: TraceTable,
  candidates: readonly string[],
  criteria: SearchCriteria,
  nowMs: number,
  into: { found: StoredTraceView[]; limit: number; budget: SearchBudget },
): Promise<void> {
  const { found, limit, budget } = into;
  let next = 0;
  while (next < candidates.length && found.length < limit) {
    const room = maxVerified(limit) - budget.verified;
    if (room <= 0) {
      budget.exhausted = true;
      return;
    }
    const chunk = candidates.slice(next, next + Math.min(room, Math.max(CONCURRENCY, limit - found.length)));
    next += chunk.length;
    budget.verified += chunk.length;
    const views = new Map<string, StoredTraceView | undefined>();
    await inParallel(chunk, CONCURRENCY, async (id) => {
      const items = await table.traceItems(id, false);
      const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
      budget.readUnits += Math.max(1, Math.ceil(bytes / 4096)) / 2;
      views.set(id, traceViewOf(id, items, nowMs));
    });
    for (const id of chunk) {
      const view = views.get(id);
      if (view && found.length < limit && traceMatches(view, criteria)) found.push(view);
    }
  }
}

async function dependencies(table: TraceTable, fromMs: number, toMs: number): Promise<ServiceDependency[]> {
  if (toMs < fromMs) return [];
  const keys: string[] = [];
  for (let hour = hourOf(fromMs); hour <= toMs; hour += HOUR_MS)
    for (let bucket = 0; bucket < INDEX_BUCKETS; bucket++) keys.push(dependenciesKey(hour, bucket));
  const sums = new Map<string, { -readonly [K in keyof ServiceDependency]: ServiceDependency[K] }>();
  await inParallel(keys, CONCURRENCY, async (key) => {
    for (const item of await allItems(table, key)) {
      const parent = item.parent?.S;
      const child = item.child?.S;
      if (parent === undefined || child === undefined) continue;
      const pair = `${parent}\u0000${child}`;
      let sum = sums.get(pair);
      if (!sum) {
        sum = { parent, child, keptCalls: 0, estimatedCalls: 0, estimatedErrors: 0 };
        sums.set(pair, sum);
      }
      sum.keptCalls += Number(item.kept_calls?.N ?? 0);
      sum.estimatedCalls += Number(item.estimated_calls?.N ?? 0);
      sum.estimatedErrors += Number(item.estimated_errors?.N ?? 0);
    }
  });
  return [...sums.values()].sort((a, b) => compare(a.parent, b.parent) || compare(a.child, b.child));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
