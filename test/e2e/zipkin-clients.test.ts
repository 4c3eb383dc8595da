/**
 * Zipkin clients end to end: the OpenTelemetry JS Zipkin exporter and zipkin-js (Tracer +
 * BatchRecorder + zipkin-transport-http's HttpLogger, JSON v2) post to the local pipeline's
 * `/api/v2/spans` with the ingest key, and their traces are read back by id once the sampler keeps
 * them (baseline 1 keeps every trace), mapped as the Collector's Zipkin receiver maps them.
 */
import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind as ApiSpanKind, trace as api, ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotation, BatchRecorder, ExplicitContext, InetAddress, jsonEncoder, Tracer } from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';
import { type FetchedTrace, fetchTrace } from '../../demo/trace-api.ts';
import { type Span, SpanKind, StatusCode } from '../../lambdas/shared/span/model.ts';
import { e2eConfig, settle, startTestPipeline, type TestPipeline } from '../support/local-pipeline.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-zipkin-'));
let local: TestPipeline;
let zipkinUrl: string;

beforeAll(async () => {
  local = await startTestPipeline(dataDir, e2eConfig({ sampling: { baselineProbability: 1 } }));
  zipkinUrl = `${local.pipeline.endpoints.otlpHttp}/api/v2/spans`;
}, 120_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The kept trace, once the sampler has decided it (waiting up to a minute: the caller asserts). */
async function keptTrace(traceId: string): Promise<FetchedTrace | undefined> {
  let trace: FetchedTrace | undefined;
  await settle(async () => {
    trace = await fetchTrace(local.endpoints, traceId);
    return trace !== undefined;
  }, 60_000);
  return trace;
}

const byName = (trace: FetchedTrace | undefined, name: string): Span | undefined =>
  trace?.spans.find((span) => span.name === name);

/** A checkout trace from the OpenTelemetry SDK: an erroring server span and a client span with an event. */
async function otelSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '2.0.1',
      'host.name': 'web-7',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('checkout-handlers', '1.2.3');
  const root = tracer.startSpan('POST /checkout', { kind: ApiSpanKind.SERVER, root: true });
  root.setAttributes({ 'http.request.method': 'POST', 'http.response.status_code': 500 });
  const child = tracer.startSpan(
    'SELECT cart',
    { kind: ApiSpanKind.CLIENT },
    api.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent('retry');
  // ERROR without a description: the exporter writes otel.status_code ERROR and no error tag.
  child.setStatus({ code: SpanStatusCode.ERROR });
  child.end();
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
  root.end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

function exportWith(exporter: ZipkinExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe('the OpenTelemetry JS Zipkin exporter', () => {
  let spans: ReadableSpan[];
  let result: ExportResult;
  let trace: FetchedTrace | undefined;

  beforeAll(async () => {
    spans = await otelSpans();
    expect(spans).toHaveLength(2);
    const exporter = new ZipkinExporter({ url: zipkinUrl, headers: { 'x-api-key': local.endpoints.apiKey } });
    result = await exportWith(exporter, spans);
    trace = await keptTrace(spans[0]?.spanContext().traceId ?? '');
  }, 120_000);

  it('is answered with success, and its trace is kept whole', () => {
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(trace?.spans.map((span) => span.spanId).sort()).toEqual(
      spans.map((span) => span.spanContext().spanId).sort(),
    );
  });

  it('arrives with its service, resource, kinds, parent and events', () => {
    // Prepare
    const root = byName(trace, 'POST /checkout');
    const child = byName(trace, 'SELECT cart');

    // Assess
    expect(root?.resource.serviceName).toBe('checkout');
    expect(root?.resource.attributes).toMatchObject({ 'service.version': '2.0.1', 'host.name': 'web-7' });
    expect(root?.kind).toBe(SpanKind.SERVER);
    expect(child?.kind).toBe(SpanKind.CLIENT);
    expect(child?.parentSpanId).toBe(root?.spanId);
    expect(root?.parentSpanId).toBe('');
    expect(child?.events.map((event) => event.name)).toEqual(['retry']);
    expect(root?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': '500',
    });
  });

  it('keeps both errors as errors, with or without a description', () => {
    expect(byName(trace, 'POST /checkout')?.status.code).toBe(StatusCode.ERROR);
    expect(byName(trace, 'POST /checkout')?.attributes.error).toBe('payment declined');
    expect(byName(trace, 'SELECT cart')?.status.code).toBe(StatusCode.ERROR);
    expect(trace?.summary.errorCount).toBe(2);
  });

  it('is refused without the API key', async () => {
    const exporter = new ZipkinExporter({ url: zipkinUrl });
    expect((await exportWith(exporter, await otelSpans())).code).toBe(ExportResultCode.FAILED);
  });
});

describe('zipkin-js with zipkin-transport-http', () => {
  let traceId = '';
  let trace: FetchedTrace | undefined;

  beforeAll(async () => {
    const logger = new HttpLogger({
      endpoint: zipkinUrl,
      jsonEncoder: jsonEncoder.JSON_V2,
      headers: { 'x-api-key': local.endpoints.apiKey },
      httpInterval: 50,
    });
    // HttpLogger is an EventEmitter (its typings leave that out): each post ends in success or error.
    const events = logger as unknown as EventEmitter;
    const posted = new Promise((resolve, reject) => {
      events.on('success', resolve);
      events.on('error', reject);
    });
    const tracer = new Tracer({
      ctxImpl: new ExplicitContext(),
      recorder: new BatchRecorder({ logger }),
      localServiceName: 'inventory',
    });
    tracer.local('reserve stock', () => {
      traceId = tracer.id.traceId;
      tracer.letId(tracer.createChildId(), () => {
        tracer.recordRpc('GET /stock');
        tracer.recordAnnotation(new Annotation.ClientSend());
        tracer.recordBinary('http.path', '/stock/42');
        tracer.recordAnnotation(
          new Annotation.ServerAddr({
            serviceName: 'stock-db',
            host: new InetAddress('10.1.2.3'),
            port: 5432,
          }),
        );
        tracer.recordMessage('cache miss');
        tracer.recordBinary('error', 'timeout');
        tracer.recordAnnotation(new Annotation.ClientRecv());
      });
    });
    await posted;
    trace = await keptTrace(traceId.padStart(32, '0'));
  }, 120_000);

  it('sends a 64-bit trace id, kept under its 128-bit form', () => {
    expect(traceId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace?.spans).toHaveLength(2);
    expect(new Set(trace?.spans.map((span) => span.traceId))).toEqual(
      new Set([`${'0'.repeat(16)}${traceId}`]),
    );
  });

  it('arrives with its service, kinds, remote endpoint, annotations and error', () => {
    // Prepare
    const local = byName(trace, 'reserve stock');
    const client = byName(trace, 'get /stock');

    // Assess
    expect(local?.resource.serviceName).toBe('inventory');
    expect(local?.kind).toBe(SpanKind.UNSPECIFIED);
    expect(client?.kind).toBe(SpanKind.CLIENT);
    expect(client?.parentSpanId).toBe(local?.spanId);
    expect(client?.attributes).toMatchObject({
      'http.path': '/stock/42',
      'peer.service': 'stock-db',
      'net.peer.ip': '10.1.2.3',
      'net.peer.port': 5432,
      error: 'timeout',
    });
    expect(client?.events.map((event) => event.name)).toEqual(['cache miss']);
    expect(client?.status.code).toBe(StatusCode.ERROR);
    expect(client?.endTimeUnixNano).toBeGreaterThan(client?.startTimeUnixNano ?? 0n);
  });
});
