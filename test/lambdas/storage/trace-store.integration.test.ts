/**
 * The store against the local stand-ins (dynalite, s3rver) through the real AWS SDK clients:
 * write then read back, the 400 KB item limit with a 20,000-span trace, redelivery, late fragments.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import {
  MAX_STORED_SERVICES,
  STORED_STRING_BYTES,
  type StoredSummary,
  TRUNCATION_MARKER,
} from '../../../lambdas/storage/dynamodb/bounds.ts';
import { decodeHead } from '../../../lambdas/storage/dynamodb/trace-head.ts';
import { itemSize, type TraceItem } from '../../../lambdas/storage/dynamodb/trace-items.ts';
import { readTrace } from '../../../lambdas/storage/dynamodb/trace-reader.ts';
import { TraceTable } from '../../../lambdas/storage/dynamodb/trace-table.ts';
import { createTraceSearch } from '../../../lambdas/storage/search/table-search.ts';
import {
  BASE_NS,
  batchRef,
  bucketObjects,
  FIXTURE_NOW_MS,
  fixtureClock,
  keptTrace,
  keptTraceItems,
  type StorageStandIns,
  sid,
  startStorageStandIns,
  storeOnStandIns,
  storeOnTable,
  tableItems,
  tableRows,
  testConfig,
  testSpan,
} from '../../support/storage.ts';

/** Commands the client sends, by name, from now on. */
function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

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
    // Prepare: a store whose span cap admits the whole trace
    const { store, tableName, dynamodb } = await storeOnStandIns(
      standIns,
      testConfig({ sampling: { maxSpansPerTrace: 20_000 } }),
    );
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
    const all = await tableItems(dynamodb, tableName);
    const items = keptTraceItems(all);
    expect(items.length).toBeGreaterThan(2);
    expect(Math.max(...all.map(itemSize))).toBeLessThan(400 * 1024);
    const resources = all.filter((item) => (item.trace_id?.S ?? '').startsWith('resource#'));
    expect(report.items).toBe(items.length);
    expect(report.resourceItems).toBe(resources.length);
    expect(report.indexItems).toBe(all.length - items.length - resources.length - markersAndCounters(all));
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
    expect(keptTraceItems(first).map((i) => i.part?.S)).toEqual(['trace']);
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

  it('finds the trace by its root service through the search index, its items carrying no GSI keys', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = 'aaf7651916cd43dd8448eb211c80319c';
    await store.write([keptTrace(checkoutTrace(traceId))], batchRef(60));
    const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
    // Act
    const found = await createTraceSearch(table).findTraces(
      { service: 'frontend', tags: [], startNano: BASE_NS, endNano: BASE_NS + 1_000_000n, limit: 10 },
      FIXTURE_NOW_MS,
    );
    // Assess
    expect(found.traces.map((t) => t.summary.traceId)).toEqual([traceId]);
    const traceItems = (await tableItems(dynamodb, tableName)).filter((i) => i.trace_id?.S === traceId);
    expect(traceItems.flatMap((i) => Object.keys(i)).filter((name) => name.startsWith('gsi_'))).toEqual([]);
  });

  it('puts a resource once per container, again only for a trace outliving it, never shortening it', async () => {
    // Prepare: traces of the same services, the third arriving two days later
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const arrival = Number(BASE_NS / 1_000_000n);
    const ids = [
      '1bf7651916cd43dd8448eb211c80319c',
      '2bf7651916cd43dd8448eb211c80319c',
      '3bf7651916cd43dd8448eb211c80319c',
    ];
    const expiries = async () =>
      (await tableItems(dynamodb, tableName))
        .filter((i) => i.trace_id?.S?.startsWith('resource#'))
        .map((i) => Number(i.expires_at?.N));
    // Act
    const first = await store.writeWithReport(
      [keptTrace(checkoutTrace(ids[0] as string), { firstArrivalMs: arrival })],
      batchRef(100),
    );
    const again = await store.writeWithReport(
      [keptTrace(checkoutTrace(ids[1] as string), { firstArrivalMs: arrival })],
      batchRef(101),
    );
    const before = await expiries();
    const later = await store.writeWithReport(
      [keptTrace(checkoutTrace(ids[2] as string), { firstArrivalMs: arrival + 2 * 86_400_000 })],
      batchRef(102),
    );
    const after = await expiries();
    // Assess
    expect(first.resourceItems).toBe(before.length);
    expect(first.resourceWriteUnits).toBe(before.length);
    expect(again).toMatchObject({ resourceItems: 0, resourceWriteUnits: 0 });
    expect(later.resourceItems).toBe(before.length);
    expect(after.map((e, i) => e - (before[i] as number))).toEqual(before.map(() => 2 * 86_400));
    const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
    for (const id of ids) expect((await readTrace(table, id, FIXTURE_NOW_MS))?.spans.length).toBe(3);
  });

  it('never shortens a stored resource when another container puts it for an older trace', async () => {
    // Prepare: one container stores a trace arriving two days after another container's
    const config = testConfig();
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns, config);
    const other = storeOnTable(standIns, dynamodb, tableName, config);
    const arrival = Number(BASE_NS / 1_000_000n);
    await store.write(
      [
        keptTrace(checkoutTrace('4bf7651916cd43dd8448eb211c80319c'), {
          firstArrivalMs: arrival + 2 * 86_400_000,
        }),
      ],
      batchRef(110),
    );
    const expiries = async () =>
      (await tableItems(dynamodb, tableName))
        .filter((i) => i.trace_id?.S?.startsWith('resource#'))
        .map((i) => Number(i.expires_at?.N));
    const before = await expiries();
    // Act
    const report = await other.writeWithReport(
      [keptTrace(checkoutTrace('5bf7651916cd43dd8448eb211c80319c'), { firstArrivalMs: arrival })],
      batchRef(111),
    );
    // Assess
    expect(report.resourceItems).toBe(before.length);
    expect(await expiries()).toEqual(before);
  });

  it('writes a late span to a new part, never rewriting the chunks or the spans of the first write', async () => {
    // Prepare: a trace too large to inline (several KB of incompressible attributes)
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = 'caf7651916cd43dd8448eb211c80319c';
    const spans = [testSpan({ trace: traceId, id: 'root', start: 0, end: 5_000 })];
    for (let i = 0; i < 200; i++)
      spans.push(
        testSpan({
          trace: traceId,
          id: `c${i}`,
          parent: 'root',
          start: i,
          end: i + 1,
          attributes: { d: digestOf(i) },
        }),
      );
    await store.write([keptTrace(spans)], batchRef(70));
    const before = await tableItems(dynamodb, tableName);
    const late = testSpan({ trace: traceId, id: 'late', parent: 'root', start: 6_000, end: 6_001 });
    // Act
    const report = await store.writeWithReport([keptTrace([late], { late: true })], batchRef(71));
    // Assess: two items (the trace item, small, and the new part); the first write's chunks untouched
    const after = await tableItems(dynamodb, tableName);
    expect(report.items).toBe(2);
    expect(report.writeUnits).toBeLessThan(8);
    const chunks = (items: typeof before) => items.filter((i) => i.part?.S?.startsWith('spans#'));
    expect(chunks(before).length).toBeGreaterThan(0);
    expect(chunks(after)).toEqual(chunks(before));
    expect(after.find((i) => i.part?.S === 'trace')?.spans).toBeUndefined();
    const read = await readTrace(
      new TraceTable({ client: dynamodb, tableName, now: fixtureClock }),
      traceId,
      FIXTURE_NOW_MS,
    );
    expect(read?.spans.length).toBe(spans.length + 1);
    expect(read?.summary.spanCount).toBe(spans.length + 1);
  });

  it('drops late spans of a trace at its cap after reading its head only, and counts them', async () => {
    // Prepare: a store capped at 3 spans per trace, a trace stored whole with 3
    const config = testConfig({ sampling: { maxSpansPerTrace: 3 } });
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns, config);
    const traceId = 'daf7651916cd43dd8448eb211c80319c';
    await store.write([keptTrace(checkoutTrace(traceId))], batchRef(80));
    const itemsBefore = await tableItems(dynamodb, tableName);
    const commands = countCommands(dynamodb);
    const late = [1, 2].map((i) =>
      testSpan({ trace: traceId, id: `x${i}`, parent: 'root', start: i, end: i + 1 }),
    );
    // Act
    const report = await store.writeWithReport([keptTrace(late, { late: true })], batchRef(81));
    // Assess
    expect(report).toMatchObject({ lateSpansOverLimit: 2, lateSpans: 0, items: 0 });
    expect(commands.get('QueryCommand')).toBeUndefined();
    expect(commands.get('BatchWriteItemCommand')).toBeUndefined();
    expect(await tableItems(dynamodb, tableName)).toEqual(itemsBefore);
  });

  it('stores the neighbours of a trace DynamoDB refuses, and that trace as its summary alone, marked', async () => {
    // Prepare: DynamoDB refuses any request carrying the spans of one trace (a limit not modelled)
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const refused = 'eaf7651916cd43dd8448eb211c80319c';
    const neighbours = ['ebf7651916cd43dd8448eb211c80319c', 'ecf7651916cd43dd8448eb211c80319c'];
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as {
          RequestItems?: Record<string, { PutRequest?: { Item?: Record<string, { S?: string }> } }[]>;
        };
        const puts = Object.values(input.RequestItems ?? {}).flat();
        if (
          context.commandName === 'BatchWriteItemCommand' &&
          puts.some((p) => p.PutRequest?.Item?.trace_id?.S === refused && p.PutRequest.Item.spans)
        )
          throw new DynamoDBServiceException({
            name: 'ValidationException',
            $fault: 'client',
            $metadata: {},
            message: 'Item size has exceeded the maximum allowed size',
          });
        return next(args);
      },
      { step: 'initialize', name: 'refuseOneTrace' },
    );
    const table = new TraceTable({ client: dynamodb, tableName, now: fixtureClock });
    // Act
    const report = await store.writeWithReport(
      [refused, ...neighbours].map((id) => keptTrace(checkoutTrace(id))),
      batchRef(90),
    );
    // Assess
    expect(report).toMatchObject({ rejectedTraces: 1, rejectedSpans: 3 });
    for (const id of neighbours) expect((await readTrace(table, id, FIXTURE_NOW_MS))?.spans.length).toBe(3);
    const summaryOnly = await readTrace(table, refused, FIXTURE_NOW_MS);
    expect(summaryOnly?.spans).toEqual([]);
    expect(summaryOnly?.summary).toMatchObject({ spanCount: 3, truncated: ['spans'] });
    const item = (await tableItems(dynamodb, tableName)).find((i) => i.trace_id?.S === refused);
    expect(decodeHead(item?.head?.B ?? new Uint8Array()).trace?.rejectedReason).toContain(
      'Item size has exceeded',
    );
    const rows = await tableRows(standIns.s3.client(), standIns.bucketName, 'spans');
    expect(rows.filter((r) => r.trace_id === refused).length).toBe(3);
  });

  it('bounds the summary of a trace with a giant root name, a giant service and 120 services', async () => {
    // Prepare
    const { store, tableName, dynamodb } = await storeOnStandIns(standIns);
    const traceId = 'faf7651916cd43dd8448eb211c80319c';
    const service = 's'.repeat(4_000);
    const spans = [
      testSpan({ trace: traceId, id: 'root', service, name: 'n'.repeat(300_000), start: 0, end: 9 }),
    ];
    for (let i = 0; i < 120; i++)
      spans.push(
        testSpan({ trace: traceId, id: `s${i}`, parent: 'root', service: `service-${i}`, start: 1, end: 2 }),
      );
    // Act
    await store.write([keptTrace(spans)], batchRef(95));
    // Assess
    const read = await readTrace(
      new TraceTable({ client: dynamodb, tableName, now: fixtureClock }),
      traceId,
      FIXTURE_NOW_MS,
    );
    const summary = read?.summary as StoredSummary;
    expect(summary.truncated).toEqual(['root_name', 'root_service', 'services']);
    expect(Buffer.byteLength(summary.rootName)).toBeLessThanOrEqual(STORED_STRING_BYTES.rootName);
    expect(summary.rootName.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(summary.services.length).toBe(MAX_STORED_SERVICES);
    expect(summary.servicesOmitted).toBe(121 - MAX_STORED_SERVICES);
    expect(read?.spans.length).toBe(121);
    const found = await createTraceSearch(
      new TraceTable({ client: dynamodb, tableName, now: fixtureClock }),
    ).findTraces(
      {
        service,
        tags: [],
        startNano: BASE_NS - 3_600_000_000_000n,
        endNano: BASE_NS + 1_000_000_000n,
        limit: 10,
      },
      FIXTURE_NOW_MS,
    );
    expect(found.traces.map((t) => t.summary.traceId)).toEqual([traceId]);
  });
});

/** Dependency counters and their per-batch markers, written apart from the index items a report counts. */
function markersAndCounters(items: readonly TraceItem[]): number {
  return items.filter((item) => (item.trace_id?.S ?? '').startsWith('dependencies')).length;
}
