/** The flags of `npm run bench`, validated into plain options. */
import { parseArgs } from 'node:util';
import { SHARD_HOUR_SPANS } from './compaction.ts';
import { BenchUsageError } from './errors.ts';

export const BENCH_USAGE = `npm run bench -- [options]

Runs every stage (ingest, sampler, storage, compaction, search) on the reference workload, several times each, prints
the medians as a table beside their goals and writes them as JSON. Single-threaded: the figures
are per core. bench/results/latest.json also feeds npm run cost.

  --quick               2,000 traces, 3 runs, a shard-hour of 50,000 spans to compact (about two minutes):
                        a smoke test, not for reporting
  --runs N              measured runs per figure (default 5, or 3 with --quick)
  --traces N            traces in the workload (default 10000, or 2000 with --quick)
  --out FILE            where to write the JSON (default bench/results/latest.json)
  --stages LIST         only these stages, comma-separated (default: all)
  --search-stored LIST  traces stored for the search stage, comma-separated (default 100000, or
                        10x the workload with --quick; 1000000 takes about 8 minutes to load)
  --save-workload DIR   also write the workload's OTLP bodies (.pb and .json) to DIR (default: none)
  -h, --help            print this and exit

Example:
  npm run bench -- --runs 7 --out /tmp/bench.json
`;

export interface BenchOptions {
  readonly traces: number;
  readonly runs: number;
  /** undefined: bench/results/latest.json. */
  readonly out: string | undefined;
  readonly saveWorkload: string | undefined;
  /** undefined: every stage. */
  readonly stages: readonly string[] | undefined;
  readonly searchStored: readonly number[];
  /** Spans of the shard-hour the compaction stage rewrites (fewer with --quick). */
  readonly compactionSpans: number;
}

export const STAGE_NAMES = ['ingest', 'sampler', 'storage', 'compaction', 'search'] as const;

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n\n${BENCH_USAGE}`, { cause: error });
  }
  return {
    traces: positiveInt('traces', values.traces, values.quick ? 2_000 : 10_000),
    runs: positiveInt('runs', values.runs, values.quick ? 3 : 5),
    compactionSpans: values.quick ? SHARD_HOUR_SPANS / 10 : SHARD_HOUR_SPANS,
    out: values.out,
    saveWorkload: values['save-workload'],
    stages: stagesOf(values.stages),
    searchStored: (values['search-stored'] ?? (values.quick ? '20000' : '100000'))
      .split(',')
      .map((part) => positiveInt('search-stored', part, 0)),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      traces: { type: 'string' },
      out: { type: 'string' },
      'save-workload': { type: 'string' },
      stages: { type: 'string' },
      'search-stored': { type: 'string' },
    },
    strict: true,
  });
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new BenchUsageError(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

function stagesOf(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',');
  for (const name of names)
    if (!(STAGE_NAMES as readonly string[]).includes(name))
      throw new BenchUsageError(`--stages: unknown stage "${name}" (known: ${STAGE_NAMES.join(', ')})`);
  return names;
}
