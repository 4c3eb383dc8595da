/**
 * middy middleware: writes the invocation's metrics (EMF) after the handler, also when it fails,
 * so failures are counted too.
 */
import type middy from '@middy/core';
import type { Metrics } from '../metrics/index.ts';

export function flushMetrics<E, R>(metrics: Metrics): middy.MiddlewareObj<E, R> {
  return {
    after: () => {
      metrics.flush();
    },
    onError: () => {
      metrics.flush();
    },
  };
}
