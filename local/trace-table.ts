/**
 * Creating the traces table on the DynamoDB stand-in exactly as lambdas/storage/layout/layout.ts
 * describes it (the CDK trace store construct builds the same table in AWS).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TRACE_TABLE } from '../lambdas/storage/index.ts';

export async function createTraceTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TRACE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TRACE_TABLE.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TRACE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TRACE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TRACE_TABLE.ttlAttribute, Enabled: true },
    }),
  );
}

/** Creates the table unless it exists (a restarted local pipeline keeps its data). */
export async function ensureTraceTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await createTraceTable(client, tableName);
  }
}
