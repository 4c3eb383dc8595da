/**
 * A 50,000-span trace, five times what the sampler keeps by default and several times what fits
 * Lambda's 6 MB response as plain JSON, opens by id through the API Gateway stand-in (which fails a
 * result over 6 MB with 502, as AWS does): whole when gzip is accepted, and in pages otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../lambdas/query/app.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { Metrics } from '../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequestObject } from '../../lambdas/shared/otlp/index.ts';
import { EMPTY_SCOPE, type Span, SpanKind, StatusCode } from '../../lambdas/shared/span/model.ts';
import { createTraceSearch, TraceTable } from '../../lambdas/storage/index.ts';
import { type ApiGatewayStandIn, startApiGateway } from '../../local/api-gateway.ts';
import { seededRandom } from '../../workload/random.ts';
import {
  BASE_NS,
  batchRef,
  fixtureClock,
  keptTrace,
  type StorageStandIns,
  serviceResource,
  startStorageStandIns,
  storeOnStandIns,
  testConfig,
} from '../support/storage.ts';

const API_KEY = 'tsk-local-large-0b7e4c19a2d85f36';
const SPANS = 50_000;
const SERVICES = ['frontend', 'cart', 'checkout', 'payments', 'inventory', 'shipping', 'postgres', 'redis'];
const ROUTES = ['/api/cart/{id}', '/api/checkout', '/api/products/{sku}', '/api/users/{id}/orders'];

/** Spans as an instrumented service sends them: random ids, HTTP and database attributes (~700 B of JSON). */
function realisticTrace(count: number, seed = 1): Span[] {
  const next = seededRandom(seed);
  const hex = (width: number): string =>
    Array.from({ length: width }, () => Math.floor(next() * 16).toString(16)).join('');
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const traceId = hex(32);
  const ids: string[] = [];
  let start = BASE_NS;
  return Array.from({ length: count }, (_, i): Span => {
    const spanId = hex(16);
    const parentSpanId = i === 0 ? '' : pick(ids);
    ids.push(spanId);
    const service = pick(SERVICES);
    const route = pick(ROUTES);
    start += BigInt(Math.floor(next() * 1_000_000));
    const database = service === 'postgres';
    return {
      traceId,
      spanId,
      parentSpanId,
      traceState: '',
      flags: 1,
      name: database ? 'SELECT orders' : `GET ${route}`,
      kind: database ? SpanKind.CLIENT : SpanKind.SERVER,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(Math.floor(next() * 50_000_000)),
      attributes: database
        ? {
            'db.system': 'postgresql',
            'db.namespace': 'shop',
            'db.query.text': `SELECT * FROM orders WHERE user_id = $1 AND id = ${Math.floor(next() * 1e6)}`,
            'server.address': 'pg-primary.internal',
            'server.port': 5432,
          }
        : {
            'http.request.method': 'GET',
            'http.route': route,
            'url.path': route.replace(/\{\w+\}/, String(Math.floor(next() * 1e5))),
            'http.response.status_code': 200,
            'server.address': `${service}.shop.svc.cluster.local`,
            'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
            'thread.id': Math.floor(next() * 64),
          },
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status:
        next() < 0.02
          ? { code: StatusCode.ERROR, message: 'upstream timeout' }
          : { code: StatusCode.UNSET, message: '' },
      resource: serviceResource(service, { 'service.version': '1.4.2', 'deployment.environment': 'prod' }),
      scope: EMPTY_SCOPE,
    };
  });
}

const spans = realisticTrace(SPANS);
const traceId = spans[0]?.traceId as string;
let standIns: StorageStandIns;
let gateway: ApiGatewayStandIn;

beforeAll(async () => {
  standIns = await startStorageStandIns();
  // A deployment whose span cap admits such traces (the default keeps 10,000 spans a trace)
  const { store, tableName, dynamodb } = await storeOnStandIns(
    standIns,
    testConfig({ sampling: { maxSpansPerTrace: SPANS } }),
  );
  await store.write([keptTrace(spans)], batchRef(1));
  const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
  const handler = createQueryHandler({
    table,
    search: createTraceSearch(table),
    now: fixtureClock,
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
  });
  gateway = await startApiGateway({
    port: 0,
    logger: silentLogger,
    routes: [
      {
        method: 'GET',
        path: '/v1/traces/{traceId}',
        apiKeys: [API_KEY],
        handler: (event) => handler(event, {} as never),
      },
    ],
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await standIns?.close();
});

function get(query: string, acceptEncoding: string): Promise<Response> {
  return fetch(`${gateway.url}/v1/traces/${traceId}${query}`, {
    headers: { 'x-api-key': API_KEY, 'accept-encoding': acceptEncoding },
  });
}

const ids = (read: readonly Span[]): string[] => read.map((span) => span.spanId).sort();

describe(`a trace of ${SPANS} spans through the API Gateway stand-in`, () => {
  it('opens whole, gzipped, for a client that accepts gzip', async () => {
    // Act
    const response = await get('', 'gzip, deflate');

    // Assess (fetch inflates the body)
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toBe('Accept-Encoding');
    const body = JSON.parse(await response.text());
    expect(body.summary.spanCount).toBe(SPANS);
    expect(ids(decodeTraceRequestObject(body))).toEqual(ids(spans));
  }, 120_000);

  it('answers 413 with a page size, not 502, to a client that does not accept gzip', async () => {
    // Act
    const response = await get('', 'identity');

    // Assess
    expect(response.status).toBe(413);
    const body = JSON.parse(await response.text());
    expect(body).toMatchObject({ spanCount: SPANS, suggestedLimit: expect.any(Number) });
    expect(body.message).toMatch(
      /too large to return whole: 50000 spans .* Accept-Encoding: gzip .*\?limit=/,
    );
  }, 120_000);

  it('reads every span exactly once in pages of the suggested size without gzip', async () => {
    // Prepare
    const suggested = JSON.parse(await (await get('', 'identity')).text()).suggestedLimit as number;
    const read: Span[] = [];
    let cursor: string | undefined;
    let pages = 0;

    // Act
    do {
      const response = await get(`?limit=${suggested}${cursor ? `&cursor=${cursor}` : ''}`, 'identity');
      expect(response.status).toBe(200);
      const body = JSON.parse(await response.text());
      read.push(...decodeTraceRequestObject(body));
      cursor = body.page.next;
      pages++;
    } while (cursor);

    // Assess
    expect(pages).toBe(Math.ceil(SPANS / suggested));
    expect(read).toHaveLength(SPANS);
    expect(ids(read)).toEqual(ids(spans));
  }, 120_000);
});
