/**
 * The demo services against a capturing OTLP endpoint: the real SDKs and exporters (protobuf and
 * JSON, gzip and not, mixed within one trace), W3C propagation over HTTP, baggage, the async hop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import type { DemoService } from '../../demo/services.ts';
import type { ExporterChoice } from '../../demo/telemetry.ts';
import { decodeTraceRequest, decodeTraceRequestJson } from '../../lambdas/shared/otlp/index.ts';
import { type Span, SpanKind, StatusCode } from '../../lambdas/shared/span/model.ts';

const API_KEY = 'demo-test-key';
const received: Span[] = [];
const formats = new Set<string>();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['x-api-key'] !== API_KEY) {
        res.writeHead(403).end('{"message":"Forbidden"}');
        return;
      }
      const gzip = req.headers['content-encoding'] === 'gzip';
      const raw = Buffer.concat(chunks);
      const body = gzip ? gunzipSync(raw) : raw;
      const json = req.headers['content-type']?.startsWith('application/json') === true;
      formats.add(`${json ? 'json' : 'proto'}${gzip ? '+gzip' : ''}`);
      received.push(...(json ? decodeTraceRequestJson(body.toString('utf8')) : decodeTraceRequest(body)));
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const MIXED: Record<DemoService, ExporterChoice> = {
  frontend: { protocol: 'proto', gzip: true },
  checkout: { protocol: 'json', gzip: true },
  inventory: { protocol: 'proto', gzip: false },
  payments: { protocol: 'json', gzip: false },
  orders: { protocol: 'proto', gzip: true },
};

describe('the demo services', () => {
  it('send one connected trace per request across HTTP, baggage and the queue', async () => {
    // Prepare
    received.length = 0;
    const logs: string[] = [];

    // Act: one normal, one failing, one slow request
    const run = await runDemo(
      { traces: url, apiKey: API_KEY },
      {
        workload: { rate: 50, count: 30, errorRate: 0.3, slowRate: 0.3, seed: 7 },
        exporterOf: (service) => MIXED[service],
        slowMs: 50,
        exportDelayMs: 50,
        log: memoryServiceLog(logs),
      },
    );

    // Assess: the ground truth matches what the endpoint received, span for span
    expect(formats).toEqual(new Set(['proto+gzip', 'json+gzip', 'proto', 'json']));
    expect(received).toHaveLength(run.accepted.spanCount());
    expect(run.sent.map((s) => s.traceId).sort()).toEqual([...run.accepted.byTrace.keys()].sort());
    const byTrace = Map.groupBy(received, (s) => s.traceId);
    for (const sent of run.sent) {
      const spans = byTrace.get(sent.traceId) ?? [];
      const ids = new Set(spans.map((s) => s.spanId));
      // Exactly one root, every other span's parent in the trace
      expect(spans.filter((s) => s.parentSpanId === '')).toHaveLength(1);
      expect(spans.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId))).toBe(true);
      expect(new Set(spans.map((s) => s.resource.serviceName)).size).toBeGreaterThanOrEqual(4);
      // Tenant from baggage on every server and consumer span; the fault plan is never recorded
      for (const span of spans.filter((s) => s.kind === SpanKind.SERVER || s.kind === SpanKind.CONSUMER))
        expect(span.attributes['tenant.id']).toBe(sent.tenant);
      expect(spans.some((s) => 'demo.fault' in s.attributes)).toBe(false);

      const failed = spans.some((s) => s.status.code === StatusCode.ERROR);
      expect(failed).toBe(sent.fault === 'error');
      expect(run.accepted.errorTraces.has(sent.traceId)).toBe(failed);
      expect(sent.status).toBe(failed ? 500 : 200);
      if (failed) {
        const charge = spans.find((s) => s.name === 'authorize card');
        expect(charge?.events.map((e) => e.name)).toEqual(['exception']);
        expect(spans.some((s) => s.kind === SpanKind.CONSUMER)).toBe(false);
        continue;
      }
      // The async hop: the consumer is a child of the producer and links to it
      const producer = spans.find((s) => s.kind === SpanKind.PRODUCER);
      const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER);
      expect(consumer?.parentSpanId).toBe(producer?.spanId);
      expect(consumer?.links.map((l) => l.spanId)).toEqual([producer?.spanId]);
      expect(consumer?.attributes['messaging.operation.type']).toBe('process');
      expect(consumer?.attributes['messaging.message.id']).toBe(producer?.attributes['messaging.message.id']);
      expect(run.accepted.asyncHopTraces.has(sent.traceId)).toBe(true);
      // Stock and payment ran in parallel: their client spans overlap
      const reserve = spans.find((s) => s.name === 'POST /reserve' && s.kind === SpanKind.CLIENT);
      const charge = spans.find((s) => s.name === 'POST /charge' && s.kind === SpanKind.CLIENT);
      expect(reserve && charge && reserve.startTimeUnixNano < charge.endTimeUnixNano).toBe(true);
      expect(reserve && charge && charge.startTimeUnixNano < reserve.endTimeUnixNano).toBe(true);
    }
    expect(new Set(run.sent.map((s) => s.fault))).toEqual(new Set(['none', 'error', 'slow']));

    // Every log line of a request carries its trace id and the id of a span of that trace
    const lines = logs.map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string });
    expect(lines.length).toBeGreaterThan(run.sent.length);
    for (const line of lines)
      expect(byTrace.get(line.trace_id ?? '')?.some((s) => s.spanId === line.span_id)).toBe(true);
  });

  it('counts spans the endpoint refused as not accepted', async () => {
    const run = await runDemo(
      { traces: url, apiKey: 'wrong-key' },
      {
        workload: { rate: 50, count: 2, errorRate: 0, slowRate: 0, seed: 1 },
        exporterOf: () => ({ protocol: 'proto', gzip: false }),
        slowMs: 1,
        exportDelayMs: 50,
        log: memoryServiceLog([]),
      },
    );
    expect(run.accepted.spanCount()).toBe(0);
    expect(run.accepted.spansRefused).toBe(2 * 15);
    expect(run.accepted.exportsRefused).toBeGreaterThan(0);
  });
});
