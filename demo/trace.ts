/**
 * `npm run trace -- TRACE_ID [--data-dir .tracesift]`: one kept trace from the local pipeline's
 * trace-by-id API, printed as a tree with durations, statuses and the critical path.
 */
import { resolve } from 'node:path';
import { usageRequested } from '../local/usage.ts';
import { readEndpoints } from './endpoints.ts';
import { DemoError } from './errors.ts';
import { parseTraceOptions, TRACE_USAGE } from './options.ts';
import { fetchTrace } from './trace-api.ts';
import { renderTraceTree } from './trace-tree.ts';

async function main(argv: readonly string[]): Promise<void> {
  if (usageRequested(argv)) {
    process.stdout.write(TRACE_USAGE);
    return;
  }
  const { traceId, dataDir } = parseTraceOptions(argv);
  const endpoints = readEndpoints(resolve(dataDir));
  const trace = await fetchTrace(endpoints, traceId);
  if (!trace) {
    const { sendDelaySeconds, batchingWindowSeconds } = endpoints.sampler;
    console.error(
      `trace ${traceId} is not stored: the pipeline dropped it, it expired, or it is not decided yet (decisions take about ${sendDelaySeconds + batchingWindowSeconds} s after its root span arrives)`,
    );
    process.exit(1);
  }
  const { policy, probability, reason } = trace.summary.sampling;
  console.log(renderTraceTree({ traceId, policy, probability, reason }, trace.spans));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`trace: ${error instanceof DemoError ? error.message : (error as Error).stack}`);
  process.exit(error instanceof DemoError ? 2 : 1);
});
