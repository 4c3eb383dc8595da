/** The compaction Lambda: a thin middy handler over compactClosedHours, run by an hourly schedule. */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import { type CompactionDeps, type CompactionReport, compactClosedHours } from './compact.ts';

export function createCompactionHandler(deps: CompactionDeps) {
  return middy<ScheduledEvent, CompactionReport>()
    .use(flushMetrics(deps.metrics))
    .handler(async () => {
      const report = await compactClosedHours(deps);
      deps.logger.log('info', 'compaction run', { ...report });
      return report;
    });
}
