/**
 * The compaction schedule of the local pipeline: the very handler the hourly EventBridge rule runs
 * in AWS, run every `intervalMs` and once more at a graceful stop, so that closed hours on disk
 * look as they do in S3 (one compacted file per table and shard-hour) and the local queries read
 * what Athena would. Runs never overlap; a failed run is logged and the next one retries (as the
 * next scheduled invocation would).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createCompactionHandler } from '../lambdas/compaction/app.ts';
import type { CompactionDeps, CompactionReport } from '../lambdas/compaction/compact.ts';

export interface LocalCompaction {
  /** Runs one compaction now (after any run in progress); resolves undefined when it failed. */
  run(): Promise<CompactionReport | undefined>;
  /** Stops the schedule, then runs a last compaction. */
  stop(): Promise<void>;
}

const SCHEDULED_EVENT = { 'detail-type': 'Scheduled Event', source: 'tracesift.local' } as ScheduledEvent;

export function startLocalCompaction(deps: CompactionDeps, intervalMs: number): LocalCompaction {
  const handler = createCompactionHandler(deps);
  let last: Promise<CompactionReport | undefined> = Promise.resolve(undefined);
  const run = (): Promise<CompactionReport | undefined> => {
    last = last.then(async () => {
      try {
        return (await handler(SCHEDULED_EVENT, {} as Context)) ?? undefined;
      } catch (error) {
        deps.logger.log('warn', 'local compaction failed; the next run retries', { error });
        return undefined;
      }
    });
    return last;
  };
  const timer = intervalMs > 0 ? setInterval(() => void run(), intervalMs) : undefined;
  timer?.unref();
  return {
    run,
    stop: async () => {
      if (timer) clearInterval(timer);
      await run();
    },
  };
}
