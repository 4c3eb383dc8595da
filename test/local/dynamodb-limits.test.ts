/**
 * The DynamoDB stand-in refuses what DynamoDB refuses: an item over 400 KB, a table or index key
 * over its byte limit (dynalite alone accepts an index key of any length and counts characters),
 * the whole BatchWriteItem request, with a ValidationException.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_LIMITS } from '../../lambdas/storage/index.ts';
import { type DynamoDbStandIn, startDynamoDbStandIn } from '../../local/standins/dynamodb.ts';
import { createTraceTable } from '../../local/trace-table.ts';

let standIn: DynamoDbStandIn;
let client: DynamoDBClient;
const TABLE = 'limits';
/** A table with a global secondary index: the traces table has none, but the stand-in keeps any. */
const INDEXED = 'limits-indexed';

beforeAll(async () => {
  standIn = await startDynamoDbStandIn();
  client = standIn.client();
  await createTraceTable(client, TABLE);
  await client.send(
    new CreateTableCommand({
      TableName: INDEXED,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'trace_id', AttributeType: 'S' },
        { AttributeName: 'part', AttributeType: 'S' },
        { AttributeName: 'gsi_service', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'trace_id', KeyType: 'HASH' },
        { AttributeName: 'part', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by_service',
          KeySchema: [{ AttributeName: 'gsi_service', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
});
afterAll(async () => {
  await standIn.close();
});

/** A string of exactly `bytes` UTF-8 bytes made of 3-byte characters (plus ASCII to fill). */
function bytesOf(bytes: number): string {
  return '\u20ac'.repeat(Math.floor(bytes / 3)) + 'x'.repeat(bytes % 3);
}

const item = (id: string, extra: Record<string, { S: string } | { B: Uint8Array }> = {}) => ({
  trace_id: { S: id },
  part: { S: 'trace' },
  ...extra,
});

/** An item of exactly `bytes` (attribute names and values), `id` one character long. */
function itemOfSize(id: string, bytes: number) {
  const names = 'trace_id'.length + 'part'.length + 'spans'.length;
  return item(id, { spans: { B: new Uint8Array(bytes - names - id.length - 'trace'.length) } });
}

describe('DynamoDB stand-in item limits', () => {
  it.each([
    ['an index partition key at 2048 bytes', INDEXED, true, item('a', { gsi_service: { S: bytesOf(2048) } })],
    [
      'an index partition key at 2049 bytes',
      INDEXED,
      false,
      item('b', { gsi_service: { S: bytesOf(2049) } }),
    ],
    ['a table sort key at 1024 bytes', TABLE, true, { trace_id: { S: 'c' }, part: { S: bytesOf(1024) } }],
    ['a table sort key at 1025 bytes', TABLE, false, { trace_id: { S: 'd' }, part: { S: bytesOf(1025) } }],
    [
      'a table partition key at 2048 bytes',
      TABLE,
      true,
      { trace_id: { S: bytesOf(2048) }, part: { S: 'trace' } },
    ],
    [
      'a table partition key at 2049 bytes',
      TABLE,
      false,
      { trace_id: { S: bytesOf(2049) }, part: { S: 'trace' } },
    ],
    ['an item of exactly 400 KB (names and values)', TABLE, true, itemOfSize('e', DYNAMODB_LIMITS.itemBytes)],
    ['an item one byte over 400 KB', TABLE, false, itemOfSize('f', DYNAMODB_LIMITS.itemBytes + 1)],
  ])('PutItem with %s (table %s): accepted %s', async (_case, table, accepted, put) => {
    // Act
    const outcome = client.send(new PutItemCommand({ TableName: table, Item: put }));
    // Assess
    if (accepted) await expect(outcome).resolves.toBeDefined();
    else await expect(outcome).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it.each([
    ['an over-long index key', INDEXED, item('h', { gsi_service: { S: bytesOf(4_000) } })],
    ['an over-long table key', TABLE, { trace_id: { S: 'h' }, part: { S: bytesOf(4_000) } }],
  ])('refuses a whole BatchWriteItem when one of its items has %s', async (_case, table, bad) => {
    // Prepare
    const good = item('g');
    // Act
    const outcome = client.send(
      new BatchWriteItemCommand({
        RequestItems: { [table]: [{ PutRequest: { Item: good } }, { PutRequest: { Item: bad } }] },
      }),
    );
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ValidationException' });
    const stored = await client.send(
      new GetItemCommand({ TableName: table, Key: { trace_id: { S: 'g' }, part: { S: 'trace' } } }),
    );
    expect(stored.Item).toBeUndefined();
  });
});
