/**
 * Guard: no stage reads the wall clock where it decides, expires, partitions or compacts. The
 * wall clock is set 400 days past the fixtures' own day; the sampler, the store, the reader, the
 * trace-by-id API and compaction get the fixtures' clock injected and must behave exactly as on
 * that day. A stage that read `Date.now()` instead would see every trace as long expired (the
 * retention is 7 days) and fail here, as the store's tests failed on 2026-12-01.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compactClosedHours } from '../lambdas/compaction/compact.ts';
import { createQueryHandler } from '../lambdas/query/app.ts';
import { silentLogger } from '../lambdas/shared/log.ts';
import { Metrics } from '../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest } from '../lambdas/shared/otlp/index.ts';
import { createTraceSearch, readTrace, TraceTable } from '../lambdas/storage/index.ts';
import { generateWorkload } from '../workload/workload.ts';
import { startFaultPipeline } from './support/fault-pipeline.ts';
import {
  FIXTURE_NOW_MS,
  fixtureClock,
  type StorageStandIns,
  startStorageStandIns,
  storeOnStandIns,
  tableRows,
  testConfig,
} from './support/storage.ts';
import { wallClockMs } from './support/wall-clock.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const kinesis = mockClient(KinesisClient);
const workload = generateWorkload({ traces: 40, seed: 400, batchSize: 20, bigTraceRate: 0 });
const sent = workload.requests.flatMap((r) => decodeTraceRequest(r.protobuf));
const traceIds = [...new Set(sent.map((s) => s.traceId))];

let standIns: StorageStandIns;
let s3: S3Client;
let stored: Awaited<ReturnType<typeof storeOnStandIns>>;

beforeAll(async () => {
  const real = await startStorageStandIns('tracesift-clock');
  // s3rver runs in this process and checks request times against the faked Date, while Node's
  // http stamps responses with the real one; the SDK would 'correct' its clock to that header.
  standIns = { ...real, s3: { ...real.s3, client: () => withoutDateHeader(real.s3.client()) } };
  s3 = standIns.s3.client();
  stored = await storeOnStandIns(standIns);
  // Only Date is faked: timers, and so the stand-ins' sockets, run as usual.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(FIXTURE_NOW_MS + 400 * DAY_MS);
  // Act (shared by the tests): the real ingest and sampler, keeping every trace, into the store
  const pipeline = startFaultPipeline({
    kinesis,
    sink: stored.store,
    config: { sampling: { baselineProbability: 1 } },
  });
  for (const request of workload.requests)
    expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
  pipeline.advance(60_000);
  await pipeline.drain();
});

afterAll(async () => {
  vi.useRealTimers();
  kinesis.reset();
  await standIns.close();
});

/** Drops the response's Date header before the signer reads it to adjust the client's clock. */
function withoutDateHeader(client: S3Client): S3Client {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      delete (out.response as { headers: Record<string, string> }).headers.date;
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'withoutDateHeader' },
  );
  return client;
}

describe('with the wall clock 400 days past the fixtures', () => {
  it('the wall clock really is far away (the premise of every test below)', () => {
    expect(wallClockMs() - FIXTURE_NOW_MS).toBeGreaterThanOrEqual(400 * DAY_MS);
  });

  it('the sampler kept every trace and the store reads each back whole by id', async () => {
    const table = new TraceTable({ client: stored.dynamodb, tableName: stored.tableName, now: fixtureClock });
    for (const traceId of traceIds) {
      const read = await readTrace(table, traceId, FIXTURE_NOW_MS);
      expect(read?.spans.length, traceId).toBe(sent.filter((s) => s.traceId === traceId).length);
    }
  });

  it('GET /v1/traces/{id} answers 200 with the spans at the fixtures clock', async () => {
    const table = new TraceTable({ client: stored.dynamodb, tableName: stored.tableName, now: fixtureClock });
    const handler = createQueryHandler({
      table,
      search: createTraceSearch(table),
      now: fixtureClock,
      metrics: new Metrics({ sink: () => {} }),
      logger: silentLogger,
    });
    const traceId = traceIds[0] as string;
    const response = await handler(
      {
        httpMethod: 'GET',
        path: `/v1/traces/${traceId}`,
        pathParameters: { traceId },
      } as unknown as APIGatewayProxyEvent,
      {} as never,
    );
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { summary: { spanCount: number } };
    expect(body.summary.spanCount).toBe(sent.filter((s) => s.traceId === traceId).length);
  });

  it('compaction closes the fixtures hour by the injected clock and keeps every span once', async () => {
    const before = await tableRows(s3, standIns.bucketName, 'spans');
    const report = await compactClosedHours({
      s3,
      bucketName: standIns.bucketName,
      storage: testConfig().storage,
      // The fixtures' hour closes settleMinutes (90) after it ends: three hours after FIXTURE_NOW_MS.
      now: () => FIXTURE_NOW_MS + 3 * HOUR_MS,
      metrics: new Metrics({ sink: () => {} }),
      logger: silentLogger,
      retry: { sleep: async () => {} },
    });
    const after = await tableRows(s3, standIns.bucketName, 'spans');
    expect(report.compacted).toBeGreaterThan(0);
    expect(after.length).toBe(sent.length);
    expect(new Set(after.map((r) => `${r.trace_id}/${r.span_id}`)).size).toBe(before.length);
  });
});
