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

export interface ReplayCommand {
  readonly target: ReplayTarget;
  readonly dryRun: boolean;
}

export function parseReplayArgs(args: readonly string[]): ReplayCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new ReplayUsageError((error as Error).message);
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
