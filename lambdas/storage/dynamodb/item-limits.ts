/**
 * DynamoDB's item limits, as AWS enforces them: an item of at most 400 KB counting attribute names
 * and values; a partition key value of at most 2048 bytes and a sort key value of at most 1024
 * bytes, for the table's keys and for every global secondary index's keys alike (a write whose
 * index key is too long is refused, it is not left out of the index). The writers check their items
 * against these before sending, and the local DynamoDB stand-in refuses what AWS refuses (dynalite
 * accepts over-long index keys), so tests see what AWS does.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export const DYNAMODB_LIMITS = {
  itemBytes: 400 * 1024,
  partitionKeyBytes: 2048,
  sortKeyBytes: 1024,
} as const;

/** Key attribute names of a table and its indexes: [partition key, sort key?] pairs. */
export interface KeySchemaNames {
  readonly keys: readonly { readonly partition: string; readonly sort?: string }[];
}

/** The DynamoDB size of an item (attribute names plus values), as limited and billed. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined)
    return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined)
    return (
      3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0)
    );
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + valueSize({ N: n }), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  return 0;
}

/** Why DynamoDB would refuse this item (its ValidationException message), or undefined. */
export function itemLimitViolation(
  item: Record<string, AttributeValue>,
  schema: KeySchemaNames,
): string | undefined {
  if (itemSize(item) > DYNAMODB_LIMITS.itemBytes) return 'Item size has exceeded the maximum allowed size';
  for (const { partition, sort } of schema.keys) {
    if (keyBytes(item[partition]) > DYNAMODB_LIMITS.partitionKeyBytes)
      return `One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of ${DYNAMODB_LIMITS.partitionKeyBytes} bytes (${partition})`;
    if (sort !== undefined && keyBytes(item[sort]) > DYNAMODB_LIMITS.sortKeyBytes)
      return `One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${DYNAMODB_LIMITS.sortKeyBytes} bytes (${sort})`;
  }
  return undefined;
}

function keyBytes(value: AttributeValue | undefined): number {
  if (!value) return 0;
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.B !== undefined) return value.B.length;
  if (value.N !== undefined) return valueSize(value);
  return 0;
}
