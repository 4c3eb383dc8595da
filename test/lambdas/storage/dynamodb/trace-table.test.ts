/** TraceTable against aws-sdk-client-mock: batching, UnprocessedItems/Keys retries with backoff, throttling. */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deliveryOf,
  firstWriteItems,
  isResourceItem,
  type TraceItem,
} from '../../../../lambdas/storage/dynamodb/trace-items.ts';
import { TraceTable } from '../../../../lambdas/storage/dynamodb/trace-table.ts';
import { summarizeTrace } from '../../../../lambdas/storage/enrich/summary.ts';
import { TraceReadError, TraceWriteError } from '../../../../lambdas/storage/errors.ts';
import { BASELINE, FIXTURE_NOW_MS, fixtureClock, TRACE_A, testSpan } from '../../../support/storage.ts';

const dynamo = mockClient(DynamoDBClient);
afterEach(() => dynamo.reset());

const TABLE = 'traces';

function item(i: number, bytes = 100): TraceItem {
  return {
    trace_id: { S: i.toString(16).padStart(32, '0') },
    part: { S: 'trace' },
    spans: { B: new Uint8Array(bytes) },
  };
}

/** Sleeps recorded, never waited; random fixed at its maximum so delays equal their caps. */
function recordingRetry(maxAttempts = 5) {
  const sleeps: number[] = [];
  return {
    sleeps,
    retry: {
      maxAttempts,
      baseDelayMs: 10,
      maxDelayMs: 50,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => 0.999_999,
    },
  };
}

const throttled = () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });

describe('TraceTable.putItems', () => {
  it('sends 25 items per BatchWriteItem and reports the write units', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).resolves({});
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });
    const items = Array.from({ length: 51 }, (_, i) => item(i, i === 0 ? 3_000 : 100));
    // Act
    const { writeUnits } = await table.putItems(items);
    // Assess
    const sizes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes.sort()).toEqual([1, 25, 25]);
    expect(writeUnits).toBe(3 + 50);
  });

  it('retries exactly the unprocessed items, with growing jittered delays', async () => {
    // Prepare
    const items = [item(1), item(2), item(3)];
    const left = (xs: TraceItem[]): { UnprocessedItems: Record<string, WriteRequest[]> } => ({
      UnprocessedItems: { [TABLE]: xs.map((Item) => ({ PutRequest: { Item } })) },
    });
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce(left([items[1] as TraceItem, items[2] as TraceItem]))
      .resolvesOnce(left([items[2] as TraceItem]))
      .resolvesOnce({});
    const { retry, sleeps } = recordingRetry();
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry,
    });
    // Act
    await table.putItems(items);
    // Assess
    expect(dynamo).toReceiveCommandTimes(BatchWriteItemCommand, 3);
    expect(dynamo).toReceiveNthCommandWith(BatchWriteItemCommand, 3, {
      RequestItems: { [TABLE]: [{ PutRequest: { Item: items[2] } }] },
    });
    expect(sleeps).toEqual([9, 19]);
  });

  it('retries throttled requests and caps the delay', async () => {
    // Prepare
    dynamo
      .on(BatchWriteItemCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({});
    const { retry, sleeps } = recordingRetry(6);
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry,
    });
    // Act
    await table.putItems([item(1)]);
    // Assess
    expect(sleeps).toEqual([9, 19, 39, 49]);
  });

  it('fails with TraceWriteError naming the unwritten items when the attempts run out', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).resolves({
      UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: item(1) } }] },
    });
    const { retry } = recordingRetry(3);
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry,
    });
    // Act
    const result = table.putItems([item(1), item(2)]);
    // Assess
    await expect(result).rejects.toBeInstanceOf(TraceWriteError);
    await expect(result).rejects.toMatchObject({ unprocessedItems: 1, attempts: 3, tableName: TABLE });
    expect(dynamo).toReceiveCommandTimes(BatchWriteItemCommand, 3);
  });

  it('keeps the last throttling error as the cause when throttling outlasts the attempts', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejects(throttled());
    const { retry } = recordingRetry(2);
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry,
    });
    // Act
    const error = await table.putItems([item(1)]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TraceWriteError);
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('does not retry an error that retrying cannot fix', async () => {
    // Prepare
    dynamo
      .on(BatchWriteItemCommand)
      .rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry: recordingRetry().retry,
    });
    // Act, Assess
    await expect(table.putItems([item(1)])).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(dynamo).toReceiveCommandTimes(BatchWriteItemCommand, 1);
  });
});

describe('TraceTable.putItems refused as invalid', () => {
  const invalid = () =>
    new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      $metadata: {},
      message: 'Item size has exceeded the maximum allowed size',
    });
  const traceOf = (request: WriteRequest) => request.PutRequest?.Item?.trace_id?.S;

  it('writes a refused batch again trace by trace, storing the neighbours and naming the refused trace', async () => {
    // Prepare: DynamoDB refuses any request that carries trace 2
    const bad = item(2).trace_id?.S;
    dynamo.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
      if ((input.RequestItems[TABLE] ?? []).some((r) => traceOf(r) === bad)) throw invalid();
      return {};
    });
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });
    // Act
    const outcome = await table.putItems([item(1), item(2), item(3)]);
    // Assess
    expect([...outcome.rejected.keys()]).toEqual([bad]);
    expect(outcome.rejected.get(bad as string)).toContain('maximum allowed size');
    expect(outcome.writeUnits).toBe(2);
    const sent = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.map(traceOf));
    expect(sent).toEqual([
      [item(1), item(2), item(3)].map((i) => i.trace_id?.S),
      [item(1).trace_id?.S],
      [bad],
      [item(3).trace_id?.S],
    ]);
  });

  it('names the only trace of a refused batch without sending it again', async () => {
    // Prepare
    dynamo.on(BatchWriteItemCommand).rejects(invalid());
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });
    // Act
    const outcome = await table.putItems([item(7)]);
    // Assess
    expect([...outcome.rejected.keys()]).toEqual([item(7).trace_id?.S]);
    expect(outcome.writeUnits).toBe(0);
    expect(dynamo).toReceiveCommandTimes(BatchWriteItemCommand, 1);
  });
});

describe('TraceTable.keptDecisions', () => {
  const decisionItem = (id: string, expiresAt: number): TraceItem => ({
    trace_id: { S: id },
    policy: { S: 'latency' },
    probability: { N: '1' },
    threshold: { S: '0' },
    reason: { S: 'slow' },
    expires_at: { N: String(expiresAt) },
  });

  it('retries unprocessed keys and drops expired decisions (boundary: expiring now is expired)', async () => {
    // Prepare
    const now = 1_800_000_000_000;
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const c = 'c'.repeat(32);
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [decisionItem(a, now / 1000 + 1)] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ trace_id: { S: b }, part: { S: 'trace' } }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [decisionItem(b, now / 1000)] } });
    const { retry } = recordingRetry();
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, retry, now: () => now });
    // Act
    const decisions = await table.keptDecisions([a, b, c, a]);
    // Assess
    expect([...decisions.keys()]).toEqual([a]);
    expect(dynamo).toReceiveNthCommandWith(BatchGetItemCommand, 1, {
      RequestItems: {
        [TABLE]: expect.objectContaining({
          Keys: [a, b, c].map((id) => ({ trace_id: { S: id }, part: { S: 'trace' } })),
        }),
      },
    });
  });

  it('asks for at most 100 keys per request', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });
    const ids = Array.from({ length: 250 }, (_, i) => i.toString(16).padStart(32, '0'));
    // Act
    await table.keptDecisions(ids);
    // Assess
    const sizes = dynamo
      .commandCalls(BatchGetItemCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(sizes.sort()).toEqual([100, 100, 50]);
  });

  it('fails with TraceReadError when keys stay unprocessed', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({
      UnprocessedKeys: { [TABLE]: { Keys: [{ trace_id: { S: 'a'.repeat(32) }, part: { S: 'trace' } }] } },
    });
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry: recordingRetry(2).retry,
    });
    // Act
    const result = table.keptDecisions(['a'.repeat(32)]);
    // Assess
    await expect(result).rejects.toBeInstanceOf(TraceReadError);
    await expect(result).rejects.toMatchObject({ unprocessedKeys: 1, tableName: TABLE });
  });
});

describe('TraceTable.traceItems', () => {
  it('follows LastEvaluatedKey through every page and retries a throttled page', async () => {
    // Prepare
    const page2Key = { trace_id: { S: 'x' }, part: { S: 'spans#0001' } };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(1)], LastEvaluatedKey: page2Key })
      .rejectsOnce(throttled())
      .resolvesOnce({ Items: [item(2)] });
    const table = new TraceTable({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: fixtureClock,
      retry: recordingRetry().retry,
    });
    // Act
    const items = await table.traceItems('x', true);
    // Assess
    expect(items).toEqual([item(1), item(2)]);
    expect(dynamo).toReceiveNthCommandWith(QueryCommand, 3, {
      ExclusiveStartKey: page2Key,
      ConsistentRead: true,
    });
  });
});

/** A first write of a trace of two services: its trace item and its two resource items. */
function writtenTrace(): { traceItem: TraceItem; resources: TraceItem[] } {
  const spans = [
    testSpan({ id: 'root', service: 'frontend', start: 0, end: 10 }),
    testSpan({ id: 'db', parent: 'root', service: 'orders', start: 1, end: 2 }),
  ];
  const items = firstWriteItems(
    summarizeTrace(TRACE_A, spans, BASELINE, FIXTURE_NOW_MS),
    spans,
    deliveryOf({ shardId: 'shardId-000000000000', firstSequenceNumber: '1', lastSequenceNumber: '2' }),
    1_800_000_000,
  );
  return {
    traceItem: items.find((i) => !isResourceItem(i)) as TraceItem,
    resources: items.filter(isResourceItem),
  };
}

describe('TraceTable.traceItems and resources', () => {
  it('reads the resource items a trace names with it, and a second time from memory', async () => {
    // Prepare
    const { traceItem, resources } = writtenTrace();
    dynamo.on(QueryCommand).resolves({ Items: [traceItem] });
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: resources } });
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });

    // Act
    const first = await table.traceItems(TRACE_A, true);
    const second = await table.traceItems(TRACE_A, false);

    // Assess
    expect(first).toEqual([traceItem, ...resources]);
    expect(second).toEqual(first);
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
    const request = dynamo.commandCalls(BatchGetItemCommand)[0]?.args[0].input.RequestItems?.[TABLE];
    expect(request?.ConsistentRead).toBe(true);
    expect(request?.Keys?.map((k) => k.trace_id?.S).sort()).toEqual(
      resources.map((r) => r.trace_id?.S).sort(),
    );
    expect(request?.Keys?.map((k) => k.part?.S)).toEqual(['resource', 'resource']);
  });
});

describe('TraceTable.putResources', () => {
  it('puts each resource unless a later-expiring copy is stored, and counts its write units', async () => {
    // Prepare: the second put finds a copy that expires later
    const { resources } = writtenTrace();
    dynamo
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'later copy', $metadata: {} }));
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });

    // Act
    const units = await table.putResources(resources);

    // Assess
    expect(units).toBe(2);
    expect(dynamo).toReceiveCommandWith(PutItemCommand, {
      ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :ttl',
      ExpressionAttributeValues: { ':ttl': resources[0]?.expires_at as TraceItem[string] },
    });
  });

  it('fails on any other refusal', async () => {
    // Prepare
    const { resources } = writtenTrace();
    dynamo.on(PutItemCommand).rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    const table = new TraceTable({ client: new DynamoDBClient({}), tableName: TABLE, now: fixtureClock });

    // Act
    const put = table.putResources(resources);

    // Assess
    await expect(put).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
