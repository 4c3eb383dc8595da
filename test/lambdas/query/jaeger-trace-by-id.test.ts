/** Jaeger's GET /api/traces/{traceId} over dynalite: the query handler API Gateway invokes, with proxy events. */
import { gunzipSync } from 'node:zlib';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../../lambdas/query/app.ts';
import { RESPONSE_BUDGET } from '../../../lambdas/query/encoding.ts';
import { SAMPLING_TAGS } from '../../../lambdas/query/jaeger/translate.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { createTraceSearch, TraceTable } from '../../../lambdas/storage/index.ts';
import {
  BASELINE,
  batchRef,
  fixtureClock,
  keptTrace,
  type StorageStandIns,
  sid,
  startStorageStandIns,
  storeOnStandIns,
  tableItems,
  testSpan,
} from '../../support/storage.ts';

const TRACE = 'ab00000000000000000000000000cdef';
/** A 64-bit trace id: Jaeger prints it, and Grafana passes it, as its 16 low hex characters. */
const SHORT = 'abcdef0123456789';
const SHORT_TRACE = `0000000000000000${SHORT}`;
/** Kept, then its spans removed: a trace item with no spans. */
const EMPTY_TRACE = 'ab0000000000000000000000000e0e0e';
const LARGE_TRACE = 'ab000000000000000000000000001a9e';
/** Spans of a large attribute each (it compresses well): over Lambda's 6 MB as plain JSON. */
const LARGE_SPANS = 70;
const LARGE_VALUE = 'x'.repeat(100_000);

// The child first: the answer must still start with the root.
const spans: Span[] = [
  testSpan({ trace: TRACE, id: 'db', parent: 'root', service: 'carts', start: 100, end: 900, error: true }),
  testSpan({ trace: TRACE, id: 'root', service: 'frontend', name: 'GET /cart', start: 0, end: 2_000 }),
];

let standIns: StorageStandIns;
let handler: ReturnType<typeof createQueryHandler>;
const lines: string[] = [];

function event(traceId: string, method = 'GET', headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path: `/api/traces/${traceId}`,
    pathParameters: { traceId },
    queryStringParameters: null,
    resource: '/api/traces/{traceId}',
    headers,
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

async function get(traceId: string, method = 'GET', headers: Record<string, string> = {}) {
  return handler(event(traceId, method, headers), {} as never);
}

beforeAll(async () => {
  standIns = await startStorageStandIns();
  const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
  const large = Array.from({ length: LARGE_SPANS }, (_, i) =>
    testSpan({ trace: LARGE_TRACE, id: `s${i}`, start: i, end: i + 1, attributes: { big: LARGE_VALUE } }),
  );
  await store.write(
    [
      keptTrace(spans),
      keptTrace([testSpan({ trace: SHORT_TRACE, id: 'root', start: 0, end: 10 })]),
      keptTrace([testSpan({ trace: EMPTY_TRACE, id: 'root', start: 0, end: 10 })]),
      keptTrace(large),
    ],
    batchRef(1),
  );
  for (const item of await tableItems(dynamodb, tableName)) {
    if (item.trace_id?.S !== EMPTY_TRACE || !item.spans) continue;
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { trace_id: item.trace_id, part: item.part as NonNullable<typeof item.part> },
        UpdateExpression: 'REMOVE spans',
      }),
    );
  }
  const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
  handler = createQueryHandler({
    table,
    search: createTraceSearch(table),
    now: fixtureClock,
    metrics: new Metrics({ sink: (line) => lines.push(line) }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await standIns.close();
});

/** Jaeger's envelope of a failure: no data, one error whose code is the status. */
function failure(code: number, msg: string | RegExp) {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg: expect.stringMatching(msg) }] };
}

describe('GET /api/traces/{traceId} (Jaeger)', () => {
  it("answers 200 with Jaeger's envelope around the trace, root span first with the sampling tags", async () => {
    // Act
    const response = await get(TRACE);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(response.body);
    expect({ ...body, data: body.data.length }).toEqual({
      data: 1,
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    });
    const [trace] = body.data;
    expect(trace.traceID).toBe(TRACE);
    expect(trace.spans.map((s: { spanID: string }) => s.spanID)).toEqual([sid('root'), sid('db')]);
    expect(trace.spans[0].operationName).toBe('GET /cart');
    expect(trace.spans[0].tags).toEqual(
      expect.arrayContaining([
        { key: SAMPLING_TAGS.policy, type: 'string', value: BASELINE.policy },
        { key: SAMPLING_TAGS.probability, type: 'float64', value: BASELINE.probability },
      ]),
    );
    expect(trace.spans[1].references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE, spanID: sid('root') }]);
    const services = Object.values(trace.processes).map((p) => (p as { serviceName: string }).serviceName);
    expect(services.sort()).toEqual(['carts', 'frontend']);
  });

  it.each([
    ['its 16 hex characters, as Jaeger prints it', SHORT],
    ['its 16 hex characters in upper case', SHORT.toUpperCase()],
    ['all 32 characters', SHORT_TRACE],
  ])('finds a 64-bit trace by %s', async (_case, id) => {
    // Act
    const response = await get(id);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).data[0].traceID).toBe(SHORT);
  });

  it.each([
    ['never kept', 'ab00000000000000000000000000ceee'],
    ['kept without spans (clients read spans[0])', EMPTY_TRACE],
    ['all zeros', '0'],
  ])("answers Jaeger's 404 for a trace %s", async (_case, id) => {
    // Act
    const response = await get(id);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual(failure(404, /^trace not found$/));
  });

  it.each([
    ['33 hex characters', `${TRACE}f`],
    ['a non-hex character', 'ab00000000000000000000000000cdeg'],
    ['a sign', '-1'],
    ['nothing', ''],
  ])('answers 400 naming traceID for %s', async (_case, id) => {
    // Act
    const response = await get(id);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual(
      failure(400, /^unable to parse param 'traceID': .* is not a trace id: expected 1 to 32 hex/),
    );
  });

  it('answers 405 in the envelope to other methods, and HEAD without a body', async () => {
    // Act
    const post = await get(TRACE, 'POST');
    const head = await get(TRACE, 'HEAD');

    // Assess
    expect(post.statusCode).toBe(405);
    expect(JSON.parse(post.body)).toEqual(failure(405, /method POST is not allowed/));
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('gzips the body as base64 for a client that accepts gzip', async () => {
    // Prepare
    const plain = await get(TRACE);

    // Act
    const response = await get(TRACE, 'GET', { 'Accept-Encoding': 'gzip, deflate, br' });

    // Assess
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
    expect(gunzipSync(Buffer.from(response.body, 'base64')).toString()).toBe(plain.body);
  });

  it('answers 413 in the envelope, not a 502, when the trace does not fit 6 MB as plain JSON', async () => {
    // Act
    const response = await get(LARGE_TRACE, 'GET', { 'accept-encoding': 'identity' });

    // Assess
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toEqual(
      failure(
        413,
        new RegExp(
          `^trace ${LARGE_TRACE} is too large to return whole: ${LARGE_SPANS} spans make a response ` +
            '\\(send Accept-Encoding: gzip to compress it\\) of \\d+ bytes, over the 6 MB .* no paging for a trace; ' +
            `read it in pages as OTLP JSON from /v1/traces/${LARGE_TRACE}\\?limit=`,
        ),
      ),
    );
  });

  it('answers the same large trace whole, gzipped, to a client that accepts gzip', async () => {
    // Act
    const response = await get(LARGE_TRACE, 'GET', { 'accept-encoding': 'gzip' });

    // Assess: plain, it is over the budget; gzipped, it fits
    expect(response.statusCode).toBe(200);
    const plain = gunzipSync(Buffer.from(response.body, 'base64')).toString();
    expect(Buffer.byteLength(plain)).toBeGreaterThan(RESPONSE_BUDGET);
    expect(JSON.parse(plain).data[0].spans).toHaveLength(LARGE_SPANS);
  });

  it('counts reads and refusals in its metrics', () => {
    // Assess: flushed after every invocation
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.TracesRead === 1 && r.SpansRead === 2)).toBe(true);
    expect(records.some((r) => r.TraceQueryRejected === 1 && r.Status === '404')).toBe(true);
  });
});
