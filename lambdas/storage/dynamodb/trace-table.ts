/**
 * The DynamoDB `traces` table: batched writes with UnprocessedItems retried under backoff, the
 * items of a trace by Query, the decision cache the sampler consults for late spans, and the pages,
 * conditional puts and counters the search index (lambdas/storage/search) is made of.
 *
 * A write DynamoDB refuses as invalid (ValidationException: an item or key over its limit) fails
 * its whole BatchWriteItem of 25 items, other traces' included; such a batch is written again
 * trace by trace, so only the invalid trace is refused (putItems reports it) and its neighbours
 * are stored.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { DecisionLookup, SamplingDecision } from '../../shared/sampling/kept-trace.ts';
import { TraceReadError, TraceWriteError } from '../errors.ts';
import { TRACE_TABLE } from '../layout/layout.ts';
import { itemSize } from './item-limits.ts';
import {
  decisionOfItem,
  ITEM_ATTRIBUTES,
  isExpired,
  RESOURCE_PART,
  resourceKeysOf,
  type StoredHead,
  storedHeadOf,
  TRACE_PART,
  type TraceItem,
  writeUnits,
} from './trace-items.ts';

/** Backoff of retried batch requests: full jitter, exponential, capped (AWS architecture blog). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Errors after which the same request is worth sending again (throttling, transient faults). */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

const WRITE_BATCH = 25;
/** Resource items a table keeps read (about 1 KB each); past this many it starts afresh. */
const CACHED_RESOURCES = 5_000;
const VALIDATION = 'ValidationException';
const GET_BATCH = 100;
interface Projection {
  readonly expression: string;
  readonly names: Record<string, string>;
}
/** Projections read a version 2 item's head and a version 1 item's named attributes alike. */
const DECISION_PROJECTION: Projection = {
  expression: '#pk, #head, policy, probability, threshold, reason, expires_at',
  names: { '#pk': TRACE_TABLE.partitionKey, '#head': ITEM_ATTRIBUTES.head },
};
/** `batch` is a reserved word in DynamoDB expressions. */
const STORED_HEAD_PROJECTION: Projection = {
  expression: '#pk, #head, #batch, batch_range, late_batch, late_batch_range, span_count, stored_bytes',
  names: { '#pk': TRACE_TABLE.partitionKey, '#head': ITEM_ATTRIBUTES.head, '#batch': 'batch' },
};

/** What putItems stored: its write units, and the traces DynamoDB refused with the reason. */
export interface PutOutcome {
  readonly writeUnits: number;
  readonly rejected: ReadonlyMap<string, string>;
}

function keyOf(partitionKey: string, sortKey: string): TraceItem {
  return { [TRACE_TABLE.partitionKey]: { S: partitionKey }, [TRACE_TABLE.sortKey]: { S: sortKey } };
}

/** Requests grouped by trace id, in order. */
function byTrace(requests: readonly WriteRequest[]): Map<string, WriteRequest[]> {
  const groups = new Map<string, WriteRequest[]>();
  for (const request of requests) {
    const id = request.PutRequest?.Item?.[TRACE_TABLE.partitionKey]?.S ?? '';
    groups.set(id, [...(groups.get(id) ?? []), request]);
  }
  return groups;
}

function batchesOf(ids: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += GET_BATCH) batches.push(ids.slice(i, i + GET_BATCH));
  return batches;
}

/** A page of partitionPage. */
export interface PartitionPage {
  readonly items: TraceItem[];
  readonly readUnits: number;
  /** Where the next page starts; absent on the last page. */
  readonly next?: Record<string, AttributeValue>;
}

/** Numbers added to one item's attributes, and attributes set on it. */
export interface CounterUpdate {
  readonly key: TraceItem;
  readonly add: Readonly<Record<string, number>>;
  readonly set: Readonly<Record<string, AttributeValue>>;
}

export interface TraceTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Batch requests in flight at once. */
  readonly concurrency?: number;
  /** Clock (epoch ms) for expiry checks: injected, never read from the wall inside the store. */
  readonly now: () => number;
}

export class TraceTable implements DecisionLookup {
  private readonly client: DynamoDBClient;
  public readonly tableName: string;
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly now: () => number;
  /**
   * Resource items read, by key. A resource item's key is the hash of its content, so a copy never
   * goes stale: most traces name resources a warm container has read already.
   */
  private readonly resources = new Map<string, TraceItem>();

  public constructor(options: TraceTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.concurrency = options.concurrency ?? 8;
    this.now = options.now;
  }

  /**
   * Puts the items (25 per BatchWriteItem); resolves with the write units of the items stored and
   * the traces refused as invalid, whose other items may be stored or not.
   */
  public async putItems(items: readonly TraceItem[]): Promise<PutOutcome> {
    const rejected = new Map<string, string>();
    await inParallel(this.writeBatches(items), this.concurrency, (batch) =>
      this.writeIsolating(batch, rejected),
    );
    let units = 0;
    for (const item of items) {
      if (!rejected.has(item[TRACE_TABLE.partitionKey]?.S ?? '')) units += writeUnits(item);
    }
    return { writeUnits: units, rejected };
  }

  private writeBatches(items: readonly TraceItem[]): WriteRequest[][] {
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < items.length; i += WRITE_BATCH) {
      batches.push(items.slice(i, i + WRITE_BATCH).map((Item) => ({ PutRequest: { Item } })));
    }
    return batches;
  }

  /** Writes a batch; refused as invalid, writes it trace by trace and records the traces refused. */
  private async writeIsolating(requests: WriteRequest[], rejected: Map<string, string>): Promise<void> {
    try {
      await this.writeBatch(requests);
      return;
    } catch (error) {
      if ((error as Error).name !== VALIDATION) throw error;
      const groups = byTrace(requests);
      if (groups.size === 1) {
        rejected.set([...groups.keys()][0] as string, (error as Error).message);
        return;
      }
    }
    for (const [traceId, group] of byTrace(requests)) {
      try {
        await this.writeBatch(group);
      } catch (error) {
        if ((error as Error).name !== VALIDATION) throw error;
        rejected.set(traceId, (error as Error).message);
      }
    }
  }

  private async writeBatch(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      if (attempt > 1) await this.retry.sleep(this.backoff(attempt - 1));
      try {
        const out = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        const unprocessed = out.UnprocessedItems?.[this.tableName] ?? [];
        if (unprocessed.length === 0) return;
        pending = unprocessed;
        lastError = undefined;
      } catch (error) {
        if (!RETRYABLE.has((error as Error).name)) throw error;
        lastError = error;
      }
    }
    throw new TraceWriteError(
      this.tableName,
      pending.length,
      this.retry.maxAttempts,
      lastError ? { cause: lastError } : undefined,
    );
  }

  private backoff(retry: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.retry.random() * cap);
  }

  /**
   * All items of a trace (every page), expired ones included (callers decide), and the resource
   * items its spans name.
   */
  public async traceItems(traceId: string, consistent: boolean): Promise<TraceItem[]> {
    const items = await this.partitionItems(traceId, consistent);
    const missing: TraceItem[] = [];
    for (const key of resourceKeysOf(items)) {
      const cached = this.resources.get(key);
      if (cached) items.push(cached);
      else missing.push(keyOf(key, RESOURCE_PART));
    }
    for (let i = 0; i < missing.length; i += GET_BATCH) {
      for (const item of await this.getItems(missing.slice(i, i + GET_BATCH), consistent)) {
        if (this.resources.size >= CACHED_RESOURCES) this.resources.clear();
        this.resources.set(item[TRACE_TABLE.partitionKey]?.S ?? '', item);
        items.push(item);
      }
    }
    return items;
  }

  private async partitionItems(traceId: string, consistent: boolean): Promise<TraceItem[]> {
    const items: TraceItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.withRetry(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :id',
            ExpressionAttributeNames: { '#pk': TRACE_TABLE.partitionKey },
            ExpressionAttributeValues: { ':id': { S: traceId } },
            ConsistentRead: consistent,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      items.push(...((out.Items ?? []) as TraceItem[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Items of several traces, read concurrently. */
  public async tracesItems(
    traceIds: readonly string[],
    consistent: boolean,
  ): Promise<Map<string, TraceItem[]>> {
    const out = new Map<string, TraceItem[]>();
    await inParallel(traceIds, this.concurrency, async (id) => {
      out.set(id, await this.traceItems(id, consistent));
    });
    return out;
  }

  public async keptDecisions(traceIds: readonly string[]): Promise<ReadonlyMap<string, SamplingDecision>> {
    const decisions = new Map<string, SamplingDecision>();
    const now = this.now();
    await inParallel(batchesOf([...new Set(traceIds)]), this.concurrency, async (ids) => {
      for (const item of await this.getTraceItems(ids)) {
        if (isExpired(item, now)) continue;
        const id = item[TRACE_TABLE.partitionKey]?.S;
        const decision = id ? decisionOfItem(id, item) : undefined;
        if (id && decision) decisions.set(id, decision);
      }
    });
    return decisions;
  }

  /**
   * The head of each of `traceIds` already stored: the batches that first and last wrote it and
   * its extent (strongly consistent BatchGetItem of the trace items: one read unit per trace up to
   * 4 KB, which the inline limit keeps them under, nearly), expired ones included: the store merges
   * every fragment with what is there, whatever container decided it.
   */
  public async storedHeads(traceIds: readonly string[]): Promise<ReadonlyMap<string, StoredHead>> {
    const heads = new Map<string, StoredHead>();
    await inParallel(batchesOf([...new Set(traceIds)]), this.concurrency, async (ids) => {
      for (const item of await this.getTraceItems(ids, STORED_HEAD_PROJECTION, true)) {
        const id = item[TRACE_TABLE.partitionKey]?.S;
        if (id) heads.set(id, storedHeadOf(id, item));
      }
    });
    return heads;
  }

  /**
   * One page of the items of partition `key` (those whose sort key is in [range.from, range.to]
   * when a range is given), in sort key order (descending when asked), from `startKey`; with the
   * read units it cost (eventually consistent: half a unit per started 4 KB of the page).
   */
  public async partitionPage(
    key: string,
    options: {
      readonly range?: { readonly from: string; readonly to: string };
      readonly descending?: boolean;
      readonly startKey?: Record<string, AttributeValue>;
    } = {},
  ): Promise<PartitionPage> {
    const { range } = options;
    const out = await this.withRetry(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: range ? '#pk = :pk AND #sk BETWEEN :from AND :to' : '#pk = :pk',
          ExpressionAttributeNames: range
            ? { '#pk': TRACE_TABLE.partitionKey, '#sk': TRACE_TABLE.sortKey }
            : { '#pk': TRACE_TABLE.partitionKey },
          ExpressionAttributeValues: range
            ? { ':pk': { S: key }, ':from': { S: range.from }, ':to': { S: range.to } }
            : { ':pk': { S: key } },
          ScanIndexForward: !options.descending,
          ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
        }),
      ),
    );
    const items = (out.Items ?? []) as TraceItem[];
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    return {
      items,
      readUnits: Math.max(1, Math.ceil(bytes / 4096)) / 2,
      ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}),
    };
  }

  /** Puts `item` unless an item with its key exists; true when it was put. */
  public async putIfAbsent(item: TraceItem): Promise<boolean> {
    try {
      await this.withRetry(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TRACE_TABLE.partitionKey },
          }),
        ),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Puts resource items (trace-items.ts), `concurrency` at once, each unless one with its key expires
   * later already: two writers never shorten a resource's life. Resolves with the write units spent.
   */
  public async putResources(items: readonly TraceItem[]): Promise<number> {
    let units = 0;
    await inParallel(items, this.concurrency, async (item) => {
      units += writeUnits(item);
      try {
        await this.withRetry(() =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :ttl',
              ExpressionAttributeNames: { '#pk': TRACE_TABLE.partitionKey, '#ttl': TRACE_TABLE.ttlAttribute },
              ExpressionAttributeValues: { ':ttl': item[TRACE_TABLE.ttlAttribute] as AttributeValue },
            }),
          ),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    });
    return units;
  }

  /**
   * Adds to counter items (UpdateItem ADD, creating them), `concurrency` at once; resolves with the
   * write units spent (one per update: counter items stay under 1 KB).
   */
  public async addToCounters(updates: readonly CounterUpdate[]): Promise<number> {
    await inParallel(updates, this.concurrency, async (update) => {
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      const adds = Object.entries(update.add).map(([name, value], i) => {
        names[`#a${i}`] = name;
        values[`:a${i}`] = { N: String(value) };
        return `#a${i} :a${i}`;
      });
      const sets = Object.entries(update.set).map(([name, value], i) => {
        names[`#s${i}`] = name;
        values[`:s${i}`] = value;
        return `#s${i} = :s${i}`;
      });
      await this.withRetry(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: update.key,
            UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    });
    return updates.length;
  }

  /** Attributes of the trace items of `ids` (BatchGetItem, UnprocessedKeys retried). */
  private getTraceItems(
    ids: readonly string[],
    projection = DECISION_PROJECTION,
    consistent = false,
  ): Promise<TraceItem[]> {
    return this.getItems(
      ids.map((id) => keyOf(id, TRACE_PART)),
      consistent,
      projection,
    );
  }

  /** Items by key (BatchGetItem of at most GET_BATCH keys, UnprocessedKeys retried). */
  private async getItems(
    itemKeys: readonly TraceItem[],
    consistent: boolean,
    projection?: Projection,
  ): Promise<TraceItem[]> {
    const found: TraceItem[] = [];
    let keys = [...itemKeys];
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      if (attempt > 1) await this.retry.sleep(this.backoff(attempt - 1));
      let out: BatchGetItemCommandOutput;
      try {
        out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ConsistentRead: consistent,
                ...(projection
                  ? {
                      ProjectionExpression: projection.expression,
                      ExpressionAttributeNames: projection.names,
                    }
                  : {}),
              },
            },
          }),
        );
      } catch (error) {
        if (!RETRYABLE.has((error as Error).name)) throw error;
        continue;
      }
      found.push(...((out.Responses?.[this.tableName] ?? []) as TraceItem[]));
      const rest = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (rest.length === 0) return found;
      keys = rest as TraceItem[];
    }
    throw new TraceReadError(this.tableName, keys.length, this.retry.maxAttempts);
  }

  private async withRetry<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!RETRYABLE.has((error as Error).name) || attempt >= this.retry.maxAttempts) throw error;
        await this.retry.sleep(this.backoff(attempt));
      }
    }
  }
}

/** Runs `task` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
