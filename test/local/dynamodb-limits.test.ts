/**
 * The DynamoDB stand-in refuses what DynamoDB refuses: an item over 400 KB, a table or index key
 * over its byte limit (dynalite alone accepts an index key of any length and counts characters),
 * the whole BatchWriteItem request, with a ValidationException.
 */
import {
  BatchWriteItemCommand,
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

beforeAll(async () => {
  standIn = await startDynamoDbStandIn();
  client = standIn.client();
  await createTraceTable(client, TABLE);
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
    ['an index partition key at 2048 bytes', true, item('a', { gsi_service: { S: bytesOf(2048) } })],
    ['an index partition key at 2049 bytes', false, item('b', { gsi_service: { S: bytesOf(2049) } })],
    ['a table sort key at 1024 bytes', true, { trace_id: { S: 'c' }, part: { S: bytesOf(1024) } }],
    ['a table sort key at 1025 bytes', false, { trace_id: { S: 'd' }, part: { S: bytesOf(1025) } }],
    ['a table partition key at 2049 bytes', false, { trace_id: { S: bytesOf(2049) }, part: { S: 'trace' } }],
    ['an item of exactly 400 KB (names and values)', true, itemOfSize('e', DYNAMODB_LIMITS.itemBytes)],
    ['an item one byte over 400 KB', false, itemOfSize('f', DYNAMODB_LIMITS.itemBytes + 1)],
  ])('PutItem with %s: accepted %s', async (_case, accepted, put) => {
    // Act
    const outcome = client.send(new PutItemCommand({ TableName: TABLE, Item: put }));
    // Assess
    if (accepted) await expect(outcome).resolves.toBeDefined();
    else await expect(outcome).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('refuses a whole BatchWriteItem when one of its items has an over-long index key', async () => {
    // Prepare
    const good = item('g');
    const bad = item('h', { gsi_service: { S: bytesOf(4_000) } });
    // Act
    const outcome = client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TABLE]: [{ PutRequest: { Item: good } }, { PutRequest: { Item: bad } }] },
      }),
    );
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ValidationException' });
    const stored = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { trace_id: { S: 'g' }, part: { S: 'trace' } } }),
    );
    expect(stored.Item).toBeUndefined();
  });
});
