/**
 * No one gets in without the right key, writers cannot read, and nothing secret is logged: the whole local pipeline (the API
 * Gateway stand-in in front of the real ingest and query handlers), every log line of every part
 * captured at debug level.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, kinesisClient, s3Client } from '../../lambdas/shared/aws/clients.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { jsonLogger } from '../../lambdas/shared/log.ts';
import { type ApiGatewayStandIn, startApiGateway } from '../../local/api-gateway.ts';
import { SharedApiKeyError } from '../../local/errors.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { LOCAL_REGION } from '../../local/standins/kinesis.ts';
import { S3RVER_CREDENTIALS } from '../../local/standins/s3.ts';
import { protobufBody, sdkSpans } from '../support/otel-sdk.ts';

const API_KEY = 'tsk-local-4f1d9a7c2e5b8d3a6f0c1e9b';
/** Same length as the key, one character different: a timing-safe compare must still refuse it. */
const NEAR_KEY = `${API_KEY.slice(0, -1)}c`;
const OTHER_KEY = 'tsk-guess-0000000000000000';
const READ_KEY = 'tsk-read-8b2e6f0a4c9d1e7b3a5f2c8d';
const NEAR_READ_KEY = `${READ_KEY.slice(0, -1)}e`;
/** Planted in span names and attributes: must reach the stream, never a log line. */
const PAYLOAD_MARKER = 'payload-marker-7d3e';

let dataDir: string;
let pipeline: LocalPipeline;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tracesift-auth-'));
  pipeline = await startLocalPipeline({
    dataDir,
    fresh: true,
    port: 0,
    apiKey: API_KEY,
    queryApiKey: READ_KEY,
    config: parseConfig({}),
    shardCount: 1,
    logger: jsonLogger('local', 'debug', (line) => logs.push(line)),
    metricSink: () => {},
  });
});

afterAll(async () => {
  await pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const spans = await sdkSpans(2, { service: PAYLOAD_MARKER });
const body = protobufBody(spans);
const traceId = spans[0]?.spanContext().traceId as string;

function ingest(key: string | undefined, payload: Uint8Array = body): Promise<Response> {
  return fetch(pipeline.endpoints.traces, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(key === undefined ? {} : { 'x-api-key': key }) },
    body: payload,
  });
}

function query(key: string | undefined, method = 'GET'): Promise<Response> {
  return fetch(`${pipeline.endpoints.traceById}/${traceId}`, {
    method,
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
}

/** Jaeger's trace by id, as Grafana's Jaeger data source asks it (the endpoint URL as its base). */
function jaegerTrace(key: string | undefined, method = 'GET'): Promise<Response> {
  return fetch(`${pipeline.endpoints.otlpHttp}/api/traces/${traceId}`, {
    method,
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
}

/** Another route of Jaeger's query API (search, services, operations, dependencies), as Grafana asks it. */
function jaeger(pathAndQuery: string, key: string | undefined, method = 'GET'): Promise<Response> {
  return fetch(`${pipeline.endpoints.otlpHttp}${pathAndQuery}`, {
    method,
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
}

/** The Jaeger routes besides the trace by id: each answers 200 with the read key, even with nothing stored. */
const JAEGER_CALLS: ReadonlyArray<readonly [route: string, pathAndQuery: string]> = [
  ['/api/traces', '/api/traces?service=frontend&tag=error:true&limit=20'],
  ['/api/services', '/api/services'],
  ['/api/services/{service}/operations', '/api/services/frontend/operations'],
  ['/api/operations', '/api/operations?service=frontend&spanKind=server'],
  ['/api/dependencies', '/api/dependencies?lookback=3600000'],
];

/** Every key a caller might present: none, each real key, and near misses of each. */
const KEYS: ReadonlyArray<readonly [string, string | undefined]> = [
  ['no key', undefined],
  ['an empty key', ''],
  ['a wrong key', OTHER_KEY],
  ['the ingest key', API_KEY],
  ['the ingest key one character off', NEAR_KEY],
  ['the ingest key with a suffix', `${API_KEY}x`],
  ['the ingest key in upper case', API_KEY.toUpperCase()],
  ['the read key', READ_KEY],
  ['the read key one character off', NEAR_READ_KEY],
  ['the read key with a suffix', `${READ_KEY}x`],
  ['the read key truncated', READ_KEY.slice(0, -1)],
];

/** Every route the local API serves, with the key it must accept; every other key gets 403. */
const ROUTES: ReadonlyArray<{
  readonly route: string;
  readonly accepts: string;
  readonly send: (key: string | undefined) => Promise<Response>;
  readonly served: readonly number[];
}> = [
  // Accepted spans: 200
  { route: 'POST /v1/traces', accepts: API_KEY, send: (key) => ingest(key), served: [200] },
  // Zipkin v2 spans, accepted: 202
  {
    route: 'POST /api/v2/spans',
    accepts: API_KEY,
    send: (key) =>
      fetch(`${pipeline.endpoints.otlpHttp}/api/v2/spans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-api-key': key }) },
        body: JSON.stringify([{ traceId, id: spans[0]?.spanContext().spanId, name: PAYLOAD_MARKER }]),
      }),
    served: [202],
  },
  // Ingest's own answer to a method OTLP/HTTP does not define
  {
    route: 'GET /v1/traces',
    accepts: API_KEY,
    send: (key) =>
      fetch(pipeline.endpoints.traces, { headers: key === undefined ? {} : { 'x-api-key': key } }),
    served: [405],
  },
  // Not decided yet or not kept: the function answers, it does not refuse
  { route: 'GET /v1/traces/{traceId}', accepts: READ_KEY, send: (key) => query(key), served: [200, 404] },
  {
    route: 'HEAD /v1/traces/{traceId}',
    accepts: READ_KEY,
    send: (key) => query(key, 'HEAD'),
    served: [200, 404],
  },
  {
    route: 'GET /api/traces/{traceId}',
    accepts: READ_KEY,
    send: (key) => jaegerTrace(key),
    served: [200, 404],
  },
  {
    route: 'HEAD /api/traces/{traceId}',
    accepts: READ_KEY,
    send: (key) => jaegerTrace(key, 'HEAD'),
    served: [200, 404],
  },
  ...JAEGER_CALLS.flatMap(([route, pathAndQuery]) =>
    ['GET', 'HEAD'].map((method) => ({
      route: `${method} ${route}`,
      accepts: READ_KEY,
      send: (key: string | undefined) => jaeger(pathAndQuery, key, method),
      served: [200],
    })),
  ),
];

describe('API keys on the local endpoints', () => {
  it.each([
    ['no key', undefined],
    ['an empty key', ''],
    ['a wrong key', OTHER_KEY],
    ['a key one character off', NEAR_KEY],
    ['the key with a suffix', `${API_KEY}x`],
  ])('refuses ingest and query with %s (403), writing nothing', async (_, key) => {
    // Prepare
    const before = pipeline.poller.stats.recordsDelivered;

    // Act
    const responses = await Promise.all([ingest(key), query(key)]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([403, 403]);
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual([
      { message: 'Forbidden' },
      { message: 'Forbidden' },
    ]);
    expect(pipeline.poller.stats.recordsDelivered).toBe(before);
  });

  it.each([
    ['the read key', READ_KEY],
    ['the read key one character off', NEAR_READ_KEY],
  ])('refuses ingest with %s (403), writing nothing', async (_, key) => {
    // Prepare
    const before = pipeline.poller.stats.recordsDelivered;

    // Act
    const response = await ingest(key);

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(pipeline.poller.stats.recordsDelivered).toBe(before);
  });

  it('accepts ingest with the ingest key and query with the read key', async () => {
    const accepted = await ingest(API_KEY);
    expect(accepted.status).toBe(200);
    const looked = await query(READ_KEY);
    // Not sampled yet (or not kept): the query answers, it does not refuse.
    expect([200, 404]).toContain(looked.status);
  });

  it('will not start with one key for both writing and reading', async () => {
    // Act
    const started = startLocalPipeline({
      dataDir: join(dataDir, 'shared-key'),
      fresh: true,
      port: 0,
      apiKey: API_KEY,
      queryApiKey: API_KEY,
      config: parseConfig({}),
      shardCount: 1,
      logger: jsonLogger('local', 'debug', () => {}),
      metricSink: () => {},
    });

    // Assess
    await expect(started).rejects.toThrow(SharedApiKeyError);
    expect(existsSync(join(dataDir, 'shared-key'))).toBe(false);
  });

  it('answers HEAD on a trace as the function does, not with the 403 of an undefined method', async () => {
    // Act: an id never sent, with the key and without
    const url = `${pipeline.endpoints.traceById}/${'ab'.repeat(16)}`;
    const withKey = await fetch(url, { method: 'HEAD', headers: { 'x-api-key': READ_KEY } });
    const withoutKey = await fetch(url, { method: 'HEAD' });
    const withIngestKey = await fetch(url, { method: 'HEAD', headers: { 'x-api-key': API_KEY } });

    // Assess
    expect([withKey.status, withoutKey.status, withIngestKey.status]).toEqual([404, 403, 403]);
    expect(await withKey.text()).toBe('');
  });
});

describe('writers cannot read: every route with every key', () => {
  const cases = ROUTES.flatMap((route) =>
    KEYS.map(([name, key]) => ({ ...route, name, key, allowed: key === route.accepts })),
  );

  it.each(cases)('$route with $name: served $allowed', async ({ route, send, key, allowed, served }) => {
    // Act
    const response = await send(key);

    // Assess: the function's answer with the route's own key, API Gateway's 403 otherwise (a
    // HEAD answer carries no body)
    if (allowed) {
      expect(served).toContain(response.status);
    } else {
      expect(response.status).toBe(403);
      expect(await response.text()).toBe(route.startsWith('HEAD') ? '' : '{"message":"Forbidden"}');
    }
  });
});

describe("the web UI's files: no key needed, whatever key is sent", () => {
  const PATHS = ['/ui', '/ui/', `/ui/trace/${traceId}`, '/ui/dependencies', '/ui/app.js', '/ui/app.css'];
  const cases = PATHS.flatMap((path) =>
    ['GET', 'HEAD'].flatMap((method) => KEYS.map(([name, key]) => ({ path, method, name, key }))),
  );

  it.each(cases)('$method $path with $name: 200, with the page headers', async ({ path, method, key }) => {
    // Prepare
    const unauthorized = logs.filter((line) => line.includes('request without a valid API key')).length;

    // Act
    const response = await fetch(`${pipeline.endpoints.otlpHttp}${path}`, {
      method,
      headers: key === undefined ? {} : { 'x-api-key': key },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logs.filter((line) => line.includes('request without a valid API key'))).toHaveLength(
      unauthorized,
    );
  });

  it('bases the page at /ui/ and serves what it references', async () => {
    // Act
    const page = await (await fetch(`${pipeline.endpoints.webUi}trace/${traceId}`)).text();
    const script = await fetch(new URL('app.js', new URL('/ui/', pipeline.endpoints.otlpHttp)));

    // Assess
    expect(pipeline.endpoints.webUi).toBe(`${pipeline.endpoints.otlpHttp}/ui/`);
    expect(page).toContain('<base href="/ui/">');
    expect(page).toContain('src="app.js"');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it.each(['POST', 'PUT', 'DELETE'])('answers %s on the UI as an undefined method: 403', async (method) => {
    // Act
    const response = await fetch(`${pipeline.endpoints.webUi}trace/${traceId}`, {
      method,
      headers: { 'x-api-key': READ_KEY },
    });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });
});

describe('keyless routes and greedy path parameters in the stand-in', () => {
  let gateway: ApiGatewayStandIn;
  const events: APIGatewayProxyEvent[] = [];
  const handler = async (event: APIGatewayProxyEvent) => {
    events.push(event);
    return { statusCode: 200, body: '{}' };
  };

  beforeAll(async () => {
    gateway = await startApiGateway({
      port: 0,
      logger: jsonLogger('local', 'debug', () => {}),
      routes: [
        { method: 'GET', path: '/ui', keyless: true, handler },
        { method: 'GET', path: '/ui/{proxy+}', keyless: true, handler },
        { method: 'GET', path: '/keyed/{proxy+}', apiKeys: [READ_KEY], handler },
      ],
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it.each<[string, string, Record<string, string> | null]>([
    ['/ui', '/ui', null],
    ['/ui/', '/ui', null],
    ['/ui/trace', '/ui/{proxy+}', { proxy: 'trace' }],
    ['/ui/trace/abc123', '/ui/{proxy+}', { proxy: 'trace/abc123' }],
    ['/ui/a/b/c/', '/ui/{proxy+}', { proxy: 'a/b/c/' }],
    ['/ui/shop%20front/x', '/ui/{proxy+}', { proxy: 'shop front/x' }],
  ])('routes %s to %s with path parameters %j', async (path, resource, pathParameters) => {
    // Prepare
    events.length = 0;

    // Act
    const response = await fetch(`${gateway.url}${path}`);

    // Assess
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ resource, path, pathParameters });
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': OTHER_KEY }],
    ['the read key', { 'x-api-key': READ_KEY }],
  ])('serves a keyless route with %s, counting no refusal', async (_, headers) => {
    // Act
    const response = await fetch(`${gateway.url}/ui/trace/abc123`, { headers });

    // Assess
    expect(response.status).toBe(200);
    expect(gateway.stats.unauthorized).toBe(0);
  });

  it('still refuses a keyed greedy route without its key', async () => {
    // Act
    const refused = await fetch(`${gateway.url}/keyed/a/b`);
    const served = await fetch(`${gateway.url}/keyed/a/b`, { headers: { 'x-api-key': READ_KEY } });

    // Assess
    expect([refused.status, served.status]).toEqual([403, 200]);
  });

  it('answers a greedy parameter that does not decode 400, calling nothing', async () => {
    // Prepare
    events.length = 0;

    // Act
    const malformed = await fetch(`${gateway.url}/ui/trace/%E0%A4`);

    // Assess
    expect(malformed.status).toBe(400);
    expect(events).toEqual([]);
  });
});

describe('trace by id parameters are values, never code', () => {
  const HOSTILE = [
    "'",
    "x'; DROP TABLE traces; --",
    '{"S":"x"}',
    ':pk OR attribute_exists(trace_id)',
    '\u2019\u{1f525}\u200f',
    'x'.repeat(100 * 1024),
  ];
  const cases = HOSTILE.flatMap((text) => [
    { where: 'the trace id', path: `/v1/traces/${encodeURIComponent(text)}` },
    { where: 'limit', path: `/v1/traces/${traceId}?limit=${encodeURIComponent(text)}` },
    { where: 'cursor', path: `/v1/traces/${traceId}?cursor=${encodeURIComponent(text)}` },
  ]);

  it.each(cases)('$where of hostile text gets 400 or 404, never 5xx', async ({ path }) => {
    // Act
    const response = await fetch(`${pipeline.endpoints.otlpHttp}${path}`, {
      headers: { 'x-api-key': READ_KEY },
    });

    // Assess: a URL over the server's limit is refused before routing (Node 431, API Gateway 414)
    if (path.length > 16 * 1024) expect([414, 431]).toContain(response.status);
    else expect([400, 404]).toContain(response.status);
  });
});

describe('logs', () => {
  it('never hold a presented key, right or wrong, nor payload content', async () => {
    // Prepare: refusals, an accepted request, a malformed body carrying the marker
    await ingest(OTHER_KEY);
    await ingest(NEAR_KEY);
    await ingest(API_KEY);
    await ingest(API_KEY, Buffer.from(`\u0012${PAYLOAD_MARKER}`));
    await ingest(READ_KEY);
    await query(API_KEY);
    await query(NEAR_READ_KEY);
    await fetch(pipeline.endpoints.traces, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"${PAYLOAD_MARKER}","traceId":7}]}]}]}`,
    });

    // Assess: the refusals were logged (so the check sees real log lines), without the keys
    const refusals = logs.filter((line) => line.includes('request without a valid API key'));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(logs.some((line) => line.includes('"keyPresent":false'))).toBe(true);
    for (const secret of [
      API_KEY,
      NEAR_KEY,
      OTHER_KEY,
      API_KEY.slice(4, 20),
      READ_KEY,
      NEAR_READ_KEY,
      READ_KEY.slice(4, 20),
      PAYLOAD_MARKER,
    ]) {
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe('a malformed path', () => {
  it.each([
    ['a truncated escape', '/v1/traces/%E0%A4%A'],
    ['an invalid UTF-8 sequence', '/v1/traces/%E0%A4'],
    ['a lone percent sign', '/v1/traces/ab%zz'],
  ])('with %s is answered 400 before anything is logged, with or without the key', async (_, path) => {
    // Prepare
    const logged = logs.length;
    const url = `${pipeline.endpoints.otlpHttp}${path}`;

    // Act
    const responses = await Promise.all([
      fetch(url, { headers: { 'x-api-key': READ_KEY } }),
      fetch(url, { headers: { 'x-api-key': OTHER_KEY } }),
    ]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([400, 400]);
    expect(await responses[0]?.json()).toEqual({ message: 'Malformed path: invalid percent-encoding' });
    expect(logs.slice(logged)).toEqual([]);
  });
});

describe('the stand-ins behind the API', () => {
  const credentials = () => pipeline.endpoints.credentials;
  const wrong = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('refuse a client with any other credential, as AWS refuses an unknown key', async () => {
    // Prepare
    const { endpoints } = pipeline;
    const region = LOCAL_REGION;
    const clients = (given: { accessKeyId: string; secretAccessKey: string }) => ({
      kinesis: kinesisClient({ endpoint: endpoints.kinesis, region, credentials: given, maxAttempts: 1 }),
      dynamodb: dynamoDbClient({ endpoint: endpoints.dynamodb, region, credentials: given, maxAttempts: 1 }),
      s3: s3Client({
        endpoint: endpoints.s3,
        region,
        credentials: given,
        forcePathStyle: true,
        maxAttempts: 1,
      }),
    });
    const near = { ...credentials(), accessKeyId: `${credentials().accessKeyId.slice(0, -1)}X` };

    for (const given of [wrong, S3RVER_CREDENTIALS, near]) {
      // Act
      const bad = clients(given);
      const outcomes = await Promise.allSettled([
        bad.kinesis.send(new ListShardsCommand({ StreamName: endpoints.streamName })),
        bad.dynamodb.send(new QueryCommand(traceQuery(endpoints.tableName))),
        bad.s3.send(new ListObjectsV2Command({ Bucket: endpoints.bucketName })),
      ]);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.name)).toEqual([
        'UnrecognizedClientException',
        'UnrecognizedClientException',
        'InvalidAccessKeyId',
      ]);
    }
  });

  it('serve the clients signed with their generated credential', async () => {
    // Prepare
    const { endpoints } = pipeline;
    const region = LOCAL_REGION;
    const given = credentials();

    // Act
    const [shards, items, objects] = await Promise.all([
      kinesisClient({ endpoint: endpoints.kinesis, region, credentials: given }).send(
        new ListShardsCommand({ StreamName: endpoints.streamName }),
      ),
      dynamoDbClient({ endpoint: endpoints.dynamodb, region, credentials: given }).send(
        new QueryCommand(traceQuery(endpoints.tableName)),
      ),
      s3Client({ endpoint: endpoints.s3, region, credentials: given, forcePathStyle: true }).send(
        new ListObjectsV2Command({ Bucket: endpoints.bucketName, MaxKeys: 1 }),
      ),
    ]);

    // Assess
    expect(shards.Shards).toHaveLength(1);
    expect(items.Items).toEqual([]);
    expect(objects.$metadata.httpStatusCode).toBe(200);
    expect(given.accessKeyId).toMatch(/^TSLOCAL[0-9A-F]{32}$/);
  });

  it('refuse unsigned requests', async () => {
    // Act
    const responses = await Promise.all([
      fetch(pipeline.endpoints.kinesis, {
        method: 'POST',
        headers: {
          'x-amz-target': 'Kinesis_20131202.ListStreams',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: '{}',
      }),
      fetch(pipeline.endpoints.dynamodb, {
        method: 'POST',
        headers: {
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          'content-type': 'application/x-amz-json-1.0',
        },
        body: '{}',
      }),
      fetch(`${pipeline.endpoints.s3}/${pipeline.endpoints.bucketName}`),
    ]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([400, 400, 403]);
  });
});

describe('the data directory', () => {
  it('keeps endpoints.json (both API keys, credential) and the data folders to their owner', () => {
    // Act
    const modeOf = (name: string) => statSync(join(dataDir, name)).mode & 0o777;

    // Assess
    expect(modeOf('endpoints.json')).toBe(0o600);
    for (const folder of ['kinesis', 'dynamodb', 's3', 'state'])
      expect([folder, modeOf(folder)]).toEqual([folder, 0o700]);
    expect(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')).toContain(
      pipeline.endpoints.credentials.accessKeyId,
    );
    expect(JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'))).toMatchObject({
      apiKey: API_KEY,
      queryApiKey: READ_KEY,
    });
  });
});

/** A query that finds nothing in an empty table: a read that needs the credential. */
function traceQuery(tableName: string) {
  return {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'trace_id' },
    ExpressionAttributeValues: { ':pk': { S: 'none' } },
  };
}
