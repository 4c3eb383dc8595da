/**
 * `npm run demo`: five example services instrumented with the OpenTelemetry JS SDK send checkout
 * traffic to the local pipeline (`npm start`), then the decisions are read back and printed beside
 * what was sent.
 */
import { resolve } from 'node:path';
import { usageRequested } from '../local/usage.ts';
import { givenEndpoints, readEndpoints } from './endpoints.ts';
import { DemoError } from './errors.ts';
import { DEMO_USAGE, parseDemoOptions } from './options.ts';
import { collectDecisions, compareOutcome, formatOutcome } from './outcome.ts';
import { runDemo } from './run.ts';
import { fileServiceLog } from './service-log.ts';

async function main(argv: readonly string[]): Promise<void> {
  if (usageRequested(argv)) {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  const options = parseDemoOptions(argv);
  const endpoints = options.deployed
    ? givenEndpoints(options.deployed)
    : readEndpoints(resolve(options.dataDir));
  const log = fileServiceLog(options.logFile);
  const extent = options.count !== undefined ? `${options.count} requests` : `${options.durationSeconds} s`;
  console.log(
    `demo: frontend, checkout, inventory, payments, orders -> ${endpoints.traces} (${options.protocol}${options.gzip ? ' + gzip' : ''})
      ${options.rate} requests/s for ${extent}, ${options.errorRate * 100}% failing, ${options.slowRate * 100}% slow
      service logs (JSON, with trace_id and span_id): ${options.logFile}
      Ctrl-C stops sending early and still reports.`,
  );
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const tty = process.stdout.isTTY === true;
  let answered = 0;
  const progress = setInterval(() => {
    if (tty) process.stdout.write(`\r\x1b[2Ksent ${answered} requests`);
  }, 500);
  let run: Awaited<ReturnType<typeof runDemo>>;
  try {
    run = await runDemo(
      endpoints,
      {
        workload: {
          rate: options.rate,
          count: options.count,
          durationSeconds: options.durationSeconds,
          errorRate: options.errorRate,
          slowRate: options.slowRate,
          seed: options.seed,
        },
        exporterOf: () => ({ protocol: options.protocol, gzip: options.gzip }),
        slowMs: options.slowMs,
        exportDelayMs: options.exportDelayMs,
        log,
      },
      abort.signal,
      () => answered++,
    );
  } finally {
    clearInterval(progress);
    await log.close();
  }
  const { spansRefused, exportsRefused } = run.accepted;
  console.log(
    `${tty ? '\r\x1b[2K' : ''}sent ${run.sent.length} requests; the endpoint accepted ${run.accepted.spanCount()} spans${spansRefused ? ` and refused ${spansRefused} (${exportsRefused} exports failed: is the pipeline running, is the API key right?)` : ''}`,
  );
  if (run.accepted.byTrace.size === 0) {
    process.exitCode = 1;
    return;
  }
  if (!options.wait) return;
  const clocks = endpoints.sampler;
  const decisions = await collectDecisions(endpoints, run.accepted, {
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    now: Date.now,
    onPass: (pass) =>
      console.log(
        pass === 0
          ? `waiting for decisions (send delay ${clocks.sendDelaySeconds} s + batching window ${clocks.batchingWindowSeconds} s)...`
          : `reading decisions back through ${endpoints.traceById}/{traceId} (pass ${pass})`,
      ),
  });
  console.log(`\n${formatOutcome(compareOutcome(run.sent, run.accepted, decisions), options.slowMs)}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`demo: ${error instanceof DemoError ? error.message : (error as Error).stack}`);
  process.exit(error instanceof DemoError ? 2 : 1);
});
