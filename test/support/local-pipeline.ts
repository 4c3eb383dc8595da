/**
 * The whole local pipeline in-process for end-to-end tests: short sampler clocks, a temp data dir,
 * the demo workload through the real exporters, and readers of what was stored (trace by id and
 * the Parquet tables through their manifests).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { DemoEndpoints } from '../../demo/endpoints.ts';
import { collectDecisions } from '../../demo/outcome.ts';
import type { DemoRun } from '../../demo/run.ts';
import type { DemoService } from '../../demo/services.ts';
import type { ExporterChoice } from '../../demo/telemetry.ts';
import { type FetchedTrace, fetchTrace } from '../../demo/trace-api.ts';
import { s3Client } from '../../lambdas/shared/aws/clients.ts';
import {
  parseConfig,
  type TracesiftConfig,
  type TracesiftConfigInput,
} from '../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { BUCKET_NAME, type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { LOCAL_REGION } from '../../local/standins/kinesis.ts';
import { StatusBoard } from '../../local/status.ts';
import { tableRows } from './storage.ts';
import { wallClockMs } from './wall-clock.ts';

/** Each service exports differently, so one trace crosses protobuf and JSON, gzip and none. */
export const MIXED_EXPORTERS: Record<DemoService, ExporterChoice> = {
  frontend: { protocol: 'proto', gzip: true },
  checkout: { protocol: 'json', gzip: true },
  inventory: { protocol: 'proto', gzip: false },
  payments: { protocol: 'json', gzip: false },
  orders: { protocol: 'json', gzip: true },
};

/** Sampler clocks of a few seconds, so a run decides within the test's time. */
export function e2eConfig(input: TracesiftConfigInput = {}): TracesiftConfig {
  return parseConfig({
    ...input,
    window: { batchingWindowSeconds: 1 },
    sampling: { sendDelaySeconds: 1, traceTimeoutSeconds: 6, ...input.sampling },
  });
}

export interface TestPipeline {
  readonly pipeline: LocalPipeline;
  readonly status: StatusBoard;
  readonly endpoints: DemoEndpoints;
}

export async function startTestPipeline(
  dataDir: string,
  config: TracesiftConfig,
  port = 0,
): Promise<TestPipeline> {
  const status = new StatusBoard();
  const pipeline = await startLocalPipeline({
    dataDir,
    fresh: false,
    port,
    apiKey: 'e2e-key',
    queryApiKey: 'e2e-read-key',
    // As npm start: a browser key only when pages of some origin may send spans.
    browserApiKey: config.ingest.cors.allowedOrigins.length > 0 ? 'e2e-browser-key' : undefined,
    config,
    shardCount: 2,
    batchSize: 500,
    logger: silentLogger,
    metricSink: status.sink,
  });
  const e = pipeline.endpoints;
  return {
    pipeline,
    status,
    endpoints: {
      traces: e.traces,
      traceById: e.traceById,
      apiKey: e.apiKey,
      queryApiKey: e.queryApiKey,
      sampler: e.sampler,
    },
  };
}

/**
 * Waits for the decisions of every accepted trace and reads each kept one back whole. The clocks
 * alone are not enough on a loaded machine (the sampler may lag behind them), so it first waits
 * for the stream to drain: an undecided trace is always in the stream (deferred traces are re-put),
 * so once the send delay has passed and the poller has caught up, every trace is decided.
 */
export async function keptTraces(local: TestPipeline, run: DemoRun): Promise<Map<string, FetchedTrace>> {
  const { endpoints } = local;
  const readyAt = run.accepted.lastExportAt + endpoints.sampler.sendDelaySeconds * 1000 + 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt - wallClockMs())));
  await local.pipeline.poller.caughtUp();
  const decided = await collectDecisions(endpoints, run.accepted, {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: wallClockMs,
  });
  const kept = new Map<string, FetchedTrace>();
  for (const traceId of decided.keys()) {
    const trace = await fetchTrace(endpoints, traceId);
    if (trace) kept.set(traceId, trace);
  }
  return kept;
}

export function pipelineS3(pipeline: LocalPipeline): S3Client {
  return s3Client({
    endpoint: pipeline.endpoints.s3,
    region: LOCAL_REGION,
    credentials: pipeline.endpoints.credentials,
    forcePathStyle: true,
  });
}

/** Span ids by trace id in the Parquet `spans` table, and trace-row counts in `traces`. */
export async function parquetTraces(
  s3: S3Client,
): Promise<{ spans: Map<string, string[]>; traceRows: Map<string, number> }> {
  const spans = new Map<string, string[]>();
  for (const row of await tableRows(s3, BUCKET_NAME, 'spans')) {
    const traceId = row.trace_id as string;
    spans.set(traceId, [...(spans.get(traceId) ?? []), row.span_id as string]);
  }
  const traceRows = new Map<string, number>();
  for (const row of await tableRows(s3, BUCKET_NAME, 'traces')) {
    const traceId = row.trace_id as string;
    traceRows.set(traceId, (traceRows.get(traceId) ?? 0) + 1);
  }
  return { spans, traceRows };
}

/** Resolves once `ready()` holds, checking every 250 ms, or after `timeoutMs` (the caller asserts). */
export async function settle(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await ready()) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 250));
}

/**
 * Asserts the Parquet tables hold exactly the kept traces, span for span, one trace row each, once
 * the sampler's batches have listed them (waiting up to 10 s for that).
 */
export async function expectKeptInParquet(
  pipeline: LocalPipeline,
  kept: ReadonlyMap<string, FetchedTrace>,
): Promise<void> {
  const s3 = pipelineS3(pipeline);
  let parquet = await parquetTraces(s3);
  await settle(async () => {
    parquet = await parquetTraces(s3);
    return [...kept.keys()].every((t) => parquet.traceRows.has(t));
  }, 10_000);
  expect([...parquet.traceRows.keys()].sort()).toEqual([...kept.keys()].sort());
  for (const [traceId, trace] of kept) {
    expect(parquet.spans.get(traceId)?.sort(), traceId).toEqual(trace.spans.map((s) => s.spanId).sort());
    expect(parquet.traceRows.get(traceId), traceId).toBe(1);
  }
}
