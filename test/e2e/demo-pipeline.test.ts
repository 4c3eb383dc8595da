/**
 * End to end: the local pipeline in-process, the demo services exporting through the real
 * OpenTelemetry exporters (protobuf and JSON, gzip on and off, mixed within each trace), and the
 * decisions checked against the ground truth: every error trace kept and complete, the same kept
 * traces in DynamoDB (trace by id) and in Parquet, the baseline rate within a loose binomial bound,
 * the async queue hop present in kept traces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRun, runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import type { FetchedTrace } from '../../demo/trace-api.ts';
import { renderTraceTree } from '../../demo/trace-tree.ts';
import { SpanKind } from '../../lambdas/shared/span/model.ts';
import {
  e2eConfig,
  expectKeptInParquet,
  keptTraces,
  MIXED_EXPORTERS,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';

const BASELINE = 0.2;
// Far apart: on a loaded machine normal requests can take several hundred ms, and each one the
// threshold keeps is one fewer for the baseline check below.
const SLOW_MS = 2000;
const LATENCY_THRESHOLD_MS = 1500;

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-e2e-'));
let local: TestPipeline;
let run: DemoRun;
let kept: Map<string, FetchedTrace>;

beforeAll(async () => {
  local = await startTestPipeline(
    dataDir,
    e2eConfig({
      sampling: {
        baselineProbability: BASELINE,
        // Static threshold only: the live percentile would also keep a few normal traces
        latency: { thresholds: [{ thresholdMs: LATENCY_THRESHOLD_MS }], minSamples: 1_000_000 },
      },
    }),
  );
  run = await runDemo(local.endpoints, {
    workload: { rate: 50, count: 200, errorRate: 0.1, slowRate: 0.05, seed: 11 },
    exporterOf: (service) => MIXED_EXPORTERS[service],
    slowMs: SLOW_MS,
    exportDelayMs: 200,
    log: memoryServiceLog([]),
  });
  kept = await keptTraces(local, run);
}, 120_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The stored spans equal the accepted ones: none missing, none extra, none twice. */
function expectComplete(traceId: string, trace: FetchedTrace | undefined): void {
  const accepted = [...(run.accepted.byTrace.get(traceId) ?? [])].sort();
  expect(trace?.spans.map((s) => s.spanId).sort(), traceId).toEqual(accepted);
  expect(trace?.summary.spanCount, traceId).toBe(accepted.length);
}

describe('the demo workload through the local pipeline', () => {
  it('accepts every span the exporters sent, and ingest counts them all', () => {
    expect(run.accepted.spansRefused).toBe(0);
    expect(run.accepted.byTrace.size).toBe(run.sent.length);
    expect(local.status.total('SpansAccepted')).toBe(run.accepted.spanCount());
  });

  it('keeps every error trace, complete, by the errors policy', () => {
    expect(run.accepted.errorTraces.size).toBeGreaterThan(0);
    for (const traceId of run.accepted.errorTraces) {
      const trace = kept.get(traceId);
      expect(trace?.summary.sampling.policy, traceId).toBe('errors');
      expectComplete(traceId, trace);
    }
  });

  it('keeps every slow trace by the latency policy, and every kept trace is complete', () => {
    const slow = run.sent.filter((s) => s.fault === 'slow');
    expect(slow.length).toBeGreaterThan(0);
    for (const { traceId } of slow)
      expect(kept.get(traceId)?.summary.sampling.policy, traceId).toBe('latency');
    for (const [traceId, trace] of kept) expectComplete(traceId, trace);
  });

  it('keeps about the baseline share of the other traces', () => {
    // Prepare: traces no earlier policy kept are exactly those the baseline decided on
    const decidedByBaseline = [...run.accepted.byTrace.keys()].filter((traceId) => {
      const policy = kept.get(traceId)?.summary.sampling.policy;
      return policy === undefined || policy === 'baseline';
    });
    const keptByBaseline = decidedByBaseline.filter(
      (t) => kept.get(t)?.summary.sampling.policy === 'baseline',
    );
    // The consistent-probability threshold rounds p slightly; the kept traces report the exact value
    const p = kept.get(keptByBaseline[0] ?? '')?.summary.sampling.probability ?? BASELINE;
    const n = decidedByBaseline.length;

    // Assess: within 4.5 standard deviations of n*p (a false alarm about once in 150,000 runs)
    const sd = Math.sqrt(n * p * (1 - p));
    expect(n).toBeGreaterThan(100);
    expect(Math.abs(keptByBaseline.length - n * p)).toBeLessThanOrEqual(4.5 * sd + 1);
  });

  it('carries the async queue hop in every kept trace that went through orders', () => {
    let hops = 0;
    for (const [traceId, trace] of kept) {
      if (run.accepted.errorTraces.has(traceId)) continue;
      const producer = trace.spans.find((s) => s.kind === SpanKind.PRODUCER);
      const consumer = trace.spans.find((s) => s.kind === SpanKind.CONSUMER);
      expect(consumer?.parentSpanId, traceId).toBe(producer?.spanId);
      expect(consumer?.links.map((l) => l.spanId)).toEqual([producer?.spanId]);
      expect(consumer?.resource.serviceName).toBe('inventory');
      hops++;
    }
    expect(hops).toBeGreaterThan(0);
  });

  it('draws a kept trace as npm run trace does: the consumer under the producer, on one tree', () => {
    // Prepare: a kept trace that went through the queue
    const [traceId, trace] = [...kept].find(([id]) => run.accepted.asyncHopTraces.has(id)) ?? [];

    // Act
    const lines = renderTraceTree({ traceId: traceId ?? '' }, trace?.spans ?? []).split('\n');

    // Assess: one root line without a tree prefix, the consumer one level below the producer
    const rows = lines.slice(lines.indexOf('') + 2, lines.indexOf('', lines.indexOf('') + 1));
    expect(rows).toHaveLength(trace?.spans.length ?? -1);
    expect(rows.filter((row) => /^[^\s├└│]/.test(row))).toHaveLength(1);
    const producer = rows.findIndex((row) => row.includes('send order-events [producer]'));
    const consumer = rows.findIndex((row) => row.includes('process order-events [consumer]'));
    expect(consumer).toBe(producer + 1);
    const depth = (row: string | undefined) => row?.search(/[├└]/) ?? -1;
    expect(depth(rows[consumer])).toBe(depth(rows[producer]) + 3);
  });

  it("opens a kept trace through Jaeger's /api/traces/{id} with the read key, as Grafana does", async () => {
    // Prepare: a kept trace that went through the queue (several services, a root among them)
    const [traceId, trace] = [...kept].find(([id]) => run.accepted.asyncHopTraces.has(id)) ?? [];
    const url = `${local.pipeline.endpoints.otlpHttp}/api/traces/${traceId}`;

    // Act
    const response = await fetch(url, { headers: { 'x-api-key': local.endpoints.queryApiKey } });
    const withIngestKey = await fetch(url, { headers: { 'x-api-key': local.endpoints.apiKey } });

    // Assess: the same spans as the OTLP route, the root first carrying the sampling decision
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      data: { spans: { spanID: string; tags: unknown[] }[] }[];
      errors: unknown;
    };
    expect(body.errors).toBeNull();
    const [jaeger] = body.data;
    const root = trace?.spans.find((s) => s.parentSpanId === '');
    expect(jaeger?.spans.map((s) => s.spanID).sort()).toEqual(trace?.spans.map((s) => s.spanId).sort());
    expect(jaeger?.spans[0]?.spanID).toBe(root?.spanId);
    expect(jaeger?.spans[0]?.tags).toContainEqual({
      key: 'tracesift.sampling.policy',
      type: 'string',
      value: trace?.summary.sampling.policy,
    });
    expect(withIngestKey.status).toBe(403);
  });

  it('stores the same kept traces, span for span, in Parquet as in DynamoDB', async () => {
    // Assess: Parquet files are written by the same sampler batch; waited for until they are listed
    await expectKeptInParquet(local.pipeline, kept);
  });
});
