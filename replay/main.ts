/**
 * `npm run replay`: puts the batches the sampler's event source mapping gave up on back on the
 * trace stream (replay.ts; arguments in command.ts; runbook in docs/DEPLOY.md). Exit code 0 when
 * every batch was replayed (or had been), 1 when some failed, 2 on a usage error.
 */
import { usageRequested } from '../local/usage.ts';
import { parseReplayArgs, REPLAY_USAGE, renderReport } from './command.ts';
import { ReplayError, ReplayUsageError } from './errors.ts';
import { replayFailedBatches } from './replay.ts';
import { replayDepsOf } from './targets.ts';

async function main(argv: readonly string[]): Promise<void> {
  if (usageRequested(argv)) {
    process.stdout.write(REPLAY_USAGE);
    return;
  }
  const { target, dryRun } = parseReplayArgs(argv);
  const report = await replayFailedBatches(replayDepsOf(target, Date.now), { dryRun });
  console.log(renderReport(report, dryRun));
  if (report.failed.length > 0) process.exit(1);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`replay: ${error instanceof ReplayError ? error.message : (error as Error).stack}`);
  process.exit(error instanceof ReplayUsageError ? 2 : 1);
});
