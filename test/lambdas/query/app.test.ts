/** The trace-by-id API over dynalite: the same handler API Gateway invokes, with proxy events. */
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../../lambdas/query/app.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequestObject } from '../../../lambdas/shared/otlp/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { createTraceSearch, TraceTable } from '../../../lambdas/storage/index.ts';
import {
  BASE_NS,
  batchRef,
  keptTrace,
  type StorageStandIns,
  sid,
  startStorageStandIns,
  storeOnStandIns,
  tableItems,
  testSpan,
} from '../../support/storage.ts';

const TRACE = 'ab00000000000000000000000000cdef';
const spans: Span[] = [
  testSpan({
    trace: TRACE,
    id: 'root',
    service: 'frontend',
    name: 'GET /cart',
    start: 0,
    end: 2_000,
    attributes: { 'http.route': '/cart' },
  }),
  testSpan({ trace: TRACE, id: 'db', parent: 'root', service: 'carts', start: 100, end: 900, error: true }),
];

let standIns: StorageStandIns;
let handler: ReturnType<typeof createQueryHandler>;
let expiresAtMs: number;
const clock = { now: 0 };
const lines: string[] = [];

function event(
  traceId: string,
  method = 'GET',
  headers: Record<string, string> = {},
  query: Record<string, string> | null = null,
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path: `/v1/traces/${traceId}`,
    pathParameters: { traceId },
    queryStringParameters: query,
    resource: '/v1/traces/{traceId}',
    headers,
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

beforeAll(async () => {
  standIns = await startStorageStandIns();
  const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
  await store.write([keptTrace(spans)], batchRef(1));
  expiresAtMs = Number((await tableItems(dynamodb, tableName))[0]?.expires_at?.N) * 1000;
  clock.now = expiresAtMs - 1;
  const table = new TraceTable({ client: dynamodb, tableName, now: () => clock.now });
  handler = createQueryHandler({
    table,
    search: createTraceSearch(table),
    now: () => clock.now,
    metrics: new Metrics({ sink: (line) => lines.push(line) }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await standIns.close();
});

describe('GET /v1/traces/{traceId}', () => {
  it('answers 200 with the trace as OTLP/JSON TracesData and its summary', async () => {
    // Act
    const response = await handler(event(TRACE), {} as never);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(response.body);
    const read = decodeTraceRequestObject(body).sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
    expect(read.map((s) => [s.spanId, s.name, s.startTimeUnixNano, s.status.code])).toEqual(
      [...spans]
        .sort((a, b) => (a.spanId < b.spanId ? -1 : 1))
        .map((s) => [s.spanId, s.name, s.startTimeUnixNano, s.status.code]),
    );
    expect(body.summary).toEqual({
      traceId: TRACE,
      rootSpanId: sid('root'),
      rootService: 'frontend',
      rootName: 'GET /cart',
      startTimeUnixNano: BASE_NS.toString(),
      endTimeUnixNano: (BASE_NS + 2_000n).toString(),
      durationNano: '2000',
      spanCount: 2,
      errorCount: 1,
      services: ['carts', 'frontend'],
      sampling: {
        policy: 'baseline',
        probability: 0.25,
        adjustedCount: 4,
        threshold: 'c',
        reason: 'consistent probability 0.25',
      },
    });
  });

  it('accepts an upper-case id as the same trace', async () => {
    // Act
    const response = await handler(event(TRACE.toUpperCase()), {} as never);
    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('answers 404 for an id that was never kept', async () => {
    // Act
    const response = await handler(event('ab00000000000000000000000000ceee'), {} as never);
    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toMatch(/not found/);
  });

  it.each([
    ['31 hex characters', 'ab00000000000000000000000000cde'],
    ['33 hex characters', 'ab00000000000000000000000000cdeff'],
    ['a non-hex character', 'ab00000000000000000000000000cdeg'],
    ['all zeros', '00000000000000000000000000000000'],
    ['nothing', ''],
  ])('answers 400 for %s', async (_case, id) => {
    // Act
    const response = await handler(event(id), {} as never);
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/not a trace id/);
  });

  it('answers 404 once the trace has expired, though dynalite never deletes it (boundary: expiring now)', async () => {
    // Prepare
    clock.now = expiresAtMs;
    // Act
    const response = await handler(event(TRACE), {} as never);
    clock.now = expiresAtMs - 1;
    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('answers 405 to other methods and HEAD without a body', async () => {
    // Act
    const post = await handler(event(TRACE, 'POST'), {} as never);
    const head = await handler(event(TRACE, 'HEAD'), {} as never);
    // Assess
    expect(post.statusCode).toBe(405);
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('takes the id from the path when the route has no path parameter', async () => {
    // Prepare
    const bare = { ...event(TRACE), pathParameters: null };
    // Act
    const response = await handler(bare, {} as never);
    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('gzips the body as base64 for a client that accepts gzip, whatever the header case', async () => {
    // Prepare
    const plain = await handler(event(TRACE), {} as never);
    // Act
    const response = await handler(event(TRACE, 'GET', { 'Accept-Encoding': 'br, gzip' }), {} as never);
    // Assess
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
    expect(gunzipSync(Buffer.from(response.body, 'base64')).toString()).toBe(plain.body);
  });

  it('answers plain JSON to a client that refuses gzip (q=0)', async () => {
    // Act
    const response = await handler(
      event(TRACE, 'GET', { 'accept-encoding': 'gzip;q=0, identity' }),
      {} as never,
    );
    // Assess
    expect(response.isBase64Encoded).toBeFalsy();
    expect(response.headers?.['content-encoding']).toBeUndefined();
    expect(JSON.parse(response.body).summary.spanCount).toBe(2);
  });

  it('pages the spans by start time with ?limit= and the cursor of page.next', async () => {
    // Act
    const first = JSON.parse((await handler(event(TRACE, 'GET', {}, { limit: '1' }), {} as never)).body);
    const query = { limit: '1', cursor: first.page.next };
    const second = JSON.parse((await handler(event(TRACE, 'GET', {}, query), {} as never)).body);
    // Assess
    expect(first.page).toEqual({ spans: 1, next: `${BASE_NS}-${sid('root')}` });
    expect(decodeTraceRequestObject(first).map((s) => s.spanId)).toEqual([sid('root')]);
    expect(second.page).toEqual({ spans: 1 });
    expect(decodeTraceRequestObject(second).map((s) => s.spanId)).toEqual([sid('db')]);
    expect(second.summary.spanCount).toBe(2);
  });

  it.each([
    ['a limit of 0', { limit: '0' }, /not a valid limit/],
    ['a limit that is not a number', { limit: 'all' }, /not a valid limit/],
    ['a limit over 100000', { limit: '100001' }, /not a valid limit/],
    ['a cursor no page gave', { cursor: 'page-2' }, /not a valid cursor/],
  ])('answers 400 for %s', async (_case, query, message) => {
    // Act
    const response = await handler(event(TRACE, 'GET', {}, query), {} as never);
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('answers an event without a resource (a direct invoke) as this route', async () => {
    // Prepare
    const { resource: _, ...direct } = event(TRACE);
    // Act
    const response = await handler(direct as APIGatewayProxyEvent, {} as never);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).summary.spanCount).toBe(2);
  });

  it('answers 404 naming the resource for a resource the function does not serve', async () => {
    // Prepare
    const other = { ...event(TRACE), resource: '/api/archive/{traceId}' };
    // Act
    const response = await handler(other, {} as never);
    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toBe('no route for resource /api/archive/{traceId}');
  });

  it('counts answers in its metrics', () => {
    // Assess: flushed after every invocation
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.TracesRead === 1)).toBe(true);
    expect(records.some((r) => r.TraceQueryRejected === 1 && r.Status === '400')).toBe(true);
  });
});
