/** The canary Lambda: a scheduled middy handler around runCanary; metrics flushed also on failure. */
import middy from '@middy/core';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import { type CanaryDeps, type CanaryOutcome, runCanary } from './canary.ts';

export function createCanaryHandler(deps: CanaryDeps) {
  return middy<unknown, CanaryOutcome>()
    .use(flushMetrics(deps.metrics))
    .handler(async () => runCanary(deps));
}
