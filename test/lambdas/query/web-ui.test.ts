/** The web UI's routes through the query handler: pages, files, refusals and their headers. */
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createQueryHandler, pathPrefixOf, QUERY_ROUTES } from '../../../lambdas/query/app.ts';
import { NO_UI_ASSETS, type UiAssets, uiAssetsOf } from '../../../lambdas/query/ui-assets.ts';
import { WEB_UI_CONTENT_SECURITY_POLICY } from '../../../lambdas/query/web-ui.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { TraceTable } from '../../../lambdas/storage/index.ts';
import { fixtureClock } from '../../support/storage.ts';
import { jsonOf } from './jaeger-events.ts';
import { answerFromIndex } from './search-stub.ts';

const SCRIPT = 'document.body.dataset.ready="yes";';
const STYLE = 'body{margin:0}';
const pageWith = (base: string) =>
  `<!doctype html><html><head>${base}<link rel="stylesheet" href="app.css"><script type="module" src="app.js"></script></head><body></body></html>`;
const PAGE = pageWith('<base href="./" />');
const BUILT = uiAssetsOf({ 'index.html': PAGE, 'app.js': SCRIPT, 'app.css': STYLE });

interface UiCall {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the browser's path has before the resource path (the stage); '/prod' unless told. */
  readonly prefix?: string;
  /** The request context's path when it is not the prefix and the path. */
  readonly browserPath?: string;
}

/** The event API Gateway builds for `path` under /ui, on the resource that matches it. */
function uiEvent(path: string, call: UiCall = {}): APIGatewayProxyEvent {
  const proxy = path.replace(/^\/ui\/?/, '');
  return {
    httpMethod: call.method ?? 'GET',
    path,
    resource: proxy === '' ? '/ui' : '/ui/{proxy+}',
    pathParameters: proxy === '' ? null : { proxy },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers: call.headers ?? {},
    requestContext: { path: call.browserPath ?? `${call.prefix ?? '/prod'}${path}`, stage: 'prod' },
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

/** The handler's answer; `ui` null: deps without UI assets. */
async function answer(path: string, call: UiCall = {}, ui: UiAssets | null = BUILT) {
  const handler = createQueryHandler({
    table: new TraceTable({
      client: new DynamoDBClient({ region: 'eu-west-1' }),
      tableName: 'unused',
      now: fixtureClock,
    }),
    search: { services: fail, operations: fail, findTraces: fail, dependencies: fail },
    now: fixtureClock,
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
    ...(ui === null ? {} : { ui }),
  });
  return (await handler(uiEvent(path, call), {} as never)) as APIGatewayProxyResult;
}

function fail(): never {
  throw new Error('the web UI reads no trace data');
}

function headersOf(response: APIGatewayProxyResult): Record<string, string> {
  return response.headers as Record<string, string>;
}

describe('web UI pages: every path without an extension is index.html, based on the stage', () => {
  it.each(['/ui', '/ui/', '/ui/trace/abc123', '/ui/dependencies', '/ui/trace/abc123/'])(
    'answers %s with the page based at /prod/ui/',
    async (path) => {
      // Act
      const response = await answer(path);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(headersOf(response)['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toBe(pageWith('<base href="/prod/ui/">'));
    },
  );

  it('bases the page at /ui/ when the browser path has no prefix (locally)', async () => {
    // Act
    const response = await answer('/ui/trace/abc123', { prefix: '' });

    // Assess
    expect(response.body).toBe(pageWith('<base href="/ui/">'));
  });

  it('bases the page at /ui/ when the browser path does not end with the resource path', async () => {
    // Act
    const response = await answer('/ui/trace/abc123', { browserPath: '/prod/ui/trace/other' });

    // Assess
    expect(response.body).toBe(pageWith('<base href="/ui/">'));
  });

  it.each([
    ['markup', '/"><script>alert(1)</script>', '/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/ui/'],
    ['another host (//)', '//evil.example', '/evil.example/ui/'],
    ['another host (/\\)', '/\\evil.example', '/%5Cevil.example/ui/'],
    ['attribute quotes and entities', "/a'b&c", '/a&#39;b&amp;c/ui/'],
    ['replacement patterns', "/$'$&$`", '/$&#39;$&amp;$%60/ui/'],
    ['non-ASCII and spaces', '/é x', '/%C3%A9%20x/ui/'],
  ])('makes a hostile prefix with %s a harmless same-origin base', async (_, prefix, base) => {
    // Act
    const response = await answer('/ui/trace/abc123', { prefix });

    // Assess
    expect(response.body).toBe(pageWith(`<base href="${base}">`));
  });

  it('never puts the requested path into the page', async () => {
    // Act
    const response = await answer('/ui/"><img src=x onerror=alert(1)>');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(pageWith('<base href="/prod/ui/">'));
  });
});

describe('web UI files', () => {
  it.each([
    ['/ui/app.js', 'text/javascript; charset=utf-8', SCRIPT],
    ['/ui/app.css', 'text/css; charset=utf-8', STYLE],
  ])('serves %s as %s', async (path, contentType, body) => {
    // Act
    const response = await answer(path);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(headersOf(response)['content-type']).toBe(contentType);
    expect(response.body).toBe(body);
  });

  it.each([
    '/ui/favicon.ico',
    '/ui/index.html',
    '/ui/app.js.map',
    '/ui/trace/app.js',
    '/ui/trace/abc.json',
    '/ui/..',
  ])('answers %s, a file the UI does not have, 404', async (path) => {
    // Act
    const response = await answer(path);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toEqual({ message: `no web UI file ${path}` });
  });

  it.each(['identity', 'gzip'])(
    'answers HEAD with the headers of GET (Accept-Encoding %s) and no body',
    async (acceptEncoding) => {
      // Prepare
      const headers = { 'accept-encoding': acceptEncoding };

      // Act
      const get = await answer('/ui/app.js', { headers });
      const head = await answer('/ui/app.js', { method: 'HEAD', headers });

      // Assess
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers).toEqual(get.headers);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405', async (method) => {
    // Act
    const response = await answer('/ui/trace/abc123', { method });

    // Assess
    expect(response.statusCode).toBe(405);
    expect(jsonOf(response)).toEqual({ message: `method ${method} is not allowed; use GET` });
  });

  it.each([
    ['no UI in the deps', null],
    ['NO_UI_ASSETS', NO_UI_ASSETS],
  ])('answers 404 saying the UI is not built in, with %s', async (_, ui) => {
    // Act
    const responses = await Promise.all(
      ['/ui', '/ui/trace/abc123', '/ui/app.js'].map((p) => answer(p, {}, ui)),
    );

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(404);
      expect(jsonOf(response)).toEqual({ message: 'the web UI is not built into this function' });
    }
  });
});

describe('web UI headers', () => {
  it.each<[string, string, UiCall, UiAssets | null]>([
    ['a page', '/ui/trace/abc123', {}, BUILT],
    ['the script', '/ui/app.js', {}, BUILT],
    ['the script, gzipped', '/ui/app.js', { headers: { 'accept-encoding': 'gzip' } }, BUILT],
    ['a HEAD', '/ui', { method: 'HEAD' }, BUILT],
    ['a 404', '/ui/missing.png', {}, BUILT],
    ['a 405', '/ui', { method: 'POST' }, BUILT],
    ['a UI not built in', '/ui', {}, null],
  ])('sends the CSP, nosniff and no referrer with %s', async (_, path, call, ui) => {
    // Act
    const response = await answer(path, call, ui);

    // Assess
    expect(headersOf(response)).toMatchObject({
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    expect(WEB_UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('has every file revalidated, with an ETag that differs between files and between bases', async () => {
    // Act
    const tags = await Promise.all([
      answer('/ui/app.js'),
      answer('/ui/app.css'),
      answer('/ui/trace/a'),
      answer('/ui/trace/b'),
      answer('/ui/trace/a', { prefix: '/staging' }),
    ]);

    // Assess
    for (const response of tags) expect(headersOf(response)['cache-control']).toBe('no-cache');
    const [js, css, pageA, pageB, staging] = tags.map((response) => headersOf(response).etag);
    expect(new Set([js, css, pageA, staging]).size).toBe(4);
    expect(pageB).toBe(pageA);
  });

  it.each<[string, (etag: string) => string]>([
    ['the tag', (etag) => etag],
    ['the tag among others', (etag) => `W/"older", ${etag}, "other"`],
    ['its strong form (weak comparison)', (etag) => etag.replace(/^W\//, '')],
    ['*', () => '*'],
  ])('answers 304 with no body when If-None-Match holds %s', async (_, ifNoneMatch) => {
    // Prepare
    const first = await answer('/ui/app.js');
    const etag = headersOf(first).etag as string;

    // Act
    const again = await answer('/ui/app.js', { headers: { 'If-None-Match': ifNoneMatch(etag) } });

    // Assess
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(headersOf(again).etag).toBe(etag);
  });

  it('answers 200 when If-None-Match holds another tag, as after a deploy', async () => {
    // Prepare
    const etag = headersOf(await answer('/ui/app.css')).etag as string;

    // Act
    const script = await answer('/ui/app.js', { headers: { 'if-none-match': etag } });

    // Assess
    expect(script.statusCode).toBe(200);
    expect(script.body).toBe(SCRIPT);
  });

  it.each(['/ui/app.js', '/ui/trace/abc123'])('gzips %s when the client accepts gzip', async (path) => {
    // Prepare
    const plain = await answer(path);

    // Act
    const zipped = await answer(path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });

    // Assess
    expect(headersOf(zipped)['content-encoding']).toBe('gzip');
    expect(headersOf(zipped).vary).toBe('Accept-Encoding');
    expect(zipped.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(zipped.body, 'base64')).toString()).toBe(plain.body);
    expect(headersOf(plain)['content-encoding']).toBeUndefined();
  });

  it('does not gzip for a client that refuses it', async () => {
    // Act
    const response = await answer('/ui/app.js', { headers: { 'accept-encoding': 'gzip;q=0' } });

    // Assess
    expect(headersOf(response)['content-encoding']).toBeUndefined();
    expect(response.body).toBe(SCRIPT);
  });
});

describe('every answer of the query function', () => {
  it.each([...QUERY_ROUTES.keys()])('carries x-content-type-options: nosniff on %s', async (resource) => {
    // Act
    const { response } = await answerFromIndex(resource, {});

    // Assess
    expect(headersOf(response)['x-content-type-options']).toBe('nosniff');
  });

  it('carries nosniff on a refusal and on an unknown resource', async () => {
    // Act
    const refused = await answerFromIndex('/api/dependencies', { query: { lookback: '1h' } });
    const unknown = await answerFromIndex('/api/unknown', {});

    // Assess
    expect(refused.response.statusCode).toBe(400);
    expect(unknown.response.statusCode).toBe(404);
    for (const { response } of [refused, unknown])
      expect(headersOf(response)['x-content-type-options']).toBe('nosniff');
  });
});

describe('pathPrefixOf', () => {
  it.each<[string | undefined, string, string]>([
    ['/prod/ui/trace/x', '/ui/trace/x', '/prod'],
    ['/ui/trace/x', '/ui/trace/x', ''],
    ['/base/v1/ui', '/ui', '/base/v1'],
    [undefined, '/ui', ''],
    ['/prod/ui/other', '/ui/trace/x', ''],
  ])('reads %j less %j as %j', (browserPath, path, prefix) => {
    // Act + Assess
    expect(pathPrefixOf(browserPath, path)).toBe(prefix);
  });
});
