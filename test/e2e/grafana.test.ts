/**
 * Grafana's Jaeger data source, replayed against the local pipeline after a demo run through the
 * real exporters: the calls it makes in order (services, operations, search, trace, dependencies)
 * with its `x-api-key` header, each answer checked against what the kept traces themselves say
 * (read back by id, then filtered here independently of the search index). Baseline 1 keeps every
 * trace with probability 1, so re-weighted call counts equal the kept ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRun, runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import type { FetchedTrace } from '../../demo/trace-api.ts';
import { type Span, StatusCode } from '../../lambdas/shared/span/model.ts';
import {
  e2eConfig,
  keptTraces,
  MIXED_EXPORTERS,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-grafana-'));
let local: TestPipeline;
let run: DemoRun;
let kept: Map<string, FetchedTrace>;
let base: string;

beforeAll(async () => {
  local = await startTestPipeline(dataDir, e2eConfig({ sampling: { baselineProbability: 1 } }));
  run = await runDemo(local.endpoints, {
    workload: { rate: 40, count: 40, errorRate: 0.2, slowRate: 0, seed: 11 },
    exporterOf: (service) => MIXED_EXPORTERS[service],
    slowMs: 1,
    exportDelayMs: 200,
    log: memoryServiceLog([]),
  });
  kept = await keptTraces(local, run);
  base = local.endpoints.traceById.replace(/\/v1\/traces$/, '');
}, 120_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Envelope<T> {
  readonly data: T;
  readonly total: number;
  readonly errors: readonly { code?: number; msg: string }[] | null;
}

async function grafana<T>(
  path: string,
  key = local.endpoints.queryApiKey,
): Promise<{ status: number; body: Envelope<T> }> {
  const response = await fetch(`${base}${path}`, {
    headers: { 'x-api-key': key, accept: 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as Envelope<T> };
}

const micros = (nanos: bigint): number => Number(nanos / 1000n);

/** The window Grafana would send: every kept trace's start inside it, in epoch µs. */
function window(): { start: number; end: number } {
  const starts = ascending([...kept.values()].map(startOf));
  return { start: micros(starts[0] ?? 0n) - 1_000_000, end: micros(starts.at(-1) ?? 0n) + 1_000_000 };
}

/** A trace's start: its earliest span's. */
function startOf(trace: FetchedTrace): bigint {
  return ascending(trace.spans.map((s) => s.startTimeUnixNano))[0] ?? 0n;
}

function ascending(values: bigint[]): bigint[] {
  return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function servicesOf(trace: FetchedTrace): Set<string> {
  return new Set(trace.spans.map((s) => s.resource.serviceName));
}

/** Calls between services in the kept traces, counted here from their spans. */
function callsOf(traces: Iterable<FetchedTrace>): Map<string, number> {
  const calls = new Map<string, number>();
  for (const trace of traces) {
    const byId = new Map<string, Span>(trace.spans.map((s) => [s.spanId, s]));
    for (const span of trace.spans) {
      const parent = byId.get(span.parentSpanId);
      if (!parent || parent.resource.serviceName === span.resource.serviceName) continue;
      const pair = `${parent.resource.serviceName} -> ${span.resource.serviceName}`;
      calls.set(pair, (calls.get(pair) ?? 0) + 1);
    }
  }
  return calls;
}

interface JaegerTraceShape {
  readonly traceID: string;
  readonly spans: readonly { spanID: string; operationName: string; processID: string }[];
  readonly processes: Record<string, { serviceName: string }>;
}

describe("Grafana's Jaeger data source against the local pipeline", () => {
  it('kept every trace the demo sent', () => {
    expect(kept.size).toBe(run.sent.length);
  });

  it('lists the services, then the operations of one, as the query editor loads them', async () => {
    // Prepare
    const expected = new Set([...kept.values()].flatMap((t) => [...servicesOf(t)]));
    const frontend = [...kept.values()].flatMap((t) =>
      t.spans.filter((s) => s.resource.serviceName === 'frontend'),
    );
    // Act
    const services = await grafana<string[]>('/api/services');
    const operations = await grafana<string[]>('/api/services/frontend/operations');
    const servers = await grafana<{ name: string; spanKind: string }[]>(
      '/api/operations?service=frontend&spanKind=server',
    );
    // Assess
    expect(services.status).toBe(200);
    expect(services.body.data).toEqual([...expected].sort());
    expect(operations.body.data).toEqual([...new Set(frontend.map((s) => s.name))].sort());
    expect(servers.body.data.length).toBeGreaterThan(0);
    for (const op of servers.body.data) expect(op.spanKind).toBe('server');
  });

  it('searches a service: whole traces, newest first, exactly those with a span of the service', async () => {
    // Prepare
    const { start, end } = window();
    const expected = [...kept.values()]
      .filter((t) => servicesOf(t).has('payments'))
      // newest first; traces started at the same nanosecond in trace id order, as the search ties them
      .sort((a, b) =>
        startOf(a) === startOf(b) ? (a.traceId < b.traceId ? -1 : 1) : startOf(b) > startOf(a) ? 1 : -1,
      )
      .map((t) => t.traceId);
    // Act
    const found = await grafana<JaegerTraceShape[]>(
      `/api/traces?service=payments&start=${start}&end=${end}&limit=1000`,
    );
    const limited = await grafana<JaegerTraceShape[]>(
      `/api/traces?service=payments&start=${start}&end=${end}&limit=3`,
    );
    // Assess
    expect(found.status).toBe(200);
    expect(found.body.data.map((t) => t.traceID.padStart(32, '0'))).toEqual(expected);
    for (const trace of found.body.data) {
      const own = kept.get(trace.traceID.padStart(32, '0'));
      expect(trace.spans.length).toBe(own?.spans.length);
    }
    expect(limited.body.data.map((t) => t.traceID.padStart(32, '0'))).toEqual(expected.slice(0, 3));
  });

  it('searches by tag as Grafana writes it (error=true on a span of the service)', async () => {
    // Prepare
    const { start, end } = window();
    const failing = (t: FetchedTrace) =>
      t.spans.some((s) => s.resource.serviceName === 'payments' && s.status.code === StatusCode.ERROR);
    const expected = [...kept.values()]
      .filter(failing)
      .map((t) => t.traceId)
      .sort();
    const tags = encodeURIComponent(JSON.stringify({ error: 'true' }));
    // Act
    const found = await grafana<JaegerTraceShape[]>(
      `/api/traces?service=payments&tags=${tags}&start=${start}&end=${end}&limit=1000`,
    );
    // Assess
    expect(expected.length).toBeGreaterThan(0);
    expect(found.body.data.map((t) => t.traceID.padStart(32, '0')).sort()).toEqual(expected);
  });

  it('opens a found trace by the id Grafana shows, then draws the dependency graph', async () => {
    // Prepare
    const { start, end } = window();
    const [first] = (
      await grafana<JaegerTraceShape[]>(`/api/traces?service=frontend&start=${start}&end=${end}&limit=1`)
    ).body.data;
    const expected = callsOf(kept.values());
    const endTs = Math.ceil(end / 1000);
    const lookback = endTs - Math.floor(start / 1000);
    // Act
    const trace = await grafana<JaegerTraceShape[]>(`/api/traces/${first?.traceID}`);
    const graph = await grafana<{ parent: string; child: string; callCount: number }[]>(
      `/api/dependencies?endTs=${endTs}&lookback=${lookback}`,
    );
    // Assess
    expect(trace.status).toBe(200);
    expect(trace.body.data[0]?.spans.length).toBe(
      kept.get(first?.traceID.padStart(32, '0') ?? '')?.spans.length,
    );
    expect(new Map(graph.body.data.map((d) => [`${d.parent} -> ${d.child}`, d.callCount]))).toEqual(expected);
  });

  it.each([
    '/api/services',
    '/api/services/frontend/operations',
    '/api/operations?service=frontend',
    '/api/traces?service=frontend',
    '/api/dependencies?endTs=1&lookback=1',
  ])('refuses %s without the read key, and with the ingest key', async (path) => {
    // Act
    const none = await fetch(`${base}${path}`);
    const ingest = await fetch(`${base}${path}`, { headers: { 'x-api-key': local.endpoints.apiKey } });
    // Assess
    expect(none.status).toBe(403);
    expect(ingest.status).toBe(403);
  });
});
