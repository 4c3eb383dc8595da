/**
 * `npm run soak`: the local pipeline under sustained load for several minutes, in one process.
 *
 *   npm run soak -- [--minutes 5] [--rate 2000] [--shards 2] [--sample-seconds 5] [--out FILE]  (SOAK_USAGE)
 *
 * Exporter bodies from the reference workload (the OpenTelemetry SDK's own serializers, fresh trace
 * ids every cycle) are POSTed to the OTLP endpoint at `--rate` spans/s. Every few seconds it samples
 * heap and RSS (after a GC when run with --expose-gc, as the npm script does) and the iterator lag
 * (records written to the stream and not yet checkpointed by the poller). When the load stops it
 * waits for the stream to drain, then checks conservation exactly from the handlers' own metrics:
 *
 *   SpansAccepted (ingest) = SpansKept + SpansDropped + SpansDeadLettered + DuplicateSpans (sampler)
 *
 * and exits non-zero if it does not hold (or if any request was refused).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../lambdas/shared/config/index.ts';
import { jsonLogger } from '../lambdas/shared/log.ts';
import { parseEmfLine } from '../lambdas/shared/metrics/index.ts';
import { generateWorkload } from '../workload/workload.ts';
import { UsageError } from './errors.ts';
import { startLocalPipeline } from './pipeline.ts';
import { usageRequested } from './usage.ts';

interface Sample {
  readonly atSeconds: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
  readonly pendingRecords: number;
  readonly spansAccepted: number;
}

const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

function number(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive number, got ${text}`);
  return value;
}

export const SOAK_USAGE = `npm run soak -- [options]

Runs the local pipeline in this process (a temporary data directory) under sustained load from the
reference workload, samples heap, RSS and iterator lag, then checks that every accepted span was
kept, dropped or dead-lettered; exits non-zero when that does not hold or a request was refused.

  --minutes N         minutes of load (default 5)
  --rate N            spans a second (default 2000)
  --shards N          Kinesis shards of the stand-in stream (default 2)
  --sample-seconds N  seconds between samples (default 5)
  --out FILE          also write the summary and the samples as JSON (default: none)
  -h, --help          print this and exit

Example:
  npm run soak -- --minutes 10 --rate 5000 --out soak.json
`;

export interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
  readonly shards: number;
  readonly sampleSeconds: number;
  readonly out: string | undefined;
}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${SOAK_USAGE}`);
  }
  return {
    minutes: number('minutes', values.minutes),
    rate: number('rate', values.rate),
    shards: number('shards', values.shards),
    sampleSeconds: number('sample-seconds', values['sample-seconds']),
    out: values.out,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string', default: '5' },
      rate: { type: 'string', default: '2000' },
      shards: { type: 'string', default: '2' },
      'sample-seconds': { type: 'string', default: '5' },
      out: { type: 'string' },
    },
    strict: true,
  });
}

/** Sums of every metric over every EMF line, per function. */
class MetricTotals {
  private readonly totals = new Map<string, number>();

  public add(line: string): void {
    const parsed = parseEmfLine(line);
    if (!parsed) return;
    const fn = String(parsed.Function ?? '');
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value !== 'number' || name === '_aws') continue;
      const key = `${fn}.${name}`;
      this.totals.set(key, (this.totals.get(key) ?? 0) + value);
    }
  }

  public get(fn: string, name: string): number {
    return this.totals.get(`${fn}.${name}`) ?? 0;
  }
}

async function main(args: SoakOptions): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-soak-'));
  const apiKey = `soak-${randomBytes(8).toString('hex')}`;
  const totals = new MetricTotals();
  // A 1 s batching window keeps the lag figure about the pipeline, not about waiting to fill batches.
  const config = parseConfig({
    window: { batchingWindowSeconds: 1 },
    sampling: { baselineProbability: 0.1 },
  });
  const pipeline = await startLocalPipeline({
    dataDir,
    fresh: true,
    port: 0,
    apiKey,
    queryApiKey: `soak-read-${randomBytes(8).toString('hex')}`,
    config,
    shardCount: args.shards,
    logger: jsonLogger('soak', 'warn', (line) => process.stderr.write(`${line}\n`)),
    metricSink: (line) => totals.add(line),
  });
  const recordsPut = (): number => totals.get('ingest', 'RecordsPut') + totals.get('sampler', 'RecordsPut');
  const started = Date.now();
  const samples: Sample[] = [];
  const sample = (): Sample => {
    gc?.();
    const memory = process.memoryUsage();
    const s: Sample = {
      atSeconds: Math.round((Date.now() - started) / 1000),
      heapMiB: Math.round((memory.heapUsed / MiB) * 10) / 10,
      rssMiB: Math.round((memory.rss / MiB) * 10) / 10,
      pendingRecords: pipeline.pendingRecords(recordsPut()),
      spansAccepted: totals.get('ingest', 'SpansAccepted'),
    };
    samples.push(s);
    process.stdout.write(
      `t=${s.atSeconds}s heap=${s.heapMiB} MiB rss=${s.rssMiB} MiB lag=${s.pendingRecords} records accepted=${s.spansAccepted}\n`,
    );
    return s;
  };
  const sampler = setInterval(sample, args.sampleSeconds * 1000);
  sample();

  // Load: fresh traces every cycle, paced to the target rate, a few requests in flight.
  const loadEnd = started + args.minutes * 60_000;
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  let spansSent = 0;
  let cycle = 0;
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < loadEnd) {
    const workload = generateWorkload({ traces: 400, seed: ++cycle, startMs: Date.now(), batchSize: 256 });
    for (const request of workload.requests) {
      if (Date.now() >= loadEnd) break;
      const due = started + (spansSent / args.rate) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      while (inFlight.size >= 4) await Promise.race(inFlight);
      spansSent += request.spanCount;
      const sent = exportLikeAnExporter(
        pipeline.endpoints.traces,
        apiKey,
        request.protobuf,
        statuses,
        errors,
      );
      const tracked = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
  }
  await Promise.all(inFlight);
  const loadSeconds = (Date.now() - started) / 1000;

  // Drain: every trace decided (deferred ones circle until their send delay or timeout has passed).
  const drainLimit = Date.now() + (config.sampling.traceTimeoutSeconds + 90) * 1000;
  let quiet = 0;
  while (Date.now() < drainLimit && quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    quiet = pipeline.pendingRecords(recordsPut()) === 0 ? quiet + 1 : 0;
  }
  clearInterval(sampler);
  const last = sample();
  await pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const accepted = totals.get('ingest', 'SpansAccepted');
  const kept = totals.get('sampler', 'SpansKept');
  const dropped = totals.get('sampler', 'SpansDropped');
  const deadLettered = totals.get('sampler', 'SpansDeadLettered');
  const duplicates = totals.get('sampler', 'DuplicateSpans');
  const batchFailures = totals.get('sampler', 'BatchFailures');
  const afterWarmup = samples.find((s) => s.atSeconds >= 60) ?? samples[0];
  const duringLoad = samples.filter((s) => s.atSeconds <= loadSeconds);
  const summary = {
    minutes: args.minutes,
    targetSpansPerSecond: args.rate,
    spansSent,
    spansAccepted: accepted,
    heldSpansPerSecond: Math.round(accepted / loadSeconds),
    responses: Object.fromEntries(statuses),
    connectionErrors: Object.fromEntries(errors),
    kept,
    dropped,
    deadLettered,
    duplicates,
    batchFailures,
    conservation: accepted === kept + dropped + deadLettered + duplicates,
    drained: last.pendingRecords === 0,
    heapMiB: { start: samples[0]?.heapMiB, afterWarmup: afterWarmup?.heapMiB, end: last.heapMiB },
    rssMiB: { start: samples[0]?.rssMiB, afterWarmup: afterWarmup?.rssMiB, end: last.rssMiB },
    maxHeapMiB: Math.max(...samples.map((s) => s.heapMiB)),
    maxLagRecords: Math.max(...duringLoad.map((s) => s.pendingRecords)),
    samples: samples.length,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (args.out) writeFileSync(args.out, `${JSON.stringify({ ...summary, series: samples }, null, 2)}\n`);
  // A request that ended 200 put every span it carried; anything else lost spans.
  const refused = [...statuses.keys()].some((status) => status !== 200);
  if (!summary.conservation || !summary.drained || refused) process.exitCode = 1;
}

/** Statuses the OTLP/HTTP specification tells exporters to retry. */
const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * POSTs one body as an OTLP exporter does: a retryable status or a connection error is retried
 * (up to 5 attempts, Retry-After or exponential backoff). Counts the final status (0: gave up on
 * connection errors) and every connection error by message.
 */
async function exportLikeAnExporter(
  url: string,
  apiKey: string,
  body: Uint8Array,
  statuses: Map<number, number>,
  errors: Map<string, number>,
): Promise<void> {
  let status = 0;
  for (let attempt = 1; attempt <= 5; attempt++) {
    let retryAfterMs = 100 * 2 ** attempt;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'x-api-key': apiKey },
        body,
      });
      await response.arrayBuffer();
      status = response.status;
      if (!RETRYABLE.has(status)) break;
      retryAfterMs = Number(response.headers.get('retry-after') ?? 1) * 1000;
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      const message = `${(error as Error).message}${cause ? `: ${cause.message}` : ''}`;
      errors.set(message, (errors.get(message) ?? 0) + 1);
      status = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
  }
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  if (usageRequested(argv)) process.stdout.write(SOAK_USAGE);
  else
    Promise.resolve()
      .then(() => main(parseSoakArgs(argv)))
      .catch((error: unknown) => {
        process.stderr.write(`soak failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = error instanceof UsageError ? 2 : 1;
      });
}
