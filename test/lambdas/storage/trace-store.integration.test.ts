/**
 * The store against the local stand-ins (dynalite, s3rver) through the real AWS SDK clients:
 * write then read back, the 400 KB item limit with a 20,000-span trace, redelivery, late fragments.
 */
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { TRACE_TABLE } from '../../../lambdas/shared/storage/layout.ts';
import { itemSize } from '../../../lambdas/storage/trace-items.ts';
import { readTrace } from '../../../lambdas/storage/trace-reader.ts';
import { TraceTable } from '../../../lambdas/storage/trace-table.ts';
import {
  BASE_NS,
  batchRef,
  bucketObjects,
  FIXTURE_NOW_MS,
  fixtureClock,
  keptTrace,
  type StorageStandIns,
  sid,
  startStorageStandIns,
  storeOnStandIns,
  tableItems,
  tableRows,
  testSpan,
} from '../../support/storage.ts';

let standIns: StorageStandIns;

beforeAll(async () => {
  standIns = await startStorageStandIns();
});

afterAll(async () => {
  await standIns.close();
});

const byId = (a: Span, b: Span): number => (a.spanId < b.spanId ? -1 : 1);
const digestOf = (i: number): string => createHash('sha256').update(String(i)).digest('hex');

function checkoutTrace(traceId: string): Span[] {
  return [
    testSpan({
      trace: traceId,
      id: 'root',
      service: 'frontend',
      name: 'POST /checkout',
      start: 0,
      end: 1_000,
    }),
    testSpan({
      trace: traceId,
      id: 'pay',
      parent: 'root',
      service: 'payments',
      name: 'POST /charge',
      start: 100,
      end: 700,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 502,
        retry: true,
        ratio: 0.5,
      },
      events: [
        {
          timeUnixNano: BASE_NS + 650n,
          name: 'exception',
          attributes: { 'exception.type': 'Timeout' },
          droppedAttributesCount: 0,
        },
      ],
      error: true,
    }),
    testSpan({
      trace: traceId,
      id: 'db',
      parent: 'pay',
      service: 'postgres',
      name: 'INSERT',
      start: 200,
      end: 300,
    }),
  ];
}

describe('TraceStore on dynalite and s3rver', () => {
  it('reads back exactly the spans it wrote, with the summary', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spans = checkoutTrace(traceId);
    // Act
    await store.write([keptTrace(spans)], batchRef(1));
    const read = await readTrace(
      new TraceTable({ client: dynamodb, tableName, now: fixtureClock }),
      traceId,
      FIXTURE_NOW_MS,
    );
    // Assess
    expect([...(read?.spans ?? [])].sort(byId)).toEqual([...spans].sort(byId));
    expect(read?.summary).toMatchObject({
      spanCount: 3,
      errorCount: 1,
      rootService: 'frontend',
      durationNano: 1_000,
    });
  });

  it('stores a 20,000-span trace in chunks under the 400 KB item limit and reads it back whole', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = '1af7651916cd43dd8448eb211c80319c';
    const spans = [testSpan({ trace: traceId, id: 'root', start: 0, end: 30_000_000 })];
    for (let i = 0; i < 19_999; i++) {
      spans.push(
        testSpan({
          trace: traceId,
          id: `q${i}`,
          parent: 'root',
          service: 'orders',
          name: 'UPDATE shop.orders',
          start: i * 1_000 + 10,
          end: i * 1_000 + 900,
          // A digest per span: incompressible, so the trace needs several chunks as real ones do.
          attributes: {
            'db.query.text': `UPDATE orders SET state = $1 WHERE id = ${i}`,
            digest: digestOf(i),
          },
        }),
      );
    }
    // Act
    const report = await store.writeWithReport([keptTrace(spans)], batchRef(2));
    const read = await readTrace(
      new TraceTable({ client: dynamodb, tableName, now: fixtureClock }),
      traceId,
      FIXTURE_NOW_MS,
    );
    // Assess
    const items = await tableItems(dynamodb, tableName);
    expect(items.length).toBeGreaterThan(2);
    expect(Math.max(...items.map(itemSize))).toBeLessThan(400 * 1024);
    expect(report.items).toBe(items.length);
    expect(read?.spans.length).toBe(20_000);
    expect([...(read?.spans ?? [])].sort(byId)).toEqual([...spans].sort(byId));
  });

  it('leaves identical items and objects when a batch is delivered twice', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traces = [
      keptTrace(checkoutTrace('2af7651916cd43dd8448eb211c80319c')),
      keptTrace(checkoutTrace('3af7651916cd43dd8448eb211c80319c'), {
        firstArrivalMs: Number(BASE_NS / 1_000_000n) + 3_600_000,
      }),
    ];
    const s3 = standIns.s3.client();
    await store.write(traces, batchRef(3, 'shardId-redelivery'));
    const itemsBefore = await tableItems(dynamodb, tableName);
    const objectsBefore = await bucketObjects(s3, standIns.bucketName);
    // Act
    await store.write(traces, batchRef(3, 'shardId-redelivery'));
    // Assess
    expect(await tableItems(dynamodb, tableName)).toEqual(itemsBefore);
    expect(await bucketObjects(s3, standIns.bucketName)).toEqual(objectsBefore);
    const keys = [...objectsBefore.keys()].filter((k) => k.includes('redelivery'));
    expect(keys.filter((k) => k.startsWith('data/spans/')).length).toBe(2); // two hours, one file each
    expect(keys.filter((k) => k.startsWith('tables/spans/')).length).toBe(2);
  });

  it("keeps both lanes' files listed when two lanes of one shard write overlapping sequence ranges", async () => {
    // Prepare: lanes of one shard run at once; their batches' ranges interleave (101-199, 102-200)
    const { store } = await storeOnStandIns(standIns);
    const s3 = standIns.s3.client();
    const range = (first: number, last: number) => ({
      firstSequenceNumber: `4963${String(first).padStart(52, '0')}`,
      lastSequenceNumber: `4963${String(last).padStart(52, '0')}`,
    });
    const laneA = 'a1a7651916cd43dd8448eb211c80319c';
    const laneB = 'b1b7651916cd43dd8448eb211c80319c';
    // Act
    await store.write([keptTrace(checkoutTrace(laneA))], {
      shardId: 'shardId-lanes.lane-0',
      ...range(101, 199),
    });
    await store.write([keptTrace(checkoutTrace(laneB))], {
      shardId: 'shardId-lanes.lane-1',
      ...range(102, 200),
    });
    // Assess: neither lane's write reads as a retry of the other's; both traces' rows are listed
    const traceRows = (await tableRows(s3, standIns.bucketName, 'traces')).map((r) => r.trace_id);
    expect(traceRows).toEqual(expect.arrayContaining([laneA, laneB]));
  });

  it('merges a late fragment: whole trace by id, summary updated, new rows only, idempotent', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = '4af7651916cd43dd8448eb211c80319c';
    const [root, pay, db] = checkoutTrace(traceId) as [Span, Span, Span];
    const async = testSpan({
      trace: traceId,
      id: 'mail',
      parent: 'root',
      service: 'notifications',
      start: 1_500,
      end: 2_500,
    });
    await store.write([keptTrace([root, pay])], batchRef(10, 'shardId-late'));
    const late = keptTrace([pay, db, async], {
      late: true,
      firstArrivalMs: Number(BASE_NS / 1_000_000n) + 9_000_000,
    });
    const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
    // Act
    const report = await store.writeWithReport([late], batchRef(11, 'shardId-late'));
    const itemsAfter = await tableItems(dynamodb, tableName);
    const objectsAfter = await bucketObjects(standIns.s3.client(), standIns.bucketName);
    await store.write([late], batchRef(11, 'shardId-late'));
    // Assess
    expect(report.lateSpans).toBe(2);
    const read = await readTrace(table, traceId, FIXTURE_NOW_MS);
    expect([...(read?.spans ?? [])].sort(byId)).toEqual([root, pay, db, async].sort(byId));
    expect(read?.summary).toMatchObject({
      spanCount: 4,
      durationNano: 2_500,
      services: ['frontend', 'notifications', 'payments', 'postgres'],
    });
    expect(await tableItems(dynamodb, tableName)).toEqual(itemsAfter);
    expect(await bucketObjects(standIns.s3.client(), standIns.bucketName)).toEqual(objectsAfter);
    const spanRows = (await tableRows(standIns.s3.client(), standIns.bucketName, 'spans')).filter(
      (r) => r.trace_id === traceId,
    );
    expect(spanRows.map((r) => r.span_id).sort()).toEqual([root, pay, db, async].map((s) => s.spanId).sort());
    const lateRows = spanRows.filter((r) => r.span_id === sid('mail') || r.span_id === sid('db'));
    expect(lateRows.every((r) => r.trace_duration_nano === 2_500n)).toBe(true);
    // the late rows sit in the trace's own partition (its first arrival), not the fragment's hour
    const traceRows = (await tableRows(standIns.s3.client(), standIns.bucketName, 'traces')).filter(
      (r) => r.trace_id === traceId,
    );
    expect(traceRows.length).toBe(1);
    const spanKeys = [...objectsAfter.keys()].filter(
      (k) => k.startsWith('data/spans/') && k.includes('shardId-late'),
    );
    expect(new Set(spanKeys.map((k) => k.split('/').slice(2, 4).join('/'))).size).toBe(1);
  });

  it('writes a late fragment as a first write when its stored trace is missing or is its own earlier delivery', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = '5af7651916cd43dd8448eb211c80319c';
    const spans = checkoutTrace(traceId);
    const fragment = keptTrace(spans, { late: true });
    // Act
    await store.write([fragment], batchRef(20));
    const first = await tableItems(dynamodb, tableName);
    await store.write([fragment], batchRef(20));
    // Assess
    expect(first.map((i) => i.part?.S)).toEqual(['trace']);
    expect(await tableItems(dynamodb, tableName)).toEqual(first);
  });

  it('lists no Parquet file of an aborted (timed-out) attempt; its retry is read once', async () => {
    // Prepare
    const { store } = await storeOnStandIns(standIns);
    const traceId = '5bf7651916cd43dd8448eb211c80319c';
    const spans = checkoutTrace(traceId);
    const s3 = standIns.s3.client();
    const rowsOf = async () =>
      (await tableRows(s3, standIns.bucketName, 'spans')).filter((row) => row.trace_id === traceId);
    // Act: an attempt whose invocation already timed out, then its retry
    const aborted = store.write([keptTrace(spans)], batchRef(35), AbortSignal.abort());
    // Assess
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(await rowsOf()).toHaveLength(0);
    await store.write([keptTrace(spans)], batchRef(35));
    expect(await rowsOf()).toHaveLength(spans.length);
  });

  it('writes nothing for a late fragment whose spans are all stored already', async () => {
    // Prepare
    const { store } = await storeOnStandIns(standIns);
    const spans = checkoutTrace('6af7651916cd43dd8448eb211c80319c');
    await store.write([keptTrace(spans)], batchRef(30));
    // Act
    const report = await store.writeWithReport([keptTrace(spans.slice(0, 2), { late: true })], batchRef(31));
    // Assess
    expect(report).toMatchObject({ items: 0, objects: 0, spans: 0 });
  });

  it('answers kept decisions from the table, leaving out unknown and expired traces', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const kept = '7af7651916cd43dd8448eb211c80319c';
    const unknown = '8af7651916cd43dd8448eb211c80319c';
    await store.write([keptTrace(checkoutTrace(kept))], batchRef(40));
    const expiresAt = Number((await tableItems(dynamodb, tableName))[0]?.expires_at?.N) * 1000;
    // Act
    const now = await new TraceTable({ client: dynamodb, tableName, now: () => expiresAt - 1 }).keptDecisions(
      [kept, unknown],
    );
    const later = await new TraceTable({ client: dynamodb, tableName, now: () => expiresAt }).keptDecisions([
      kept,
    ]);
    // Assess
    expect([...now.keys()]).toEqual([kept]);
    expect(now.get(kept)).toEqual({
      keep: true,
      policy: 'baseline',
      probability: 0.25,
      threshold: 'c',
      reason: 'consistent probability 0.25',
    });
    expect(later.size).toBe(0);
  });

  it('does not return a trace whose items have expired but were not deleted yet', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = '9af7651916cd43dd8448eb211c80319c';
    await store.write([keptTrace(checkoutTrace(traceId))], batchRef(50));
    const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
    const expiresAt = Number((await tableItems(dynamodb, tableName))[0]?.expires_at?.N) * 1000;
    // Act
    const before = await readTrace(table, traceId, expiresAt - 1);
    const after = await readTrace(table, traceId, expiresAt);
    // Assess
    expect(before?.spans.length).toBe(3);
    expect(after).toBeUndefined();
  });

  it('indexes the trace item for the recent traces of its root service', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = 'aaf7651916cd43dd8448eb211c80319c';
    await store.write([keptTrace(checkoutTrace(traceId))], batchRef(60));
    const gsi = TRACE_TABLE.byServiceIndex;
    // Act
    const out = await dynamodb.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: gsi.name,
        KeyConditionExpression: '#s = :s AND #t >= :t',
        ExpressionAttributeNames: { '#s': gsi.partitionKey, '#t': gsi.sortKey },
        ExpressionAttributeValues: { ':s': { S: 'frontend' }, ':t': { N: String(BASE_NS / 1_000_000n) } },
      }),
    );
    // Assess
    expect(out.Items?.map((i) => i.trace_id?.S)).toEqual([traceId]);
    expect(out.Items?.[0]?.spans).toBeUndefined();
  });
});
