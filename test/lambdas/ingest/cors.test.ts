/**
 * CORS of the ingest function: the decision from the request's Origin alone, and every answer the
 * function gives (success and each error status) carrying the headers to an allowed origin only.
 */
import {
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../lambdas/ingest/app.ts';
import {
  allowedOrigin,
  CORS_ALLOW_HEADERS,
  CORS_MAX_AGE_SECONDS,
  corsHeaders,
  preflightHeaders,
} from '../../../lambdas/ingest/cors.ts';
import { TraceRateLimiter } from '../../../lambdas/ingest/trace-rate.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { ShardDirectory } from '../../../lambdas/shared/routing/index.ts';
import { zipkinBodyOf } from '../../../workload/zipkin.ts';
import { acceptAll, listShardsOutput } from '../../support/kinesis-mock.ts';
import { jsonBody, protobufBody, sdkSpans } from '../../support/otel-sdk.ts';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const ALLOWED = [APP, DEV];

describe('the origin decision', () => {
  it.each<[string, string | undefined, readonly string[], string | undefined]>([
    ['a listed origin', APP, ALLOWED, APP],
    ['another listed origin', DEV, ALLOWED, DEV],
    ['no Origin header', undefined, ALLOWED, undefined],
    ['an unlisted origin', 'https://evil.example.com', ALLOWED, undefined],
    ['a listed origin with a trailing slash', `${APP}/`, ALLOWED, undefined],
    ['a listed origin in other case', 'https://APP.example.com', ALLOWED, undefined],
    ['another scheme of a listed host', 'http://app.example.com', ALLOWED, undefined],
    ['another port of a listed host', 'http://localhost:5174', ALLOWED, undefined],
    ['a subdomain of a listed origin', 'https://x.app.example.com', ALLOWED, undefined],
    ['the null origin of a sandboxed page', 'null', ALLOWED, undefined],
    ['an empty Origin', '', ALLOWED, undefined],
    ['two origins joined', `${APP}, ${DEV}`, ALLOWED, undefined],
    ['any origin when none is configured', APP, [], undefined],
  ])('%s', (_name, origin, allowed, expected) => {
    // Act
    const decided = allowedOrigin(origin, allowed);
    const answer = corsHeaders(origin, allowed);
    const preflight = preflightHeaders(origin, allowed);

    // Assess
    expect(decided).toBe(expected);
    if (expected === undefined) {
      expect(answer).toEqual({});
      expect(preflight).toEqual({});
      return;
    }
    expect(answer).toEqual({
      'access-control-allow-origin': expected,
      vary: 'Origin',
      'access-control-expose-headers': 'retry-after',
    });
    expect(preflight).toEqual({
      'access-control-allow-origin': expected,
      vary: 'Origin',
      'access-control-allow-methods': 'POST,OPTIONS',
      'access-control-allow-headers': CORS_ALLOW_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    });
  });

  it('lets exporters send their content type and coding and the API key', () => {
    expect(CORS_ALLOW_HEADERS.split(',').sort()).toEqual(['content-encoding', 'content-type', 'x-api-key']);
  });
});

const kinesis = mockClient(KinesisClient);
const sdk = await sdkSpans(3);
const protobuf = protobufBody(sdk);
const json = jsonBody(sdk);
const zipkin = zipkinBodyOf(decodeTraceRequest(protobuf));
let clock: number;

function handlerFor(configInput: Record<string, unknown>) {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const config = parseConfig(configInput);
  return createIngestHandler({
    kinesis: client,
    streamName: 'traces',
    config,
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now: () => clock }),
    metrics: new Metrics({ dimensions: { Function: 'ingest' }, sink: () => {} }),
    logger: silentLogger,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    traceRate: new TraceRateLimiter(config.ingest.traceRate, () => clock),
  });
}

beforeEach(() => {
  clock = 1_000_000;
  kinesis.on(ListShardsCommand).resolves(listShardsOutput(2));
  kinesis.on(PutRecordsCommand).callsFake(acceptAll(2));
});
afterEach(() => kinesis.reset());

function throttleEverything(): void {
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
    FailedRecordCount: input.Records?.length,
    Records: (input.Records ?? []).map(() => ({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'rate',
    })),
  }));
}

function failEverything(): void {
  kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalFailure' }));
}

interface Case {
  readonly status: number;
  readonly resource: string;
  readonly method?: string;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly ingest?: Record<string, unknown>;
  readonly stream?: () => void;
}

const CASES: ReadonlyArray<[string, Case]> = [
  [
    'an accepted OTLP protobuf export',
    { status: 200, resource: '/v1/traces', contentType: 'application/x-protobuf', body: protobuf },
  ],
  [
    'an accepted OTLP/JSON export',
    { status: 200, resource: '/v1/traces', contentType: 'application/json', body: json },
  ],
  [
    'an accepted Zipkin report',
    { status: 202, resource: '/api/v2/spans', contentType: 'application/json', body: zipkin },
  ],
  [
    'a malformed body',
    {
      status: 400,
      resource: '/v1/traces',
      contentType: 'application/json',
      body: Buffer.from('{"resourceSpans":'),
    },
  ],
  [
    'a GET',
    {
      status: 405,
      resource: '/v1/traces',
      method: 'GET',
      contentType: 'application/json',
      body: new Uint8Array(),
    },
  ],
  [
    'too many spans',
    {
      status: 413,
      resource: '/v1/traces',
      contentType: 'application/json',
      body: json,
      ingest: { maxSpansPerRequest: 1 },
    },
  ],
  [
    'an unsupported content type',
    { status: 415, resource: '/api/v2/spans', contentType: 'text/plain', body: zipkin },
  ],
  [
    'a throttling stream',
    {
      status: 429,
      resource: '/v1/traces',
      contentType: 'application/x-protobuf',
      body: protobuf,
      ingest: { putDeadlineMs: 1000 },
      stream: throttleEverything,
    },
  ],
  [
    'an unavailable stream',
    {
      status: 503,
      resource: '/api/v2/spans',
      contentType: 'application/json',
      body: zipkin,
      ingest: { putDeadlineMs: 1000 },
      stream: failEverything,
    },
  ],
];

function eventOf(c: Case, origin: string | undefined): APIGatewayProxyEvent {
  return {
    httpMethod: c.method ?? 'POST',
    resource: c.resource,
    // As a browser sends it; the function reads header names in any case.
    headers: { 'Content-Type': c.contentType, ...(origin === undefined ? {} : { Origin: origin }) },
    body: Buffer.from(c.body).toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEvent;
}

async function answer(
  c: Case,
  origin: string | undefined,
  allowedOrigins: string[],
): Promise<APIGatewayProxyResult> {
  c.stream?.();
  const handler = handlerFor({ ingest: { ...c.ingest, cors: { allowedOrigins } } });
  return handler(eventOf(c, origin), {} as Context);
}

describe.each(CASES)('the ingest function answering %s', (_name, c) => {
  it('names an allowed origin, varies by Origin and exposes Retry-After', async () => {
    // Act
    const result = await answer(c, DEV, ALLOWED);

    // Assess
    expect(result.statusCode).toBe(c.status);
    expect(result.headers).toMatchObject({
      'access-control-allow-origin': DEV,
      vary: 'Origin',
      'access-control-expose-headers': 'retry-after',
    });
  });

  it.each<[string, string | undefined, string[]]>([
    ['an origin not allowed', 'https://evil.example.com', ALLOWED],
    ['no Origin', undefined, ALLOWED],
    ['an origin when none is configured', DEV, []],
  ])('carries no CORS header for %s', async (_case, origin, allowed) => {
    // Act
    const result = await answer(c, origin, allowed);

    // Assess
    expect(result.statusCode).toBe(c.status);
    const names = Object.keys(result.headers ?? {});
    expect(names.filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
  });
});
