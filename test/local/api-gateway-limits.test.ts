/**
 * The API Gateway stand-in does what the REST API does in AWS with a body before the Lambda runs:
 * it inflates gzip and deflate (keeping the header), refuses bodies over 10 MB with 413, and answers
 * 502 when the proxy event would exceed Lambda's 6 MB invoke payload, or the result its 6 MB
 * response payload. Through the whole local
 * pipeline, the real ingest handler then sees what it sees in AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { parseEmfLine } from '../../lambdas/shared/metrics/index.ts';
import {
  type ApiGatewayStandIn,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  LAMBDA_RESPONSE_PAYLOAD_LIMIT,
  startApiGateway,
} from '../../local/api-gateway.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { jsonBody, protobufBody, sdkSpans } from '../support/otel-sdk.ts';

const API_KEY = 'tsk-local-limits-5c2e8a1f9d3b7e60';
const spans = await sdkSpans(3);
const MiB = 1024 * 1024;

describe('the API Gateway stand-in alone', () => {
  let gateway: ApiGatewayStandIn;
  const events: APIGatewayProxyEvent[] = [];
  /** Length of the body the GET route answers. */
  let answerLength = 0;

  beforeAll(async () => {
    gateway = await startApiGateway({
      port: 0,
      logger: silentLogger,
      routes: [
        {
          method: 'POST',
          path: '/v1/traces',
          apiKeys: [API_KEY],
          handler: async (event) => {
            events.push(event);
            return { statusCode: 200, body: '{}' };
          },
        },
        {
          method: 'GET',
          path: '/v1/answer',
          apiKeys: [API_KEY],
          handler: async () => ({ statusCode: 200, body: 'x'.repeat(answerLength) }),
        },
      ],
    });
  });
  afterAll(() => gateway.close());

  function post(body: Uint8Array, encoding?: string): Promise<Response> {
    events.length = 0;
    return fetch(`${gateway.url}/v1/traces`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'x-api-key': API_KEY,
        ...(encoding ? { 'content-encoding': encoding } : {}),
      },
      body,
    });
  }

  function delivered(): Buffer {
    const event = events[0];
    if (!event) throw new Error('the handler was not invoked');
    return Buffer.from(event.body ?? '', 'base64');
  }

  const plain = Buffer.from('otlp body bytes '.repeat(64));
  it.each([
    { case: 'gzip, inflated', encoding: 'gzip', sent: gzipSync(plain), expected: plain },
    { case: 'deflate (zlib), inflated', encoding: 'deflate', sent: deflateSync(plain), expected: plain },
    { case: 'GZIP in capitals, inflated', encoding: 'GZIP', sent: gzipSync(plain), expected: plain },
    { case: 'no encoding, as sent', encoding: undefined, sent: plain, expected: plain },
    {
      case: 'zstd, as sent (AWS refuses it)',
      encoding: 'zstd',
      sent: zstdCompressSync(plain),
      expected: undefined,
    },
    {
      case: 'br, as sent (AWS refuses it)',
      encoding: 'br',
      sent: brotliCompressSync(plain),
      expected: undefined,
    },
    { case: 'gzip that does not inflate, as sent', encoding: 'gzip', sent: plain, expected: plain },
  ])('hands the handler $case, keeping the header', async ({ encoding, sent, expected }) => {
    // Act
    const response = await post(sent, encoding);

    // Assess
    expect(response.status).toBe(200);
    expect(delivered().equals(expected ?? sent)).toBe(true);
    expect(events[0]?.headers['content-encoding']).toBe(encoding);
    expect(events[0]?.isBase64Encoded).toBe(true);
  });

  it.each([
    {
      case: 'a body over 10 MB is refused by the gateway (413)',
      body: new Uint8Array(10 * MiB + 1),
      encoding: undefined,
      status: 413,
      message: 'Request Too Long',
    },
    {
      case: 'a body whose event exceeds 6 MB is an invoke failure (502)',
      body: new Uint8Array(4_800_000),
      encoding: undefined,
      status: 502,
      message: 'Internal server error',
    },
    {
      case: 'gzip that inflates past 6 MB is an invoke failure (502)',
      body: gzipSync(new Uint8Array(7 * MiB)),
      encoding: 'gzip',
      status: 502,
      message: 'Internal server error',
    },
  ])('$case', async ({ body, encoding, status, message }) => {
    // Act
    const response = await post(body, encoding);

    // Assess
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ message });
    expect(events).toEqual([]);
  });

  it('invokes the handler with the largest body ingest accepts by default (4 MiB)', async () => {
    // Act
    const response = await post(new Uint8Array(parseConfig({}).ingest.maxBodyBytes));

    // Assess
    expect(response.status).toBe(200);
    expect(delivered()).toHaveLength(4 * MiB);
  });

  /** The body length that makes the serialized result `{"statusCode":200,"body":"…"}` this many bytes. */
  const bodyFor = (resultBytes: number): number =>
    resultBytes - JSON.stringify({ statusCode: 200, body: '' }).length;

  function answer(resultBytes: number): Promise<Response> {
    answerLength = bodyFor(resultBytes);
    return fetch(`${gateway.url}/v1/answer`, { headers: { 'x-api-key': API_KEY } });
  }

  it('answers a result of exactly 6 MiB', async () => {
    // Act
    const response = await answer(LAMBDA_RESPONSE_PAYLOAD_LIMIT);

    // Assess
    expect(response.status).toBe(200);
    expect((await response.text()).length).toBe(answerLength);
  });

  it('answers 502 to a result one byte over 6 MiB, as Lambda fails the invoke', async () => {
    // Act
    const response = await answer(LAMBDA_RESPONSE_PAYLOAD_LIMIT + 1);

    // Assess
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it("keeps idle connections longer than clients' keep-alive (Keep-Alive: timeout=65)", async () => {
    // Act
    const header = await new Promise<unknown>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/v1/traces`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.headers['keep-alive']);
      });
      req.on('error', reject);
      req.end();
    });

    // Assess
    expect(header).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBe(65_000);
    expect(HEADERS_TIMEOUT_MS).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});

describe('gzip and deflate exports through the local pipeline, as in AWS', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let accepted = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tracesift-limits-'));
    pipeline = await startLocalPipeline({
      dataDir,
      fresh: true,
      port: 0,
      apiKey: API_KEY,
      queryApiKey: `${API_KEY}-read`,
      config: parseConfig({}),
      shardCount: 1,
      logger: silentLogger,
      metricSink: (line) => {
        const parsed = parseEmfLine(line);
        if (typeof parsed?.SpansAccepted === 'number') accepted += parsed.SpansAccepted;
      },
    });
  });
  afterAll(async () => {
    await pipeline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const formats = [
    { format: 'protobuf', contentType: 'application/x-protobuf', body: protobufBody(spans) },
    { format: 'JSON', contentType: 'application/json', body: jsonBody(spans) },
  ];
  const encodings = [
    { encoding: 'gzip', compress: gzipSync },
    { encoding: 'deflate', compress: deflateSync },
    { encoding: 'zstd', compress: zstdCompressSync },
  ];
  const cases = formats.flatMap((f) => encodings.map((e) => ({ ...f, ...e })));

  it.each(cases)(
    'accepts every span of a $encoding $format export',
    async ({ contentType, body, encoding, compress }) => {
      // Prepare
      const before = accepted;

      // Act
      const response = await fetch(pipeline.endpoints.traces, {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-encoding': encoding, 'x-api-key': API_KEY },
        body: compress(body),
      });

      // Assess
      expect(response.status).toBe(200);
      expect(accepted - before).toBe(spans.length);
    },
  );

  it("answers ingest's OTLP 413 for a body over its limit that the gateway can still deliver", async () => {
    // Prepare: over 4 MiB once inflated, yet an event well under 6 MB
    const body = gzipSync(new Uint8Array(4 * MiB + 1));

    // Act
    const response = await fetch(pipeline.endpoints.traces, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-api-key': API_KEY },
      body,
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      code: 8,
      message: `request body of ${4 * MiB + 1} bytes exceeds the limit of ${4 * MiB} bytes`,
    });
  });
});
