/** The trace-by-id client: a kept trace, a 404, and every way the API can answer wrongly. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoEndpoints } from '../../demo/endpoints.ts';
import {
  ApiKeyRejectedError,
  PipelineNotRunningError,
  TraceApiError,
  TraceApiUnavailableError,
  TraceResponseError,
} from '../../demo/errors.ts';
import { fetchTrace } from '../../demo/trace-api.ts';
import { decodeTraceRequest, encodeTracesDataJson } from '../../lambdas/shared/otlp/index.ts';
import { protobufBody, sdkSpans } from '../support/otel-sdk.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SUMMARY = {
  rootService: 'checkout',
  rootName: 'POST /checkout',
  durationNano: '1000',
  spanCount: 3,
  errorCount: 0,
  services: ['checkout'],
  sampling: { policy: 'baseline', probability: 0.01, adjustedCount: 100, reason: 'baseline' },
};

/** What the fake API answers, by trace id. */
const answers = new Map<string, { status: number; body: string }>();
let server: Server;
let endpoints: DemoEndpoints;
const requests: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.headers['x-api-key'] as string | undefined);
    const answer = answers.get(req.url?.split('/').at(-1) ?? '') ?? { status: 404, body: '{}' };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  endpoints = {
    traces: url,
    traceById: url,
    apiKey: 'local-key',
    queryApiKey: 'local-read-key',
    sampler: { batchingWindowSeconds: 1, sendDelaySeconds: 1, traceTimeoutSeconds: 5 },
  };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('fetchTrace', () => {
  it('decodes the spans and the summary of a kept trace, sending the read key, never the ingest key', async () => {
    // Prepare
    const spans = decodeTraceRequest(protobufBody(await sdkSpans(1, { children: 2 })));
    const traceId = spans[0]?.traceId as string;
    answers.set(traceId, {
      status: 200,
      body: JSON.stringify({ ...encodeTracesDataJson(spans), summary: SUMMARY }),
    });

    // Act
    const trace = await fetchTrace(endpoints, traceId);

    // Assess
    expect(trace?.summary).toEqual(SUMMARY);
    expect(trace?.spans.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(requests.at(-1)).toBe('local-read-key');
  });

  it('answers undefined for a trace the pipeline did not keep (404)', async () => {
    expect(await fetchTrace(endpoints, '0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it.each([
    [403, '{"message":"Missing Authentication Token"}', TraceApiUnavailableError],
    [403, '{"message":"Forbidden"}', ApiKeyRejectedError],
    [502, '{"message":"Internal server error"}', TraceApiError],
    [200, 'not json', TraceResponseError],
    [200, '{"resourceSpans":[]}', TraceResponseError],
    [200, `{"resourceSpans":7,"summary":${JSON.stringify(SUMMARY)}}`, TraceResponseError],
  ])('answer %d %s is a %o', async (status, body, type) => {
    answers.set(TRACE, { status, body });
    await expect(fetchTrace(endpoints, TRACE)).rejects.toThrow(type);
  });

  it('says the pipeline is not running when nothing listens', async () => {
    // Prepare: a port that was free a moment ago
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/v1/traces`;

    // Act / Assess
    await expect(fetchTrace({ ...endpoints, traceById: url }, TRACE)).rejects.toThrow(
      PipelineNotRunningError,
    );
  });
});
