/**
 * The measured figures the cost model needs, read from `npm run bench`'s JSON when it is at hand,
 * each falling back to the documented default (BENCHMARKS.md) when the run did not measure it.
 */
import { REWRITE_RATE_METRIC } from '../compaction.ts';
import { BenchResultsError } from './errors.ts';
import type { MeasuredFigures } from './model.ts';

/**
 * Defaults: the medians of medians of three full benchmark runs on the reference machine
 * (BENCHMARKS.md, 2026-12-07, issue 18), rounded towards the expensive side. DynamoDB's summary and index
 * entry sizes are estimates (the benchmark measures whole items, not their parts).
 */
export const DEFAULT_FIGURES: MeasuredFigures = {
  ingestCpuSecondsPerSpan: 1 / 600_000,
  samplerCpuSecondsPerSpan: 1 / 290_000,
  storageCpuSecondsPerKeptSpan: 1 / 110_000,
  // The whole rewrite of a 500,000-span shard-hour (reading the batch files included), with the
  // allocator settings that keep its peak under 400 MB (6,610 spans/s measured).
  compactionCpuSecondsPerKeptSpan: 1 / 6_600,
  lambdaSpeedFactor: 1,
  // Fitted from the 1- and 16-shard rows (see kinesisFit).
  kinesisBytesPerSpan: 30,
  kinesisBytesPerRecord: 890,
  parquetBytesPerSpan: 28,
  parquetBytesPerTrace: 32,
  parquetEdgesBytesPerTrace: 36,
  // Issue 18's item format: keys, expiry and a binary head (about 205 B), then packed spans.
  dynamoBytesPerSpan: 77,
  dynamoSummaryBytes: 205,
  dynamoIndexWriteUnits: 0.39,
  dynamoIndexBytes: 60,
};

interface ResultRow {
  readonly stage: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

type Matcher = (row: ResultRow) => boolean;

/**
 * Which benchmark row feeds which figure, and how. Parquet sizes are the compacted files', what
 * stays at rest. The storage CPU, Kinesis and DynamoDB figures combine rows (below).
 */
const FROM_BENCH: ReadonlyArray<{
  readonly figure: keyof MeasuredFigures;
  readonly matches: Matcher;
  readonly convert: (value: number) => number;
}> = [
  {
    figure: 'ingestCpuSecondsPerSpan',
    matches: (r) =>
      r.stage === 'ingest' && r.unit === '/s' && r.metric.startsWith('protobuf spans/s per core'),
    convert: (v) => 1 / v,
  },
  {
    figure: 'samplerCpuSecondsPerSpan',
    matches: (r) => r.stage === 'sampler' && r.unit === '/s' && r.metric.startsWith('spans/s per core'),
    convert: (v) => 1 / v,
  },
  {
    figure: 'compactionCpuSecondsPerKeptSpan',
    matches: (r) => r.stage === 'compaction' && r.unit === '/s' && r.metric.includes(REWRITE_RATE_METRIC),
    convert: (v) => 1 / v,
  },
  {
    figure: 'parquetBytesPerSpan',
    matches: (r) => r.stage === 'storage' && r.metric === 'Parquet spans table, compacted file, bytes/span',
    convert: (v) => v,
  },
  {
    figure: 'parquetBytesPerTrace',
    matches: (r) => r.stage === 'storage' && r.metric === 'Parquet traces table, compacted, bytes/trace',
    convert: (v) => v,
  },
  {
    figure: 'parquetEdgesBytesPerTrace',
    matches: (r) => r.stage === 'storage' && r.metric === 'Parquet edges table, compacted, bytes/trace',
    convert: (v) => v,
  },
];

export interface FigureSources {
  readonly figures: MeasuredFigures;
  /** For each figure, the benchmark row it came from, or "default". */
  readonly sources: { readonly [K in keyof MeasuredFigures]: string };
  /** Reasons to trust the figures less (a quick run, for one). */
  readonly warnings: readonly string[];
}

/** The workload size of a full run (`npm run bench` without --quick). */
const FULL_RUN_TRACES = 10_000;

function isResultRow(row: unknown): row is ResultRow {
  if (typeof row !== 'object' || row === null) return false;
  const r = row as Record<string, unknown>;
  return (
    typeof r.stage === 'string' &&
    typeof r.metric === 'string' &&
    typeof r.unit === 'string' &&
    typeof r.value === 'number' &&
    Number.isFinite(r.value)
  );
}

/** Figures from a parsed bench/results JSON document; `path` only names it in errors. */
export function figuresFromBench(document: unknown, path: string): FigureSources {
  const results = (document as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new BenchResultsError(path, 'no "results" array');
  const bad = results.findIndex((row) => !isResultRow(row));
  if (bad >= 0) throw new BenchResultsError(path, `results[${bad}] is not a row with a finite value`);
  // A row may measure something that goes below zero (heap growth); one a figure is drawn from may not.
  const priced = (row: ResultRow | undefined): ResultRow | undefined => {
    if (row && !(row.value > 0))
      throw new BenchResultsError(path, `results[${results.indexOf(row)}] (${row.metric}) is not positive`);
    return row;
  };
  const figures: Record<string, number> = { ...DEFAULT_FIGURES };
  const sources: Record<string, string> = Object.fromEntries(
    Object.keys(DEFAULT_FIGURES).map((key) => [key, 'default']),
  );
  for (const { figure, matches, convert } of FROM_BENCH) {
    const row = priced((results as ResultRow[]).find(matches));
    if (!row) continue;
    figures[figure] = convert(row.value);
    sources[figure] = `${row.stage}: ${row.metric}`;
  }
  const rows = results as ResultRow[];
  const fit = kinesisFit(rows);
  if (fit) {
    figures.kinesisBytesPerSpan = fit.bytesPerSpan;
    figures.kinesisBytesPerRecord = fit.bytesPerRecord;
    sources.kinesisBytesPerSpan = 'ingest: fitted from Kinesis bytes per span and records at 1 and 16 shards';
    sources.kinesisBytesPerRecord = sources.kinesisBytesPerSpan;
  }
  // Kept spans go through enrichment + Parquet encoding and DynamoDB item encoding: CPU adds up.
  const storage = (metric: string) =>
    priced(rows.find((r) => r.stage === 'storage' && r.metric.startsWith(metric)));
  const parquet = storage('enrichment + Parquet encoding');
  const items = storage('DynamoDB item encoding');
  if (parquet && items && parquet.unit === '/s' && items.unit === '/s') {
    figures.storageCpuSecondsPerKeptSpan = 1 / parquet.value + 1 / items.value;
    sources.storageCpuSecondsPerKeptSpan = `storage: ${parquet.metric} + ${items.metric}`;
  }
  // The median kept trace's item bytes, less the (estimated) summary, per span.
  const itemBytes = storage('DynamoDB item bytes per median kept trace');
  const medianSpans = storage('spans in the median kept trace');
  const summaryBytes = DEFAULT_FIGURES.dynamoSummaryBytes;
  if (itemBytes && medianSpans && itemBytes.value > summaryBytes) {
    figures.dynamoBytesPerSpan = (itemBytes.value - summaryBytes) / medianSpans.value;
    sources.dynamoBytesPerSpan = `storage: ${itemBytes.metric} less the ${summaryBytes}-byte summary, per span`;
  }
  const index = storage('search index write units per kept trace, batches of 100');
  if (index) {
    figures.dynamoIndexWriteUnits = index.value;
    sources.dynamoIndexWriteUnits = `storage: ${index.metric}`;
  }
  const traces = (document as { workload?: { traces?: unknown } }).workload?.traces;
  const warnings =
    typeof traces === 'number' && traces < FULL_RUN_TRACES
      ? [
          `${path} comes from a run over ${traces} traces (--quick?); BENCHMARKS.md's defaults come from full runs of ${FULL_RUN_TRACES.toLocaleString('en-US')}`,
        ]
      : [];
  return {
    figures: figures as unknown as MeasuredFigures,
    sources: sources as FigureSources['sources'],
    warnings,
  };
}

export function defaultFigures(): FigureSources {
  return {
    figures: DEFAULT_FIGURES,
    sources: Object.fromEntries(
      Object.keys(DEFAULT_FIGURES).map((key) => [key, 'default']),
    ) as FigureSources['sources'],
    warnings: [],
  };
}

/**
 * Kinesis bytes as `spans x perSpan + records x perRecord`, solved from two benchmark runs of the
 * same workload over 1 and 16 shards (more shards, more and smaller records). Undefined when the
 * rows are missing or do not give a positive solution.
 */
export function kinesisFit(
  results: readonly ResultRow[],
): { readonly bytesPerSpan: number; readonly bytesPerRecord: number } | undefined {
  const value = (metric: string): number | undefined =>
    results.find((r) => r.stage === 'ingest' && r.metric === metric)?.value;
  const b1 = value('Kinesis bytes per span (1 shard)');
  const b16 = value('Kinesis bytes per span (16 shards)');
  const r1 = value('records per 1,000 spans (1 shards)');
  const r16 = value('records per 1,000 spans (16 shards)');
  if (b1 === undefined || b16 === undefined || r1 === undefined || r16 === undefined || r16 === r1)
    return undefined;
  // bytes/span = perSpan + perRecord x records/span, at two points.
  const perRecord = (b16 - b1) / ((r16 - r1) / 1000);
  const perSpan = b1 - perRecord * (r1 / 1000);
  return perRecord > 0 && perSpan > 0 ? { bytesPerSpan: perSpan, bytesPerRecord: perRecord } : undefined;
}
