/**
 * Storage stage: what the trace store does with kept traces, on the reference workload with every
 * trace kept (so each figure is per kept span or trace), stores replaced by nothing so that only
 * tracesift's own work is timed:
 *  - enrichment (summary, critical path, edges) + Parquet encoding of the three tables, in batches
 *    of BATCH_TRACES kept traces (one sampler invocation's writes), spans/s on one core;
 *  - Parquet encoding of the spans table alone, from enriched traces, in those batches;
 *  - Parquet bytes per span of the spans table, for those batch files and for the compacted file
 *    of the whole workload (one shard-hour after compaction: what Athena reads at rest);
 *  - DynamoDB item encoding spans/s, and write units per kept trace, its items and its share of
 *    the search index (bench/storage-items.ts);
 *  - heap growth across encoding the compacted files (indicative, a collection may run inside);
 *    npm run bench adds the stage's peak RSS above the loaded workload.
 *
 *   node bench/storage.ts [--quick]      (npm run bench imports benchStorage)
 */

import { parseConfig } from '../lambdas/shared/config/index.ts';
import { decodeTraceRequest } from '../lambdas/shared/otlp/index.ts';
import type { SamplingDecision } from '../lambdas/shared/sampling/kept-trace.ts';
import type { Span } from '../lambdas/shared/span/model.ts';
import {
  encodeSpans,
  encodeTables,
  enrichTrace,
  partitionOf,
  promotedColumns,
  type TraceRowsWrite,
  tableFormats,
} from '../lambdas/storage/index.ts';
import { generateWorkload, type Workload } from '../workload/workload.ts';
import { type BenchResult, figure, median, rate, timeRuns } from './harness.ts';
import { dynamoDbFigures } from './storage-items.ts';

/** Kept traces per sampler batch: about 2,000 spans at the workload's mean of ~21 a trace. */
export const BATCH_TRACES = 100;
const ARRIVAL_MS = 1_764_000_000_000;
const KEPT: SamplingDecision = {
  keep: true,
  policy: 'baseline',
  probability: 1,
  threshold: '0',
  reason: 'bench',
};

export interface KeptSpans {
  readonly traceId: string;
  readonly spans: readonly Span[];
}

export function keptTraces(workload: Workload): KeptSpans[] {
  const byTrace = new Map<string, Span[]>();
  for (const request of workload.requests) {
    for (const span of decodeTraceRequest(request.protobuf)) {
      let spans = byTrace.get(span.traceId);
      if (!spans) {
        spans = [];
        byTrace.set(span.traceId, spans);
      }
      spans.push(span);
    }
  }
  return [...byTrace].map(([traceId, spans]) => ({ traceId, spans }));
}

/** The sampler's writes of kept traces, every one kept by the baseline at probability 1. */
export function writesOf(traces: readonly KeptSpans[]): TraceRowsWrite[] {
  return traces.map((trace) => {
    const enrichment = enrichTrace(trace.traceId, trace.spans, KEPT, ARRIVAL_MS);
    return {
      partition: partitionOf(ARRIVAL_MS),
      rows: { spans: trace.spans, enrichment },
      summary: enrichment.summary,
      edges: enrichment.edges,
    };
  });
}

/** Encodes one file per table of `writes`; returns the bytes of each. */
function tableBytes(
  writes: readonly TraceRowsWrite[],
  formats: ReturnType<typeof tableFormats>,
  promoted: ReturnType<typeof promotedColumns>,
): { spans: number; traces: number; edges: number } {
  const sizes = { spans: 0, traces: 0, edges: 0 };
  for (const { table, body } of encodeTables(writes, formats, promoted)) sizes[table] = body.length;
  return sizes;
}

export async function benchStorage(workload: Workload, runs: number): Promise<BenchResult[]> {
  const config = parseConfig({});
  const formats = tableFormats(config.storage);
  const promoted = promotedColumns(config.storage);
  const traces = keptTraces(workload);
  const spanCount = traces.reduce((sum, t) => sum + t.spans.length, 0);
  const batches: KeptSpans[][] = [];
  for (let i = 0; i < traces.length; i += BATCH_TRACES) batches.push(traces.slice(i, i + BATCH_TRACES));
  const results: BenchResult[] = [];

  // Enrichment + Parquet encoding, batch by batch, as the sampler's store does it.
  let batchSpanBytes = 0;
  const encodeTimes = timeRuns(() => {
    batchSpanBytes = 0;
    for (const batch of batches) batchSpanBytes += tableBytes(writesOf(batch), formats, promoted).spans;
  }, runs);
  results.push(
    rate(
      'storage',
      `enrichment + Parquet encoding (${BATCH_TRACES} traces a batch), spans/s`,
      spanCount,
      encodeTimes,
    ),
  );

  // The spans table alone, from traces already enriched: the file most of those bytes go to.
  const enriched = batches.map((batch) => writesOf(batch).map((write) => write.rows));
  const spansTimes = timeRuns(() => {
    for (const rows of enriched) encodeSpans(rows, promoted, formats.spans.table, formats.spans.encode);
  }, runs);
  results.push(
    rate(
      'storage',
      `Parquet encoding of the spans table (${BATCH_TRACES} traces a batch), spans/s`,
      spanCount,
      spansTimes,
      { op: '>=', value: 200_000 },
    ),
  );

  // The share of that which is enrichment alone (the rest is building columns and encoding).
  const enrichTimes = timeRuns(() => {
    for (const batch of batches) writesOf(batch);
  }, runs);
  results.push(
    rate('storage', 'enrichment alone (summary, critical path, edges), spans/s', spanCount, enrichTimes),
  );

  // Bytes per span at rest: one compacted file for the whole workload.
  const allWrites = writesOf(traces);
  const gcBefore = process.memoryUsage().heapUsed;
  let compacted = tableBytes(allWrites, formats, promoted);
  const heapGrowth = process.memoryUsage().heapUsed - gcBefore;
  // The same encoding in one file (a compaction run): the per-file cost of small batches shows.
  const compactTimes = timeRuns(
    () => {
      compacted = tableBytes(allWrites, formats, promoted);
    },
    runs,
    0,
  );
  results.push(
    rate('storage', 'Parquet encoding of one compacted file per table, spans/s', spanCount, compactTimes),
    figure('storage', 'Parquet spans table, compacted file, bytes/span', compacted.spans / spanCount, 'B', {
      op: '<=',
      value: 40,
    }),
    figure(
      'storage',
      `Parquet spans table, batch files of ${BATCH_TRACES} traces, bytes/span`,
      batchSpanBytes / spanCount,
      'B',
    ),
    figure('storage', 'Parquet traces table, compacted, bytes/trace', compacted.traces / traces.length, 'B'),
    figure('storage', 'Parquet edges table, compacted, bytes/trace', compacted.edges / traces.length, 'B'),
  );

  // DynamoDB items: encoding rate, then the write units each kept trace costs.
  const medianTrace = median(traces.map((t) => t.spans.length));
  results.push(
    ...dynamoDbFigures(traces, allWrites, BATCH_TRACES, runs),
    figure('storage', 'spans in the median kept trace', medianTrace, 'spans'),
    figure(
      'storage',
      'heap growth across encoding the compacted files (indicative: a collection may run inside)',
      heapGrowth / 2 ** 20,
      'MiB',
    ),
  );
  return results;
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const workload = generateWorkload({ seed: 42, traces: quick ? 2_000 : 10_000 });
  for (const r of await benchStorage(workload, quick ? 3 : 5)) {
    const spread =
      r.runs.length > 1 ? `  (${Math.min(...r.runs).toFixed(1)}..${Math.max(...r.runs).toFixed(1)})` : '';
    const goal = r.goal ? `  goal ${r.goal.op} ${r.goal.value}` : '';
    console.log(`${r.metric}: ${r.value.toFixed(2)} ${r.unit}${spread}${goal}`);
  }
}
