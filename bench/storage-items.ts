/**
 * The DynamoDB part of the storage stage (bench/storage.ts), on the workload's kept traces:
 *  - item encoding (firstWriteItems: span packing, zstd, the head), spans/s on one core;
 *  - the write units each kept trace costs: its items (one per started KB each), its share of the
 *    search index items of its batch (search items, dependency counters, the batch marker; the
 *    catalogue is left out: a warm container writes an entry once a day), for batches of
 *    BATCH_TRACES and of 10 kept traces, and its share of the resource items (each put once by a
 *    container, as the whole workload is one container's here); median, mean and p99 over traces;
 *  - item bytes per kept trace.
 * Items are written under a Kinesis batch of 56-digit sequence numbers, as a shard's records have:
 * the batch range is part of every item.
 */
import { parseConfig, type StorageConfig } from '../lambdas/shared/config/index.ts';
import {
  deliveryOf,
  dependencyIncrements,
  expiresAtOf,
  firstWriteItems,
  indexedWrite,
  isResourceItem,
  itemSize,
  searchEntriesOf,
  searchItemsOf,
  type TraceItem,
  type TraceRowsWrite,
  type TraceSummary,
  writeUnits,
} from '../lambdas/storage/index.ts';
import { type BenchResult, figure, median, rate, timeRuns } from './harness.ts';
import type { KeptSpans } from './storage.ts';

/** A shard's batch as the event source mapping hands it over: Kinesis sequence numbers are 56 digits. */
const DELIVERY = deliveryOf({
  shardId: 'shardId-000000000003',
  firstSequenceNumber: '49659220371849765438295470633934405227394856377402441730',
  lastSequenceNumber: '49659220371849765438295470634069609345983017937648353282',
});

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function summariesOf(writes: readonly TraceRowsWrite[]): TraceSummary[] {
  return writes.map((write, i) => {
    if (!write.summary) throw new Error(`no summary for kept trace ${i}`);
    return write.summary;
  });
}

/**
 * Each kept trace's share of the write units of its batch's search index items: the batch's units
 * split evenly over its traces.
 */
function indexUnitsPerTrace(
  traces: readonly KeptSpans[],
  writes: readonly TraceRowsWrite[],
  expiresAt: number,
  storage: StorageConfig,
  batchTraces: number,
): number[] {
  const summaries = summariesOf(writes);
  const indexed = traces.map((trace, i) =>
    indexedWrite(summaries[i] as TraceSummary, trace.spans, expiresAt, writes[i]?.edges ?? []),
  );
  const shares: number[] = [];
  for (let first = 0; first < indexed.length; first += batchTraces) {
    const batch = indexed.slice(first, first + batchTraces);
    const tag = `bench-${first}`;
    const items = searchItemsOf(batch.flatMap(searchEntriesOf), tag);
    const counters = dependencyIncrements(batch, tag, storage.retentionDays).length;
    const units = items.reduce((sum, item) => sum + writeUnits(item), 0) + counters + (counters > 0 ? 1 : 0);
    for (const _ of batch) shares.push(units / batch.length);
  }
  return shares;
}

function distribution(label: string, values: readonly number[], unit: string): BenchResult[] {
  return [
    figure('storage', `${label}, median`, median(values), unit),
    figure('storage', `${label}, mean`, mean(values), unit),
    figure('storage', `${label}, p99`, percentile(values, 99), unit),
  ];
}

export function dynamoDbFigures(
  traces: readonly KeptSpans[],
  writes: readonly TraceRowsWrite[],
  batchTraces: number,
  runs: number,
): BenchResult[] {
  const storage = parseConfig({}).storage;
  const summaries = summariesOf(writes);
  const spanCount = traces.reduce((sum, t) => sum + t.spans.length, 0);
  const arrivalMs = summaries[0]?.firstArrivalMs ?? 0;
  const expiresAt = expiresAtOf(arrivalMs, storage.retentionDays);
  let items: TraceItem[][] = [];
  const itemTimes = timeRuns(() => {
    items = traces.map((trace, i) =>
      firstWriteItems(summaries[i] as TraceSummary, trace.spans, DELIVERY, expiresAt),
    );
  }, runs);
  const own = items.map((traceItems) => traceItems.filter((item) => !isResourceItem(item)));
  const itemUnits = own.map((traceItems) => traceItems.reduce((sum, item) => sum + writeUnits(item), 0));
  const bytes = own.map((traceItems) => traceItems.reduce((sum, item) => sum + itemSize(item), 0));
  const resources = new Map<string, number>();
  for (const item of items.flat().filter(isResourceItem))
    resources.set(item.trace_id?.S ?? '', writeUnits(item));
  const resourceShare = [...resources.values()].reduce((a, b) => a + b, 0) / traces.length;
  const index = indexUnitsPerTrace(traces, writes, expiresAt, storage, batchTraces);
  const total = itemUnits.map((units, i) => units + (index[i] as number) + resourceShare);
  return [
    rate('storage', 'DynamoDB item encoding, spans/s', spanCount, itemTimes, { op: '>=', value: 200_000 }),
    figure(
      'storage',
      `DynamoDB write units per median kept trace, items + search index (batches of ${batchTraces}) + resources`,
      median(total),
      'WCU',
      { op: '<=', value: 2 },
    ),
    figure(
      'storage',
      'DynamoDB write units per kept trace, items + search index + resources, mean',
      mean(total),
      'WCU',
    ),
    figure(
      'storage',
      'DynamoDB write units per kept trace, items + search index + resources, p99',
      percentile(total, 99),
      'WCU',
    ),
    ...distribution('DynamoDB write units per kept trace, its items', itemUnits, 'WCU'),
    figure(
      'storage',
      'kept traces whose items take one write unit',
      (100 * itemUnits.filter((u) => u === 1).length) / itemUnits.length,
      '%',
    ),
    figure(
      'storage',
      `search index write units per kept trace, batches of ${batchTraces} kept traces (amortized)`,
      mean(index),
      'WCU',
      { op: '<=', value: 1 },
    ),
    figure('storage', 'resource items written for the workload (once each)', resources.size, 'items'),
    figure('storage', 'resource items write units per kept trace (amortized)', resourceShare, 'WCU'),
    figure(
      'storage',
      'search index write units per kept trace, batches of 10 kept traces',
      mean(indexUnitsPerTrace(traces, writes, expiresAt, storage, 10)),
      'WCU',
    ),
    // The cost model (bench/cost/figures.ts) reads the median by this name.
    figure('storage', 'DynamoDB item bytes per median kept trace', median(bytes), 'B'),
    figure('storage', 'DynamoDB item bytes per kept trace, mean', mean(bytes), 'B'),
    figure('storage', 'DynamoDB item bytes per kept trace, p99', percentile(bytes, 99), 'B'),
  ];
}
