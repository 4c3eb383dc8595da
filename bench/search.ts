/**
 * Search stage: the query API's reads against a traces table holding 100,000 (and, asked with
 * --search-stored, 1,000,000) kept traces on the local DynamoDB stand-in (dynalite, in this
 * process, so no network: a real DynamoDB round trip adds its few milliseconds to every Query).
 *
 * The table holds the workload's kept traces cloned under new trace ids and start times spread
 * evenly over the last 24 hours: each clone's items are its original's spans under the new id and
 * times shifted, written anew (the stored summary is the spans' own), sharing the originals'
 * resource items, and its index entries are its original's with the new id and start, written in
 * batches of BATCH_TRACES as the sampler writes them. Figures, medians and p99 over SAMPLES
 * searches each, with the read units of a median search, and every latency also as a multiple of
 * the floor: one Query of one trace's items measured the same way in the same run:
 *  - one service over the last hour, limit 20 (Grafana's default search);
 *  - the same with an operation and a minimum duration;
 *  - the same with a tag few traces carry (error=true), which reads the hour's whole index;
 *  - trace by id; the services and operations lists.
 *
 *   node bench/search.ts [--quick]      (npm run bench imports benchSearch)
 */
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig } from '../lambdas/shared/config/index.ts';
import type { SamplingDecision } from '../lambdas/shared/sampling/kept-trace.ts';
import type { Span } from '../lambdas/shared/span/model.ts';
import {
  createTraceSearch,
  deliveryOf,
  enrichTrace,
  expiresAtOf,
  firstWriteItems,
  type IndexedTraceWrite,
  indexedWrite,
  isResourceItem,
  readTrace,
  type SearchEntry,
  SearchIndexWriter,
  searchEntriesOf,
  searchItemsOf,
  type TraceItem,
  type TraceQuery,
  type TraceSummary,
  TraceTable,
} from '../lambdas/storage/index.ts';
import { startDynamoDbStandIn } from '../local/standins/dynamodb.ts';
import { createTraceTable } from '../local/trace-table.ts';
import { generateWorkload, type Workload } from '../workload/workload.ts';
import { type BenchResult, figure, median } from './harness.ts';
import { keptTraces } from './storage.ts';

const BATCH_TRACES = 100;
const SAMPLES = 40;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The bench's "now": the end of the stored day. */
const NOW_MS = 1_764_000_000_000;
const KEPT: SamplingDecision = {
  keep: true,
  policy: 'baseline',
  probability: 0.1,
  threshold: 'e',
  reason: '',
};

/** One workload trace, ready to clone: its spans, summary and index entries. */
interface Original {
  readonly spans: readonly Span[];
  readonly summary: TraceSummary;
  readonly entries: readonly SearchEntry[];
  readonly startNano: bigint;
  readonly rootService: string;
  readonly operations: ReadonlyMap<string, number>;
}

const DELIVERY = deliveryOf({ shardId: 'bench', firstSequenceNumber: '1', lastSequenceNumber: '1' });

function originalsOf(
  workload: Workload,
  expiresAt: number,
): { originals: Original[]; indexed: IndexedTraceWrite[] } {
  const indexed: IndexedTraceWrite[] = [];
  const originals = keptTraces(workload).map((trace) => {
    const { summary, edges } = enrichTrace(trace.traceId, trace.spans, KEPT, NOW_MS);
    const write = indexedWrite(summary, trace.spans, expiresAt, edges);
    indexed.push(write);
    const operations = new Map<string, number>();
    for (const span of trace.spans)
      if (span.resource.serviceName === summary.rootService)
        operations.set(span.name, Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6);
    return {
      spans: trace.spans,
      summary,
      entries: searchEntriesOf(write),
      startNano: summary.startTimeUnixNano,
      rootService: summary.rootService,
      operations,
    };
  });
  return { originals, indexed };
}

function cloneId(n: number): string {
  return `${n.toString(16).padStart(12, '0')}${'b5ea7c4'.padEnd(20, '0')}`;
}

/** The n-th clone: the original's spans and entries under a new id, starting at `startMs`. */
function cloneOf(
  original: Original,
  n: number,
  startMs: number,
  expiresAt: number,
): { items: TraceItem[]; entries: SearchEntry[] } {
  const traceId = cloneId(n);
  const shift = BigInt(startMs) * 1_000_000n - original.startNano;
  const spans = original.spans.map((span) => ({
    ...span,
    traceId,
    startTimeUnixNano: span.startTimeUnixNano + shift,
    endTimeUnixNano: span.endTimeUnixNano + shift,
    events: span.events.map((event) => ({ ...event, timeUnixNano: event.timeUnixNano + shift })),
  }));
  const summary = {
    ...original.summary,
    traceId,
    startTimeUnixNano: original.summary.startTimeUnixNano + shift,
    endTimeUnixNano: original.summary.endTimeUnixNano + shift,
  };
  const entries = original.entries.map((entry) => ({
    ...entry,
    traceId,
    startNano: entry.startNano + shift,
  }));
  return { items: firstWriteItems(summary, spans, DELIVERY, expiresAt), entries };
}

async function load(
  table: TraceTable,
  originals: readonly Original[],
  stored: number,
  expiresAt: number,
): Promise<void> {
  // Clones name their originals' resources: each resource item is put once (as a container does).
  const resources = new Set<string>();
  for (let first = 0; first < stored; first += BATCH_TRACES) {
    const items: TraceItem[] = [];
    const entries: SearchEntry[] = [];
    for (let n = first; n < Math.min(stored, first + BATCH_TRACES); n++) {
      const original = originals[n % originals.length] as Original;
      const clone = cloneOf(original, n, NOW_MS - DAY_MS + Math.floor((n / stored) * DAY_MS), expiresAt);
      for (const item of clone.items) {
        const key = item.trace_id?.S ?? '';
        if (!isResourceItem(item)) items.push(item);
        else if (!resources.has(key)) {
          resources.add(key);
          items.push(item);
        }
      }
      entries.push(...clone.entries);
    }
    items.push(...searchItemsOf(entries, `bench-${first}`));
    await table.putItems(items);
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timed<T>(
  samples: number,
  run: (i: number) => Promise<T>,
): Promise<{ ms: number[]; last: T[] }> {
  const ms: number[] = [];
  const last: T[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    last.push(await run(i));
    ms.push(performance.now() - t);
  }
  return { ms, last };
}

function latencyFigures(
  label: string,
  ms: readonly number[],
  floorMs: number,
  goalMs?: number,
): BenchResult[] {
  return [
    figure(
      'search',
      `${label}, median latency`,
      median(ms),
      'ms',
      goalMs ? { op: '<=', value: goalMs } : undefined,
    ),
    figure('search', `${label}, p99 latency`, percentile(ms, 99), 'ms'),
    figure('search', `${label}, median latency / one Query`, median(ms) / floorMs, 'x'),
  ];
}

async function benchStored(
  client: DynamoDBClient,
  originals: readonly Original[],
  indexed: readonly IndexedTraceWrite[],
  stored: number,
  expiresAt: number,
): Promise<BenchResult[]> {
  const tableName = `search-bench-${stored}`;
  await createTraceTable(client, tableName);
  const table = new TraceTable({ client, tableName, now: () => NOW_MS });
  const loadStart = performance.now();
  await load(table, originals, stored, expiresAt);
  await new SearchIndexWriter(table, parseConfig({}).storage.retentionDays).write(indexed, 'bench-catalogue');
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const search = createTraceSearch(table);
  const counts = new Map<string, number>();
  for (const o of originals) counts.set(o.rootService, (counts.get(o.rootService) ?? 0) + 1);
  const service = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const sample = originals.find((o) => o.rootService === service) as Original;
  const [operation, durationMs] = [...sample.operations][0] as [string, number];
  const hour: TraceQuery = {
    service,
    tags: [],
    startNano: BigInt(NOW_MS - HOUR_MS) * 1_000_000n,
    endNano: BigInt(NOW_MS) * 1_000_000n,
    limit: 20,
  };
  const label = `${(stored / 1000).toLocaleString('en-US')}k traces`;
  const floor = await timed(SAMPLES, (i) => table.traceItems(cloneId(stored - 1 - i), false));
  const floorMs = median(floor.ms);
  const byService = await timed(SAMPLES, () => search.findTraces(hour, NOW_MS));
  const byOperation = await timed(SAMPLES, () =>
    search.findTraces({ ...hour, operation, minDurationNano: Math.floor(durationMs * 1e6 * 0.5) }, NOW_MS),
  );
  const byTag = await timed(SAMPLES, () => search.findTraces({ ...hour, tags: [['error', 'true']] }, NOW_MS));
  const byId = await timed(SAMPLES, (i) => readTrace(table, cloneId(stored - 1 - 7 * i), NOW_MS));
  const lists = await timed(SAMPLES, async () => {
    await search.services(NOW_MS);
    return search.operations(service, NOW_MS);
  });
  const units = (runs: { last: { readUnits: number }[] }): number =>
    median(runs.last.map((f) => f.readUnits));
  return [
    figure(
      'search',
      `${label}: load into dynalite (items and index, batches of ${BATCH_TRACES})`,
      loadSeconds,
      's',
    ),
    figure('search', `${label}: one Query of a trace's items (the floor), median`, floorMs, 'ms'),
    ...latencyFigures(
      `${label}: one service, last hour, limit 20`,
      byService.ms,
      floorMs,
      stored === 100_000 ? 300 : undefined,
    ),
    figure('search', `${label}: one service, last hour, limit 20, read units`, units(byService), 'RRU'),
    figure(
      'search',
      `${label}: traces returned by that search`,
      median(byService.last.map((f) => f.traces.length)),
      'traces',
    ),
    ...latencyFigures(`${label}: + operation and min duration`, byOperation.ms, floorMs),
    figure('search', `${label}: + operation and min duration, read units`, units(byOperation), 'RRU'),
    ...latencyFigures(`${label}: + tag error=true`, byTag.ms, floorMs),
    figure('search', `${label}: + tag error=true, read units`, units(byTag), 'RRU'),
    ...latencyFigures(`${label}: trace by id`, byId.ms, floorMs),
    ...latencyFigures(`${label}: services + operations lists`, lists.ms, floorMs),
  ];
}

export async function benchSearch(workload: Workload, sizes: readonly number[]): Promise<BenchResult[]> {
  const expiresAt = expiresAtOf(NOW_MS, parseConfig({}).storage.retentionDays);
  const { originals, indexed } = originalsOf(workload, expiresAt);
  const results: BenchResult[] = [];
  for (const stored of sizes) {
    const standIn = await startDynamoDbStandIn();
    try {
      results.push(...(await benchStored(standIn.client(), originals, indexed, stored, expiresAt)));
    } finally {
      await standIn.close();
    }
  }
  return results;
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const workload = generateWorkload({ seed: 42, traces: quick ? 2_000 : 10_000 });
  for (const r of await benchSearch(workload, quick ? [20_000] : [100_000, 1_000_000]))
    console.log(`${r.metric}: ${r.value.toFixed(2)} ${r.unit}`);
}
