import { describe, expect, it } from 'vitest';
import { REWRITE_RATE_METRIC } from '../../../bench/compaction.ts';
import { BenchResultsError } from '../../../bench/cost/errors.ts';
import {
  DEFAULT_FIGURES,
  defaultFigures,
  figuresFromBench,
  kinesisFit,
} from '../../../bench/cost/figures.ts';

const row = (stage: string, metric: string, value: number, unit: string) => ({
  stage,
  metric,
  value,
  unit,
  runs: [value],
});

// Kinesis rows generated from a known law: bytes/span = 30 + 800 x records/span.
const kinesisRows = [
  row('ingest', 'Kinesis bytes per span (1 shard)', 30 + 800 * 0.002, 'B'),
  row('ingest', 'records per 1,000 spans (1 shards)', 2, ''),
  row('ingest', 'Kinesis bytes per span (16 shards)', 30 + 800 * 0.026, 'B'),
  row('ingest', 'records per 1,000 spans (16 shards)', 26, ''),
];

describe('figures from benchmark results', () => {
  it('turns throughputs into CPU seconds per span and fits the Kinesis record law', () => {
    // Prepare
    const document = {
      results: [
        row('ingest', 'protobuf spans/s per core (body -> records, 4 shards)', 250_000, '/s'),
        row('sampler', 'spans/s per core (records -> decisions, default policies)', 400_000, '/s'),
        row('storage', 'enrichment + Parquet encoding (100 traces a batch), spans/s', 80_000, '/s'),
        row('storage', 'DynamoDB item encoding, spans/s', 40_000, '/s'),
        row('storage', 'Parquet encoding of one compacted file per table, spans/s', 90_000, '/s'),
        row('compaction', `compaction of one shard-hour: ${REWRITE_RATE_METRIC}, spans/s`, 20_000, '/s'),
        row('storage', 'Parquet spans table, compacted file, bytes/span', 41, 'B'),
        row('storage', 'Parquet traces table, compacted, bytes/trace', 30, 'B'),
        row('storage', 'Parquet edges table, compacted, bytes/trace', 35, 'B'),
        row('storage', 'DynamoDB item bytes per median kept trace', 1_600, 'B'),
        row('storage', 'spans in the median kept trace', 10, 'spans'),
        row(
          'storage',
          'search index write units per kept trace, batches of 100 kept traces (amortized)',
          0.4,
          'WCU',
        ),
        ...kinesisRows,
      ],
    };

    // Act
    const { figures, sources } = figuresFromBench(document, 'latest.json');

    // Assess
    expect(figures.ingestCpuSecondsPerSpan).toBeCloseTo(1 / 250_000, 15);
    expect(figures.samplerCpuSecondsPerSpan).toBeCloseTo(1 / 400_000, 15);
    expect(figures.storageCpuSecondsPerKeptSpan).toBeCloseTo(1 / 80_000 + 1 / 40_000, 15);
    expect(figures.compactionCpuSecondsPerKeptSpan).toBeCloseTo(1 / 20_000, 15);
    expect(figures.parquetBytesPerSpan).toBe(41);
    expect(figures.parquetBytesPerTrace).toBe(30);
    expect(figures.parquetEdgesBytesPerTrace).toBe(35);
    expect(figures.dynamoBytesPerSpan).toBeCloseTo((1_600 - DEFAULT_FIGURES.dynamoSummaryBytes) / 10, 9);
    expect(figures.kinesisBytesPerSpan).toBeCloseTo(30, 9);
    expect(figures.kinesisBytesPerRecord).toBeCloseTo(800, 9);
    expect(sources.ingestCpuSecondsPerSpan).toContain('protobuf spans/s per core');
    expect(figures.dynamoIndexWriteUnits).toBe(0.4);
    expect(sources.dynamoIndexWriteUnits).toContain('search index write units');
    expect(sources.dynamoIndexBytes).toBe('default');
    expect(figures.dynamoIndexBytes).toBe(DEFAULT_FIGURES.dynamoIndexBytes);
  });

  it.each([
    { traces: 2_000, warned: true },
    { traces: 10_000, warned: false },
    { traces: undefined, warned: false },
  ])('warns about a run over $traces traces: $warned', ({ traces, warned }) => {
    const document = { workload: traces === undefined ? undefined : { traces }, results: [] };
    const { warnings } = figuresFromBench(document, 'quick.json');
    expect(warnings).toHaveLength(warned ? 1 : 0);
    if (warned) expect(warnings[0]).toContain('quick.json comes from a run over 2000 traces');
  });

  it('falls back to every default when the run measured none of the figures', () => {
    const { figures, sources } = figuresFromBench({ results: [row('other', 'x', 1, 's')] }, 'x.json');
    expect(figures).toEqual(DEFAULT_FIGURES);
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(defaultFigures().figures).toEqual(DEFAULT_FIGURES);
  });

  it('leaves a figure at its default when the rows it combines are incomplete', () => {
    const { sources } = figuresFromBench(
      {
        results: [
          row('storage', 'enrichment + Parquet encoding (100 traces a batch), spans/s', 80_000, '/s'),
          row(
            'storage',
            'DynamoDB item bytes per median kept trace',
            DEFAULT_FIGURES.dynamoSummaryBytes - 1,
            'B',
          ),
          row('storage', 'spans in the median kept trace', 10, 'spans'),
        ],
      },
      'x.json',
    );
    expect(sources.storageCpuSecondsPerKeptSpan).toBe('default');
    // Fewer bytes than the summary alone: no per-span figure can be drawn from it.
    expect(sources.dynamoBytesPerSpan).toBe('default');
  });

  it.each([
    ['no results array', {}],
    ['null', null],
    ['a row without a value', { results: [{ stage: 'ingest', metric: 'm', unit: 'B' }] }],
    [
      'a zero value in a row a figure is drawn from',
      { results: [row('storage', 'DynamoDB item encoding, spans/s', 0, '/s')] },
    ],
    [
      'a negative value in a row a figure is drawn from',
      { results: [row('storage', 'spans in the median kept trace', -1, 'spans')] },
    ],
    ['a non-numeric value', { results: [{ stage: 'ingest', metric: 'm', unit: 'B', value: '5' }] }],
    ['a non-finite value', { results: [row('ingest', 'm', Number.POSITIVE_INFINITY, 'B')] }],
  ])('rejects a document with %s, naming the file', (_, document) => {
    expect(() => figuresFromBench(document, 'bench/results/latest.json')).toThrow(BenchResultsError);
    expect(() => figuresFromBench(document, 'bench/results/latest.json')).toThrow(
      /bench\/results\/latest\.json/,
    );
  });

  it('takes a row no figure is drawn from whatever its sign (heap growth may be negative)', () => {
    // Prepare
    const document = {
      results: [
        row('storage', 'heap growth across encoding the compacted files', -4.9, 'MiB'),
        row('storage', 'resource items write units per kept trace (amortized)', 0, 'WCU'),
      ],
    };
    // Act
    const { sources } = figuresFromBench(document, 'x.json');
    // Assess
    expect(Object.values(sources).every((source) => source === 'default')).toBe(true);
  });

  it.each([
    ['a missing row', kinesisRows.slice(1)],
    [
      'equal record counts',
      kinesisRows.map((r) => (r.metric.startsWith('records') ? { ...r, value: 5 } : r)),
    ],
    [
      'fewer bytes with more records (a negative overhead)',
      kinesisRows.map((r) => (r.metric === 'Kinesis bytes per span (16 shards)' ? { ...r, value: 20 } : r)),
    ],
  ])('does not fit the Kinesis law from %s', (_, rows) => {
    expect(kinesisFit(rows)).toBeUndefined();
  });
});
