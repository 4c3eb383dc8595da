/**
 * The replay command's arguments and its report, apart from the process (main.ts) so both are tested.
 *
 *   npm run replay -- --bucket FAILED_BATCHES_BUCKET --stream STREAM [--region R] [--prefix aws/lambda/] [--dry-run]
 *   npm run replay -- --local [--data-dir .tracesift] [--dry-run]
 */
import { parseArgs } from 'node:util';
import { ReplayUsageError } from './errors.ts';
import { LAMBDA_DESTINATION_PREFIX } from './invocation-record.ts';
import type { ReplayReport } from './replay.ts';

export type ReplayTarget =
  | {
      readonly kind: 'aws';
      readonly bucket: string;
      readonly stream: string;
      readonly region: string | undefined;
      readonly prefix: string;
    }
  | { readonly kind: 'local'; readonly dataDir: string };

export const REPLAY_USAGE = `npm run replay -- --bucket BUCKET --stream STREAM [--region R] [--prefix P] [--dry-run]
npm run replay -- --local [--data-dir DIR] [--dry-run]

Puts the batches the sampler's event source mapping gave up on (its S3 on-failure destination)
back on the trace stream, once each; exits 1 when some batch could not be replayed.

  --bucket BUCKET   the FailedBatchesBucket output of the stack
  --stream STREAM   the TraceStream output of the stack
  --region R        the stack's region (default: the AWS SDK's, from AWS_REGION or the profile)
  --prefix P        key prefix of the invocation records (default ${LAMBDA_DESTINATION_PREFIX})
  --local           replay into the local pipeline of npm start instead
  --data-dir DIR    npm start's data directory, with --local (default .tracesift)
  --dry-run         only report what would be put (default off)
  -h, --help        print this and exit

Example:
  npm run replay -- --bucket tracesift-failedbatches-1a2b3c --stream tracesift-spans --dry-run
`;

export interface ReplayCommand {
  readonly target: ReplayTarget;
  readonly dryRun: boolean;
}

export function parseReplayArgs(args: readonly string[]): ReplayCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new ReplayUsageError(`${(error as Error).message}\n\n${REPLAY_USAGE}`);
  }
  const dryRun = values['dry-run'] ?? false;
  if (values.local) {
    for (const name of ['bucket', 'stream', 'region', 'prefix'] as const)
      if (values[name] !== undefined) throw new ReplayUsageError(`--${name} does not apply with --local`);
    return { target: { kind: 'local', dataDir: values['data-dir'] ?? '.tracesift' }, dryRun };
  }
  if (values['data-dir'] !== undefined) throw new ReplayUsageError('--data-dir needs --local');
  const { bucket, stream } = values;
  if (!bucket || !stream)
    throw new ReplayUsageError(
      'give --bucket (the FailedBatchesBucket output) and --stream (the TraceStream output), or --local',
    );
  const prefix = values.prefix ?? LAMBDA_DESTINATION_PREFIX;
  return { target: { kind: 'aws', bucket, stream, region: values.region, prefix }, dryRun };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      bucket: { type: 'string' },
      stream: { type: 'string' },
      region: { type: 'string' },
      prefix: { type: 'string' },
      local: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
}

/** The report, one line a batch; poison records named so an operator can inspect them. */
export function renderReport(report: ReplayReport, dryRun: boolean): string {
  const verb = dryRun ? 'would put' : 'put';
  const lines = report.replayed.map((b) => {
    const extra = [
      b.wakeUpsSkipped > 0 ? `${b.wakeUpsSkipped} wake-ups skipped` : '',
      b.poison.length > 0
        ? `${b.poison.length} poison records kept out (${b.poison.map((p) => `${p.sequenceNumber}: ${p.reason}`).join('; ')})`
        : '',
    ].filter((s) => s !== '');
    return `${b.key} [${b.condition}, from the ${b.source}]: ${verb} ${b.recordsPut} records (${b.spansPut} spans)${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`;
  });
  for (const f of report.failed) lines.push(`${f.key}: NOT replayed: ${f.error}`);
  const spans = report.replayed.reduce((n, b) => n + b.spansPut, 0);
  lines.push(
    `${report.replayed.length} batches ${dryRun ? 'to replay' : 'replayed'} (${spans} spans), ${report.alreadyReplayed} replayed before, ${report.failed.length} failed`,
  );
  return lines.join('\n');
}
