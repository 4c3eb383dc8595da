/**
 * CORS in the API Gateway stand-in, as on the ingest REST API with allowed origins: the preflight
 * (OPTIONS) of a write route is answered without a key and without the function, naming an allowed
 * origin only; the stand-in's own errors on a write route (403, 413, 502) carry the request's
 * Origin back as the API's gateway responses do; read routes and APIs without origins have none.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { type ApiGatewayStandIn, startApiGateway } from '../../local/api-gateway.ts';
import { SharedBrowserApiKeyError } from '../../local/errors.ts';
import { startLocalPipeline } from '../../local/pipeline.ts';

const WRITE_KEY = 'cors-write-key-4f1e9a';
const BROWSER_KEY = 'cors-browser-key-7c2d0b';
const READ_KEY = 'cors-read-key-9a3e5c';
const APP = 'https://app.example.com';
const OTHER = 'https://other.example.com';
const CORS_NAMES = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
  'vary',
];

/** What the route handlers do, and every event they were given. */
let behaviour: 'answer' | 'throw';
const events: APIGatewayProxyEvent[] = [];

async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  events.push(event);
  if (behaviour === 'throw') throw new Error('a bug in the function');
  return { statusCode: 200, headers: { 'x-from': 'function' }, body: '{}' };
}

async function gatewayWith(allowedOrigins: readonly string[] | undefined): Promise<ApiGatewayStandIn> {
  return startApiGateway({
    port: 0,
    logger: silentLogger,
    maxPayloadBytes: 1024,
    routes: [
      { method: 'GET', path: '/v1/traces/{traceId}', apiKeys: [READ_KEY], handler },
      {
        method: 'ANY',
        path: '/v1/traces',
        apiKeys: [WRITE_KEY, BROWSER_KEY],
        handler,
        ...(allowedOrigins ? { allowedOrigins } : {}),
      },
    ],
  });
}

let gateway: ApiGatewayStandIn;
let plain: ApiGatewayStandIn;
beforeAll(async () => {
  gateway = await gatewayWith([APP, 'http://localhost:5173']);
  plain = await gatewayWith([]);
});
afterAll(async () => {
  await gateway?.close();
  await plain?.close();
});
beforeEach(() => {
  behaviour = 'answer';
  events.length = 0;
});

interface Sent {
  readonly method: string;
  readonly path?: string;
  readonly origin?: string;
  readonly key?: string;
  readonly body?: string;
}

function send(to: ApiGatewayStandIn, request: Sent): Promise<Response> {
  return fetch(`${to.url}${request.path ?? '/v1/traces'}`, {
    method: request.method,
    headers: {
      ...(request.origin === undefined ? {} : { origin: request.origin }),
      ...(request.key === undefined ? {} : { 'x-api-key': request.key }),
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}

/** The CORS headers of a response (and Vary), by name. */
function corsOf(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => CORS_NAMES.includes(name)));
}

const PREFLIGHT = { 'access-control-request-method': 'POST' };

describe('a preflight to a write route with allowed origins', () => {
  it('is answered 204 without a key and without the function, naming the allowed origin', async () => {
    // Act
    const response = await fetch(`${gateway.url}/v1/traces`, {
      method: 'OPTIONS',
      headers: { origin: APP, ...PREFLIGHT, 'access-control-request-headers': 'content-type,x-api-key' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(corsOf(response)).toEqual({
      'access-control-allow-origin': APP,
      vary: 'Origin',
      'access-control-allow-methods': 'POST,OPTIONS',
      'access-control-allow-headers': 'content-type,content-encoding,x-api-key',
      'access-control-max-age': '7200',
    });
    expect(events).toHaveLength(0);
  });

  it.each<[string, string | undefined]>([
    ['an origin not allowed', OTHER],
    ['no Origin', undefined],
  ])('gets no CORS header from %s', async (_name, origin) => {
    // Act
    const response = await send(gateway, { method: 'OPTIONS', ...(origin ? { origin } : {}) });

    // Assess
    expect(response.status).toBe(204);
    expect(corsOf(response)).toEqual({});
    expect(events).toHaveLength(0);
  });
});

describe('the errors the stand-in answers itself on a write route with allowed origins', () => {
  it.each<[string, Sent, number, () => void]>([
    ['no key', { method: 'POST', body: '{}' }, 403, () => {}],
    ['the read key', { method: 'POST', key: READ_KEY, body: '{}' }, 403, () => {}],
    [
      'a body over the payload limit',
      { method: 'POST', key: BROWSER_KEY, body: 'x'.repeat(2048) },
      413,
      () => {},
    ],
    [
      'a function that throws',
      { method: 'POST', key: BROWSER_KEY, body: '{}' },
      502,
      () => {
        behaviour = 'throw';
      },
    ],
  ])(
    'carry the Origin back for %s, allowed or not, as gateway responses do',
    async (_name, request, status, prepare) => {
      for (const origin of [APP, OTHER]) {
        // Prepare
        prepare();

        // Act
        const response = await send(gateway, { ...request, origin });

        // Assess
        expect(response.status).toBe(status);
        expect(corsOf(response)).toEqual({
          'access-control-allow-origin': origin,
          vary: 'Origin',
          'access-control-expose-headers': 'retry-after',
        });
      }
    },
  );

  it('carry none without an Origin', async () => {
    // Act
    const response = await send(gateway, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(403);
    expect(corsOf(response)).toEqual({});
  });
});

describe('what the stand-in leaves alone', () => {
  it("passes the function's answer on as it is: the function decides its CORS headers", async () => {
    // Act
    const response = await send(gateway, { method: 'POST', origin: APP, key: BROWSER_KEY, body: '{}' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-from')).toBe('function');
    expect(corsOf(response)).toEqual({});
    expect(events).toHaveLength(1);
  });

  it('sends a preflight on an API without origins to the route, which wants a key', async () => {
    // Act
    const withoutKey = await send(plain, { method: 'OPTIONS', origin: APP });
    const withKey = await send(plain, { method: 'OPTIONS', origin: APP, key: WRITE_KEY });

    // Assess
    expect(withoutKey.status).toBe(403);
    expect(corsOf(withoutKey)).toEqual({});
    expect(withKey.status).toBe(200);
    expect(events.map((event) => event.httpMethod)).toEqual(['OPTIONS']);
  });

  it('adds nothing to the errors of an API without origins', async () => {
    // Act
    const response = await send(plain, { method: 'POST', origin: APP, body: '{}' });

    // Assess
    expect(response.status).toBe(403);
    expect(corsOf(response)).toEqual({});
  });

  it.each<[string, Sent, number]>([
    ['a preflight', { method: 'OPTIONS', path: '/v1/traces/abc', origin: APP }, 403],
    ['a read without a key', { method: 'GET', path: '/v1/traces/abc', origin: APP }, 403],
    [
      'a read with the browser key',
      { method: 'GET', path: '/v1/traces/abc', origin: APP, key: BROWSER_KEY },
      403,
    ],
  ])('answers %s on a read route without CORS', async (_name, request, status) => {
    // Act
    const response = await send(gateway, request);

    // Assess
    expect(response.status).toBe(status);
    expect(corsOf(response)).toEqual({});
    expect(events).toHaveLength(0);
  });
});

describe('the local pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracesift-browser-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['the ingest key', WRITE_KEY],
    ['the read key', READ_KEY],
  ])(
    'will not start with a browser key equal to %s, the public key would be it',
    async (_name, browserApiKey) => {
      // Prepare
      const dataDir = join(dir, 'data');

      // Act
      const starting = startLocalPipeline({
        dataDir,
        fresh: true,
        port: 0,
        apiKey: WRITE_KEY,
        queryApiKey: READ_KEY,
        browserApiKey,
        config: parseConfig({ ingest: { cors: { allowedOrigins: [APP] } } }),
        shardCount: 1,
        logger: silentLogger,
        metricSink: () => {},
      });

      // Assess
      await expect(starting).rejects.toThrow(SharedBrowserApiKeyError);
      expect(existsSync(dataDir)).toBe(false);
    },
  );
});
