/**
 * The crafted traces of the browser tests (test/support/crafted-traces.ts), through the local
 * pipeline at its default baseline of 1%, so only the errors policy keeps them: a 10,000-span trace
 * (several bodies, the span cap exactly) is read back whole by id, and a hostile trace is read back
 * with every payload intact, its services listed and their edge in the service graph.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace } from '../../lambdas/query/jaeger/model.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import {
  awaitKeptTrace,
  HOSTILE_PAYLOADS,
  HOSTILE_SERVICES,
  hostileTrace,
  sendTrace,
  wideTrace,
} from '../support/crafted-traces.ts';
import { e2eConfig, settle, startTestPipeline, type TestPipeline } from '../support/local-pipeline.ts';
import { traceIds } from '../support/sampler.ts';
import { wallClockMs } from '../support/wall-clock.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-crafted-'));
const [WIDE_ID, HOSTILE_ID] = traceIds(2, 151) as [string, string];
const WIDE_SPANS = 10_000;
let local: TestPipeline;
let base: string;
// The pipeline stamps arrivals and indexes searches with the wall clock; the traces are built
// from the same clock so that they are recent to it.
let nowMs: number;

beforeAll(async () => {
  local = await startTestPipeline(dataDir, e2eConfig());
  base = local.endpoints.traceById.replace(/\/v1\/traces$/, '');
  nowMs = wallClockMs();
}, 60_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** GET `path` of the Jaeger API with the read key: the envelope's `data`. */
async function jaeger<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, { headers: { 'x-api-key': local.endpoints.queryApiKey } });
  expect(response.status, path).toBe(200);
  return ((await response.json()) as { data: T }).data;
}

function tagOf(span: JaegerSpan | undefined, key: string): unknown {
  return span?.tags.find((tag) => tag.key === key)?.value;
}

/** Every string in a parsed JSON value: object keys and string values at any depth. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
  return [];
}

describe('a 10,000-span trace', () => {
  let trace: JaegerTrace | undefined;
  let bodies: number;

  beforeAll(async () => {
    // Act
    const wide = wideTrace({ traceId: WIDE_ID, spans: WIDE_SPANS, nowMs });
    bodies = wide.bodies.length;
    await sendTrace(local.endpoints, wide.bodies);
    trace = await awaitKeptTrace(local.endpoints, WIDE_ID, WIDE_SPANS, 90_000);
  }, 120_000);

  it('is sent as several bodies, the span cap of a trace being exactly its size', () => {
    expect(bodies).toBeGreaterThan(1);
    expect(parseConfig({}).sampling.maxSpansPerTrace).toBe(WIDE_SPANS);
  });

  it('is read back whole by id: every span once, one failed root carrying the decision', () => {
    const spans = trace?.spans ?? [];
    const roots = spans.filter((span) => !span.references.some((ref) => ref.refType === 'CHILD_OF'));
    expect(spans).toHaveLength(WIDE_SPANS);
    expect(new Set(spans.map((span) => span.spanID)).size).toBe(WIDE_SPANS);
    expect(roots).toHaveLength(1);
    expect(roots[0]).toBe(spans[0]);
    expect(tagOf(roots[0], 'error')).toBe(true);
    expect(tagOf(roots[0], 'otel.status_code')).toBe('ERROR');
    expect(tagOf(roots[0], 'tracesift.sampling.policy')).toBe('errors');
    expect(tagOf(roots[0], 'tracesift.sampling.probability')).toBe(1);
    expect(tagOf(roots[0], 'tracesift.sampling.adjusted_count')).toBe(1);
  });

  it('is a deep and wide tree over seven services', () => {
    const spans = trace?.spans ?? [];
    const parentOf = new Map(spans.map((span) => [span.spanID, span.references[0]?.spanID]));
    const children = new Map<string | undefined, number>();
    for (const parent of parentOf.values()) children.set(parent, (children.get(parent) ?? 0) + 1);
    const depthOf = (id: string | undefined): number =>
      id === undefined ? 0 : 1 + depthOf(parentOf.get(id));
    expect(Math.max(...spans.map((span) => depthOf(span.spanID)))).toBe(12);
    expect(Math.max(...[...children].filter(([id]) => id !== undefined).map(([, n]) => n))).toBeGreaterThan(
      100,
    );
    expect(new Set(Object.values(trace?.processes ?? {}).map((p) => p.serviceName)).size).toBe(7);
  });
});

describe('the hostile trace', () => {
  let trace: JaegerTrace | undefined;
  let spanCount: number;

  beforeAll(async () => {
    // Act
    const hostile = hostileTrace({ traceId: HOSTILE_ID, nowMs });
    spanCount = hostile.spanCount;
    await sendTrace(local.endpoints, hostile.bodies);
    trace = await awaitKeptTrace(local.endpoints, HOSTILE_ID, spanCount, 60_000);
  }, 90_000);

  it('is kept whole by the errors policy', () => {
    expect(trace?.spans).toHaveLength(spanCount);
    expect(tagOf(trace?.spans[0], 'tracesift.sampling.policy')).toBe('errors');
  });

  it.each(HOSTILE_PAYLOADS)('is read back with %s intact', (payload) => {
    expect(stringsOf(trace)).toContain(payload);
  });

  it('has its services listed, and their call in the service graph', async () => {
    // Act: the store adds the dependency counters once the trace is stored, so they may lag its read.
    let services: string[] = [];
    let graph: { parent: string; child: string }[] = [];
    await settle(async () => {
      services = await jaeger<string[]>('/api/services');
      graph = await jaeger(`/api/dependencies?endTs=${Math.round(nowMs)}&lookback=3600000`);
      return graph.some((edge) => edge.parent === HOSTILE_SERVICES[0]);
    }, 10_000);

    // Assess
    expect(services).toEqual(expect.arrayContaining([...HOSTILE_SERVICES]));
    expect(graph).toContainEqual(
      expect.objectContaining({ parent: HOSTILE_SERVICES[0], child: HOSTILE_SERVICES[1] }),
    );
  });
});
