/**
 * `npm run cost` command line: flags to model inputs, every one with the default the model
 * documents, so `npm run cost` alone prices the four reference traffic levels.
 */
import { parseArgs } from 'node:util';
import { CostUsageError, InvalidCostInputError } from './errors.ts';
import { DEFAULT_DEPLOYMENT, DEFAULT_TRAFFIC, type Deployment, type Traffic } from './model.ts';

export const DEFAULT_LEVELS: readonly number[] = [1_000, 10_000, 100_000, 1_000_000];

export interface CostCommand {
  readonly help: boolean;
  /** Price a deployment with no traffic (the hourly bills only) instead of the traffic levels. */
  readonly idle: boolean;
  readonly json: boolean;
  /** Benchmark JSON to read figures from; undefined to use the documented defaults. */
  readonly benchFile: string | undefined;
  readonly levels: readonly number[];
  readonly traffic: Omit<Traffic, 'spansPerSecond'>;
  readonly deployment: Deployment;
  readonly lambdaSpeedFactor: number | undefined;
}

export const USAGE = `npm run cost -- [options]

Prices a tracesift deployment a month at several traffic levels (or idle), component by component,
from the unit prices in bench/cost/prices.ts and the figures of the latest npm run bench, beside
the same traffic on AWS X-Ray.

  --idle                     price a deployment that receives nothing (the bills that run by the hour)
  --spans-per-second LIST    comma-separated traffic levels (default ${DEFAULT_LEVELS.join(',')})
  --spans-per-trace N        mean spans a trace (default ${DEFAULT_TRAFFIC.spansPerTrace})
  --batch-size N             spans per OTLP export request (default ${DEFAULT_TRAFFIC.exportBatchSpans})
  --keep-rate R              share of traces kept, 0 to 1 (default ${DEFAULT_TRAFFIC.keepRate})
  --retention-days N         days in DynamoDB (default ${DEFAULT_TRAFFIC.traceRetentionDays})
  --analytics-retention-days N  days of Parquet on S3 (default ${DEFAULT_TRAFFIC.analyticsRetentionDays})
  --kinesis MODE             on-demand | provisioned (default ${DEFAULT_DEPLOYMENT.kinesisMode})
  --architecture ARCH        arm64 | x86_64 (default ${DEFAULT_DEPLOYMENT.architecture})
  --ingest-memory MB         (default ${DEFAULT_DEPLOYMENT.ingestMemoryMb})
  --sampler-memory MB        (default ${DEFAULT_DEPLOYMENT.samplerMemoryMb})
  --lambda-speed F           Lambda vCPU speed over the benchmark machine's core (default 1)
  --bench FILE               benchmark JSON (default bench/results/latest.json when it exists)
  --no-bench                 ignore benchmark results, use the documented figures
  --json                     print the estimates as JSON
  -h, --help                 print this and exit

Examples:
  npm run cost -- --spans-per-second 5000 --keep-rate 0.1
  npm run cost -- --idle --kinesis provisioned
`;

function number(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new InvalidCostInputError(`--${flag}`, raw, 'a number');
  return value;
}

export function parseCostArgs(argv: readonly string[], defaultBenchFile: string | undefined): CostCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        idle: { type: 'boolean' },
        json: { type: 'boolean' },
        bench: { type: 'string' },
        'no-bench': { type: 'boolean' },
        'spans-per-second': { type: 'string' },
        'spans-per-trace': { type: 'string' },
        'batch-size': { type: 'string' },
        'keep-rate': { type: 'string' },
        'retention-days': { type: 'string' },
        'analytics-retention-days': { type: 'string' },
        kinesis: { type: 'string' },
        architecture: { type: 'string' },
        'ingest-memory': { type: 'string' },
        'sampler-memory': { type: 'string' },
        'lambda-speed': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new CostUsageError(`${(error as Error).message}\n\n${USAGE}`, { cause: error });
  }
  const text = (key: string): string | undefined => values[key] as string | undefined;
  if (values['no-bench'] && text('bench') !== undefined)
    throw new CostUsageError('--bench and --no-bench contradict each other');
  if (values.idle && text('spans-per-second') !== undefined)
    throw new CostUsageError('--idle and --spans-per-second contradict each other (idle is no spans at all)');
  const levels =
    text('spans-per-second') === undefined
      ? DEFAULT_LEVELS
      : (text('spans-per-second') as string).split(',').map((raw) => number('spans-per-second', raw, 0));
  const kinesis = text('kinesis') ?? DEFAULT_DEPLOYMENT.kinesisMode;
  const architecture = text('architecture') ?? DEFAULT_DEPLOYMENT.architecture;
  return {
    help: values.help === true,
    idle: values.idle === true,
    json: values.json === true,
    benchFile: values['no-bench'] ? undefined : (text('bench') ?? defaultBenchFile),
    levels,
    traffic: {
      spansPerTrace: number('spans-per-trace', text('spans-per-trace'), DEFAULT_TRAFFIC.spansPerTrace),
      exportBatchSpans: number('batch-size', text('batch-size'), DEFAULT_TRAFFIC.exportBatchSpans),
      keepRate: number('keep-rate', text('keep-rate'), DEFAULT_TRAFFIC.keepRate),
      traceRetentionDays: number(
        'retention-days',
        text('retention-days'),
        DEFAULT_TRAFFIC.traceRetentionDays,
      ),
      analyticsRetentionDays: number(
        'analytics-retention-days',
        text('analytics-retention-days'),
        DEFAULT_TRAFFIC.analyticsRetentionDays,
      ),
    },
    deployment: {
      ...DEFAULT_DEPLOYMENT,
      kinesisMode: kinesis as Deployment['kinesisMode'],
      architecture: architecture as Deployment['architecture'],
      ingestMemoryMb: number('ingest-memory', text('ingest-memory'), DEFAULT_DEPLOYMENT.ingestMemoryMb),
      samplerMemoryMb: number('sampler-memory', text('sampler-memory'), DEFAULT_DEPLOYMENT.samplerMemoryMb),
    },
    lambdaSpeedFactor:
      text('lambda-speed') === undefined ? undefined : number('lambda-speed', text('lambda-speed'), 1),
  };
}
