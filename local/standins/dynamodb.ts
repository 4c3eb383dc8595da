/**
 * DynamoDB stand-in: dynalite in-process. dynalite has no UpdateTimeToLive and always describes
 * TTL as DISABLED (FACTS.md); this wrapper answers both calls so table setup code runs unchanged.
 * Expired items are never deleted by dynalite, which is why readers filter on `expires_at`.
 *
 * DynamoDB's item limits are enforced as AWS enforces them (item-limits.ts): dynalite accepts an
 * index key of any length and measures table keys in characters, not bytes, so this wrapper
 * refuses a PutItem or BatchWriteItem with an item over 400 KB or a table or index key over its
 * byte limit with a ValidationException, the whole request, as AWS does.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynamoDbClient } from '../../lambdas/shared/aws/clients.ts';
import { itemLimitViolation, type KeySchemaNames } from '../../lambdas/storage/index.ts';
import { guardServer, type StandInCredentials } from './credentials.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './kinesis.ts';
import { closeServer, listenOnLoopback } from './listen.ts';

export interface DynamoDbStandIn {
  readonly endpoint: string;
  readonly port: number;
  client(): DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynamoDbStandIn(
  options: { port?: number; path?: string; credentials?: StandInCredentials } = {},
): Promise<DynamoDbStandIn> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const [original] = server.listeners('request') as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  if (!original) throw new Error('dynalite has no request listener to wrap');
  const ttl = new Map<string, string>();
  let limits: ItemLimits | undefined;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.lastIndexOf('.') + 1);
    if (operation === 'UpdateTimeToLive' || operation === 'DescribeTimeToLive') {
      answerTtl(req, res, operation === 'UpdateTimeToLive', ttl);
    } else if (limits && LIMITED_OPERATIONS.has(operation)) {
      limits.check(operation, req, res, original);
    } else original(req, res);
  });
  if (options.credentials) guardServer(server, options.credentials, 'dynamodb');
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const port = await listenOnLoopback(server, options.port ?? 0, 'DynamoDB stand-in (dynalite)');
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () => dynamoDbClient({ endpoint, region: LOCAL_REGION, credentials });
  limits = new ItemLimits(client());
  return {
    endpoint,
    port,
    client,
    close: () => closeServer(server),
  };
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Operations whose items are checked, and those that define or drop a key schema. */
const LIMITED_OPERATIONS = new Set(['PutItem', 'BatchWriteItem', 'CreateTable', 'DeleteTable']);

/** Wire JSON of an attribute value: binary values are base64 strings. */
type WireValue = Record<string, unknown>;

/**
 * The key schema of every table (learnt from CreateTable, or asked with DescribeTable for a table
 * a persisted stand-in created earlier) and the item checks against it.
 */
class ItemLimits {
  private readonly schemas = new Map<string, KeySchemaNames>();
  private readonly client: DynamoDBClient;

  public constructor(client: DynamoDBClient) {
    this.client = client;
  }

  public check(operation: string, req: IncomingMessage, res: ServerResponse, next: Listener): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const replay = (): void => next(replayOf(req, body), res);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        replay(); // dynalite answers the malformed body as DynamoDB does
        return;
      }
      this.violation(operation, input).then(
        (message) => (message ? refuse(res, message) : replay()),
        () => replay(),
      );
    });
  }

  private async violation(operation: string, input: Record<string, unknown>): Promise<string | undefined> {
    const table = String(input.TableName ?? '');
    if (operation === 'CreateTable') {
      this.schemas.set(table, schemaOf(input as TableDescription));
      return undefined;
    }
    if (operation === 'DeleteTable') {
      this.schemas.delete(table);
      return undefined;
    }
    for (const [name, item] of putsOf(operation, input)) {
      const schema = await this.schemaOf(name);
      const message = schema && itemLimitViolation(itemOf(item), schema);
      if (message) return message;
    }
    return undefined;
  }

  private async schemaOf(table: string): Promise<KeySchemaNames | undefined> {
    const known = this.schemas.get(table);
    if (known) return known;
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: table }));
      if (!out.Table) return undefined;
      const schema = schemaOf(out.Table);
      this.schemas.set(table, schema);
      return schema;
    } catch {
      return undefined; // no such table: dynalite answers ResourceNotFoundException
    }
  }
}

/** The items a PutItem or BatchWriteItem request puts, with their table. */
function putsOf(operation: string, input: Record<string, unknown>): [string, Record<string, WireValue>][] {
  if (operation === 'PutItem')
    return [[String(input.TableName ?? ''), (input.Item ?? {}) as Record<string, WireValue>]];
  const requests = (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: object } }[]>;
  return Object.entries(requests).flatMap(([table, writes]) =>
    writes.flatMap((w) =>
      w.PutRequest?.Item ? [[table, w.PutRequest.Item as Record<string, WireValue>]] : [],
    ),
  ) as [string, Record<string, WireValue>][];
}

function schemaOf(table: TableDescription): KeySchemaNames {
  const pair = (keys: readonly KeySchemaElement[] | undefined) => {
    const partition = keys?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
    const sort = keys?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    return sort === undefined ? { partition } : { partition, sort };
  };
  return {
    keys: [
      pair(table.KeySchema),
      ...(table.GlobalSecondaryIndexes ?? []).map((index) => pair(index.KeySchema)),
      ...(table.LocalSecondaryIndexes ?? []).map((index) => pair(index.KeySchema)),
    ],
  };
}

/** An item from its wire JSON, binary values decoded (sizes count their bytes, not base64). */
function itemOf(wire: Record<string, WireValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(wire)) out[name] = attributeOf(value);
  return out;
}

function attributeOf(wire: WireValue): AttributeValue {
  if (typeof wire.B === 'string') return { B: Buffer.from(wire.B, 'base64') };
  if (Array.isArray(wire.BS)) return { BS: (wire.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  if (Array.isArray(wire.L)) return { L: (wire.L as WireValue[]).map(attributeOf) };
  if (wire.M && typeof wire.M === 'object') return { M: itemOf(wire.M as Record<string, WireValue>) };
  return wire as unknown as AttributeValue;
}

/** The request again, for dynalite's handler, which reads the body from its events. */
function replayOf(req: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.assign(Readable.from([body]), {
    headers: req.headers,
    method: req.method,
    url: req.url,
  }) as unknown as IncomingMessage;
}

function refuse(res: ServerResponse, message: string): void {
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message }));
}

function answerTtl(
  req: IncomingMessage,
  res: ServerResponse,
  update: boolean,
  ttl: Map<string, string>,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      TableName?: string;
      TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
    };
    const table = body.TableName ?? '';
    let payload: unknown;
    if (update) {
      const spec = body.TimeToLiveSpecification ?? {};
      if (spec.Enabled && spec.AttributeName) ttl.set(table, spec.AttributeName);
      else ttl.delete(table);
      payload = { TimeToLiveSpecification: spec };
    } else {
      const attribute = ttl.get(table);
      payload = {
        TimeToLiveDescription: attribute
          ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
          : { TimeToLiveStatus: 'DISABLED' },
      };
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(payload));
  });
}
