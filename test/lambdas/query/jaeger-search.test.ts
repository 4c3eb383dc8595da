/**
 * Jaeger's GET /api/traces through the query handler: the search form over a recording search
 * index (the exact TraceQuery it builds, the envelope, notes, trimming, refusals) and the traceID
 * form over the trace table on dynalite.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../../lambdas/query/app.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { TraceTable } from '../../../lambdas/storage/index.ts';
import {
  batchRef,
  FIXTURE_NOW_MS,
  fixtureClock,
  keptTrace,
  type StorageStandIns,
  sid,
  startStorageStandIns,
  storeOnStandIns,
  testSpan,
} from '../../support/storage.ts';
import { type JaegerCall, jaegerEvent, jsonOf } from './jaeger-events.ts';
import { type CannedIndex, RecordingTraceSearch, storedTrace } from './search-stub.ts';

const TRACE = 'ab00000000000000000000000000cdef';
/** A 64-bit trace id: Jaeger names it by its 16 low hex characters. */
const SHORT = 'abcdef0123456789';
const SHORT_TRACE = `0000000000000000${SHORT}`;
const UNKNOWN = 'ab000000000000000000000000000404';
/** FIXTURE_NOW_MS in ns, and 2 days before it. */
const NOW_NS = BigInt(FIXTURE_NOW_MS) * 1_000_000n;
const TEN_MINUTES_NS = 600_000_000_000n;
const TWO_DAYS_NS = 172_800_000_000_000n;

const cartSpans = [
  testSpan({ trace: TRACE, id: 'root', service: 'frontend', name: 'GET /cart', start: 0, end: 2_000 }),
  testSpan({ trace: TRACE, id: 'db', parent: 'root', service: 'carts', start: 100, end: 900 }),
];
const shortSpans = [testSpan({ trace: SHORT_TRACE, id: 'root', name: 'GET /', start: 10, end: 20 })];

let standIns: StorageStandIns;
let table: TraceTable;
const lines: string[] = [];

beforeAll(async () => {
  standIns = await startStorageStandIns();
  const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
  await store.write([keptTrace(cartSpans), keptTrace(shortSpans)], batchRef(1));
  table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
});

afterAll(async () => {
  await standIns.close();
});

async function search(call: JaegerCall, index: CannedIndex = {}) {
  const recorder = new RecordingTraceSearch(index);
  const handler = createQueryHandler({
    table,
    search: recorder,
    now: fixtureClock,
    metrics: new Metrics({ sink: (line) => lines.push(line) }),
    logger: silentLogger,
  });
  const response = (await handler(jaegerEvent('/api/traces', call), {} as never)) as APIGatewayProxyResult;
  return { response, calls: recorder.calls };
}

interface Answer {
  data: { traceID: string; spans: { spanID: string; operationName: string }[] }[] | null;
  total: number;
  limit: number;
  offset: number;
  errors: { code?: number; msg: string; traceID?: string }[] | null;
}

const answerOf = (response: APIGatewayProxyResult) => jsonOf(response) as Answer;

describe('GET /api/traces: the search', () => {
  it('asks the index the exact query the parameters make, and answers the traces found, newest first', async () => {
    // Prepare
    const found = { traces: [storedTrace(cartSpans), storedTrace(shortSpans)], readUnits: 7, partial: false };

    // Act
    const { response, calls } = await search(
      {
        query: {
          service: 'frontend',
          operation: 'GET /cart',
          tags: '{"http.route":"/cart"}',
          tag: ['error:false', 'peer.service:carts:8080'],
          start: String((NOW_NS - TEN_MINUTES_NS) / 1000n),
          end: String(NOW_NS / 1000n),
          minDuration: '1ms',
          maxDuration: '2s',
          limit: '20',
          lookback: 'custom',
        },
      },
      { found },
    );

    // Assess
    expect(calls).toEqual([
      {
        method: 'findTraces',
        nowMs: FIXTURE_NOW_MS,
        query: {
          service: 'frontend',
          operation: 'GET /cart',
          tags: [
            ['error', 'false'],
            ['peer.service', 'carts:8080'],
            ['http.route', '/cart'],
          ],
          startNano: NOW_NS - TEN_MINUTES_NS,
          endNano: NOW_NS,
          minDurationNano: 1_000_000,
          maxDurationNano: 2_000_000_000,
          limit: 20,
        },
      },
    ]);
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response);
    expect({
      ...answer,
      data: answer.data?.map((t) => [t.traceID, t.spans[0]?.spanID, t.spans.length]),
    }).toEqual({
      data: [
        [TRACE, sid('root'), 2],
        [SHORT, sid('root'), 1],
      ],
      total: 2,
      limit: 0,
      offset: 0,
      errors: null,
    });
  });

  it('searches the last 2 days before now for 100 traces when told only the service', async () => {
    // Act
    const { calls } = await search({ query: { service: 'frontend' } });

    // Assess
    expect(calls).toEqual([
      {
        method: 'findTraces',
        nowMs: FIXTURE_NOW_MS,
        query: {
          service: 'frontend',
          tags: [],
          startNano: NOW_NS - TWO_DAYS_NS,
          endNano: NOW_NS,
          limit: 100,
        },
      },
    ]);
  });

  it('answers an unknown service with an empty list, not an error', async () => {
    // Act
    const { response } = await search({ query: { service: 'nobody' } });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(answerOf(response)).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
  });

  it('answers a search stopped at its read budget with what it found and a note without a code', async () => {
    // Act
    const { response } = await search(
      { query: { service: 'frontend' } },
      { found: { traces: [storedTrace(cartSpans)], readUnits: 500, partial: true } },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response);
    expect(answer.data?.map((t) => t.traceID)).toEqual([TRACE]);
    expect(answer.errors).toEqual([
      { msg: expect.stringMatching(/read budget: older matching traces may exist/) },
    ]);
  });

  it('leaves out a trace found without spans (it has no Jaeger form)', async () => {
    // Act
    const { response } = await search(
      { query: { service: 'frontend' } },
      { found: { traces: [{ ...storedTrace(cartSpans), spans: [] }, storedTrace(shortSpans)] } },
    );

    // Assess
    const answer = answerOf(response);
    expect(answer.data?.map((t) => t.traceID)).toEqual([SHORT]);
    expect(answer.total).toBe(1);
  });

  it('gzips the answer for a client that accepts it', async () => {
    // Act
    const { response } = await search(
      { query: { service: 'frontend' }, headers: { 'Accept-Encoding': 'gzip, deflate' } },
      { found: { traces: [storedTrace(cartSpans)] } },
    );

    // Assess
    expect(response.headers?.['content-encoding']).toBe('gzip');
    expect(answerOf(response).data?.map((t) => t.traceID)).toEqual([TRACE]);
  });

  it('leaves out the oldest traces of an answer over 6 MB rather than failing', async () => {
    // Prepare: eight traces of a 1.1 MB attribute, newest first: five fit
    const bulky = [8, 7, 6, 5, 4, 3, 2, 1].map((n) => {
      const trace = `ab0000000000000000000000000000${String(n).padStart(2, '0')}`;
      return storedTrace([
        testSpan({
          trace,
          id: 'root',
          start: n * 1_000,
          end: n * 1_000 + 1,
          attributes: { bulk: 'x'.repeat(1_100_000) },
        }),
      ]);
    });

    // Act
    const { response } = await search({ query: { service: 'frontend' } }, { found: { traces: bulky } });

    // Assess
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response);
    expect(answer.data?.map((t) => t.traceID.slice(-2))).toEqual(['08', '07', '06', '05', '04']);
    expect(answer.errors).toEqual([{ msg: expect.stringMatching(/^3 older traces left out/) }]);
  });

  it('answers HEAD with an empty body, after searching', async () => {
    // Act
    const { response, calls } = await search({ method: 'HEAD', query: { service: 'frontend' } });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(calls).toHaveLength(1);
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['no service', { operation: 'GET /cart' }, "parameter 'service' is required"],
    ['tags that are not JSON', { service: 's', tags: '{a:1}' }, "unable to parse param 'tags'"],
    ['a tag without a colon', { service: 's', tag: 'error' }, "unable to parse param 'tag'"],
    ['a start that is not an integer', { service: 's', start: 'yesterday' }, "unable to parse param 'start'"],
    ['a start after the end', { service: 's', start: '20', end: '10' }, "'start'"],
    ['a bad minDuration', { service: 's', minDuration: '5' }, "unable to parse param 'minDuration'"],
    [
      'a minDuration over the maxDuration',
      { service: 's', minDuration: '2s', maxDuration: '1s' },
      "'maxDuration'",
    ],
    ['a negative limit', { service: 's', limit: '-5' }, "unable to parse param 'limit'"],
    ['a bad trace id', { traceID: ['abc', 'xyz'] }, "unable to parse param 'traceID'"],
  ])('refuses %s with 400 and an error naming the parameter, searching nothing', async (_, query, msg) => {
    // Act
    const { response, calls } = await search({ query });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(answerOf(response)).toEqual({
      data: null,
      total: 0,
      limit: 0,
      offset: 0,
      errors: [{ code: 400, msg: expect.stringContaining(msg) }],
    });
    expect(calls).toEqual([]);
  });

  it('refuses POST with 405', async () => {
    // Act
    const { response } = await search({ method: 'POST', query: { service: 'frontend' } });

    // Assess
    expect(response.statusCode).toBe(405);
  });
});

describe('GET /api/traces?traceID=...', () => {
  it('answers the traces asked, in the order asked, naming each one not found in errors', async () => {
    // Act
    const { response, calls } = await search({ query: { traceID: [SHORT, UNKNOWN, TRACE.toUpperCase()] } });

    // Assess
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response);
    expect(answer.data?.map((t) => t.traceID)).toEqual([SHORT, TRACE]);
    expect(answer.total).toBe(2);
    expect(answer.errors).toEqual([{ msg: 'trace not found', traceID: UNKNOWN }]);
    expect(calls).toEqual([]);
  });

  it('answers an empty list when none is found', async () => {
    // Act
    const { response } = await search({ query: { traceID: [UNKNOWN, '404'] } });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(answerOf(response)).toEqual({
      data: [],
      total: 0,
      limit: 0,
      offset: 0,
      errors: [
        { msg: 'trace not found', traceID: UNKNOWN },
        { msg: 'trace not found', traceID: '0000000000000404' },
      ],
    });
  });
});

describe('metrics', () => {
  it('counts searches, their read units, partial ones, and the traces and spans read', async () => {
    // Prepare
    lines.length = 0;

    // Act
    await search(
      { query: { service: 'frontend' } },
      { found: { traces: [storedTrace(cartSpans), storedTrace(shortSpans)], readUnits: 42, partial: true } },
    );
    await search({ query: { traceID: [TRACE, UNKNOWN] } });

    // Assess
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        TraceSearches: 1,
        SearchReadUnits: 42,
        PartialTraceSearches: 1,
        TracesRead: 2,
        SpansRead: 3,
      }),
    );
    expect(records).toContainEqual(expect.objectContaining({ TracesRead: 1, SpansRead: 2 }));
    expect(records.filter((r) => 'TraceSearches' in r)).toHaveLength(1);
  });
});
