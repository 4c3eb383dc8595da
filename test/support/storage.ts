/**
 * Test helpers for trace storage: spans built to the nanosecond, kept traces, and the DynamoDB
 * table and S3 bucket of a store on the local stand-ins (dynalite, s3rver) created from the same
 * layout constants the CDK uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  parseConfig,
  type TracesiftConfig,
  type TracesiftConfigInput,
} from '../../lambdas/shared/config/index.ts';
import type { BatchRef, KeptTrace, SamplingDecision } from '../../lambdas/shared/sampling/kept-trace.ts';
import {
  type Attributes,
  EMPTY_SCOPE,
  makeResource,
  type Resource,
  type Span,
  type SpanEvent,
  SpanKind,
  StatusCode,
} from '../../lambdas/shared/span/model.ts';
import {
  createTraceStore,
  entriesOfItem,
  isResourceItem,
  keyOfLine,
  parseManifest,
  readParquetRows,
  spansOf,
  storedTraceOf,
  type TraceItem,
  type TraceStore,
} from '../../lambdas/storage/index.ts';
import { type DynamoDbStandIn, startDynamoDbStandIn } from '../../local/standins/dynamodb.ts';
import { type S3StandIn, startS3StandIn } from '../../local/standins/s3.ts';
import { createTraceTable } from '../../local/trace-table.ts';

const resources = new Map<string, Resource>();

/** One Resource object per service, shared by its spans as an SDK's are. */
export function serviceResource(service: string, extra: Attributes = {}): Resource {
  const key = `${service}\u0000${JSON.stringify(extra)}`;
  let resource = resources.get(key);
  if (!resource) {
    resource = makeResource({ 'service.name': service, 'host.name': `${service}-host`, ...extra });
    resources.set(key, resource);
  }
  return resource;
}

export interface TestSpan {
  readonly trace?: string;
  readonly id: string;
  readonly parent?: string;
  readonly service?: string;
  readonly name?: string;
  readonly kind?: SpanKind;
  /** Start and end in ns, relative to BASE_NS. */
  readonly start: number;
  readonly end: number;
  readonly error?: boolean;
  readonly attributes?: Attributes;
  readonly events?: readonly SpanEvent[];
  readonly resource?: Resource;
}

export const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
/** 2026-11-24T12:00:00Z in ns: a fixed origin for hand-built traces. */
export const BASE_NS = 1_795_521_600_000_000_000n;
/**
 * The clock of tests over hand-built traces: one minute after BASE_NS. Stores, readers and
 * handlers get it injected, so a test reads and expires data as of the fixtures' own day,
 * whatever day it runs on.
 */
export const FIXTURE_NOW_MS = Number(BASE_NS / 1_000_000n) + 60_000;
export const fixtureClock = (): number => FIXTURE_NOW_MS;

/** 16 hex characters from a short label (`a` -> `000000000000000a`, `root` -> hex of its bytes). */
export function sid(label: string): string {
  return Buffer.from(label).toString('hex').padStart(16, '0').slice(-16);
}

export function testSpan(spec: TestSpan): Span {
  return {
    traceId: spec.trace ?? TRACE_A,
    spanId: sid(spec.id),
    parentSpanId: spec.parent ? sid(spec.parent) : '',
    traceState: '',
    flags: 1,
    name: spec.name ?? spec.id,
    kind: spec.kind ?? (spec.parent ? SpanKind.INTERNAL : SpanKind.SERVER),
    startTimeUnixNano: BASE_NS + BigInt(spec.start),
    endTimeUnixNano: BASE_NS + BigInt(spec.end),
    attributes: spec.attributes ?? {},
    droppedAttributesCount: 0,
    events: spec.events ?? [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: spec.error
      ? { code: StatusCode.ERROR, message: 'boom' }
      : { code: StatusCode.UNSET, message: '' },
    resource: spec.resource ?? serviceResource(spec.service ?? 'frontend'),
    scope: EMPTY_SCOPE,
  };
}

export const BASELINE: SamplingDecision = {
  keep: true,
  policy: 'baseline',
  probability: 0.25,
  threshold: 'c',
  reason: 'consistent probability 0.25',
};

export const ERRORS: SamplingDecision = {
  keep: true,
  policy: 'errors',
  probability: 1,
  threshold: '0',
  reason: 'span status ERROR',
};

export function keptTrace(spans: readonly Span[], options: Partial<KeptTrace> = {}): KeptTrace {
  return {
    traceId: spans[0]?.traceId ?? TRACE_A,
    spans,
    decision: BASELINE,
    late: false,
    firstArrivalMs: Number(BASE_NS / 1_000_000n) + 2_000,
    ...options,
  };
}

/**
 * The n-th batch of a shard: ten records, ranges of different n disjoint, as the ranges of
 * batches the event source mapping checkpointed are.
 */
export function batchRef(n: number, shard = 'shardId-000000000000'): BatchRef {
  const sequence = (i: number): string => `4963${String(i).padStart(52, '0')}`;
  return { shardId: shard, firstSequenceNumber: sequence(n * 10), lastSequenceNumber: sequence(n * 10 + 9) };
}

export function testConfig(input: TracesiftConfigInput = {}): TracesiftConfig {
  return parseConfig(input);
}

export interface StorageStandIns {
  readonly dynamo: DynamoDbStandIn;
  readonly s3: S3StandIn;
  readonly directory: string;
  readonly bucketName: string;
  close(): Promise<void>;
}

export async function startStorageStandIns(bucketName = 'tracesift-test'): Promise<StorageStandIns> {
  const directory = mkdtempSync(join(tmpdir(), 'tracesift-s3-'));
  const dynamo = await startDynamoDbStandIn();
  const s3 = await startS3StandIn({ directory, buckets: [bucketName] });
  return {
    dynamo,
    s3,
    directory,
    bucketName,
    close: async () => {
      await Promise.all([dynamo.close(), s3.close()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let tables = 0;

/** A fresh table on the stand-ins and a store over it and the bucket. */
export async function storeOnStandIns(
  standIns: StorageStandIns,
  config: TracesiftConfig = testConfig(),
): Promise<{ store: TraceStore; tableName: string; dynamodb: DynamoDBClient }> {
  const tableName = `traces-${++tables}-${process.pid}`;
  const dynamodb = standIns.dynamo.client();
  await createTraceTable(dynamodb, tableName);
  return { store: storeOnTable(standIns, dynamodb, tableName, config), tableName, dynamodb };
}

/** A store over an existing table and the stand-ins' bucket, as one more container would have. */
export function storeOnTable(
  standIns: StorageStandIns,
  dynamodb: DynamoDBClient,
  tableName: string,
  config: TracesiftConfig,
): TraceStore {
  return createTraceStore({
    dynamodb,
    s3: standIns.s3.client(),
    tableName,
    bucketName: standIns.bucketName,
    config,
    retry: { sleep: async () => {} },
    now: fixtureClock,
  });
}

/** Every object of the bucket under `prefix`, key -> bytes. */
export async function bucketObjects(
  client: S3Client,
  bucket: string,
  prefix = '',
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key as string;
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      out.set(
        key,
        await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** Every item of a table, sorted by key. */
/** The items of kept traces among `items` (their partition key is a trace id), without the search index's. */
export function keptTraceItems(items: readonly TraceItem[]): TraceItem[] {
  return items.filter((item) => /^[0-9a-f]{32}$/.test(item.trace_id?.S ?? ''));
}

export async function tableItems(client: DynamoDBClient, tableName: string): Promise<TraceItem[]> {
  const items: TraceItem[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((page.Items ?? []) as TraceItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  const key = (item: TraceItem): string => `${item.trace_id?.S}/${item.part?.S}`;
  return items.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** Rows of every Parquet data file of a table listed by its manifests. */
export async function tableRows(
  client: S3Client,
  bucket: string,
  table: 'spans' | 'traces' | 'edges',
): Promise<Record<string, unknown>[]> {
  const objects = await bucketObjects(client, bucket);
  const rows: Record<string, unknown>[] = [];
  for (const [key, body] of objects) {
    if (!key.startsWith(`tables/${table}/`)) continue;
    for (const line of parseManifest(Buffer.from(body).toString('utf8'))) {
      const dataKey = keyOfLine(bucket, line) as string;
      const data = objects.get(dataKey);
      if (!data) throw new Error(`manifest ${key} lists missing ${dataKey}`);
      rows.push(...(await readParquetRows(data)));
    }
  }
  return rows;
}

/**
 * Makes a client honour If-Match / If-None-Match on PutObject against s3rver, which ignores them
 * (S3 enforces them). Checked with a HeadObject just before the PUT: not atomic, but tests run
 * their writers one request at a time, so it behaves as S3 does. `beforeConditionalPut` runs
 * ahead of that check, where a test injects a competing writer.
 */
export function enforceConditionalWrites(
  client: S3Client,
  beforeConditionalPut: (key: string) => Promise<void> = async () => {},
): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; IfMatch?: string; IfNoneMatch?: string };
      if (context.commandName === 'PutObjectCommand' && (input.IfMatch || input.IfNoneMatch)) {
        await beforeConditionalPut(input.Key as string);
        let etag: string | undefined;
        try {
          etag = (await client.send(new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key }))).ETag;
        } catch {
          etag = undefined;
        }
        const fails = input.IfMatch ? etag !== input.IfMatch : etag !== undefined;
        if (fails)
          throw new S3ServiceException({
            name: 'PreconditionFailed',
            $fault: 'client',
            $metadata: { httpStatusCode: 412 },
            message: 'At least one of the pre-conditions you specified did not hold',
          });
      }
      return next(args);
    },
    { step: 'initialize', name: 'enforceConditionalWrites' },
  );
  return client;
}

/**
 * The services the search index lists per trace id (sorted), from a table's search items: their
 * union over every batch's entries, which batching and redelivery must not change.
 */
export function indexedServices(items: readonly TraceItem[]): Map<string, string[]> {
  const byTrace = new Map<string, Set<string>>();
  for (const item of items) {
    if (!(item.trace_id?.S ?? '').startsWith('search#')) continue;
    for (const entry of entriesOfItem(item)) {
      const services = byTrace.get(entry.traceId) ?? new Set<string>();
      services.add(entry.service);
      byTrace.set(entry.traceId, services);
    }
  }
  return new Map([...byTrace].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, set]) => [id, [...set].sort()]));
}

/**
 * The span ids stored per trace id, sorted, as trace-by-id reads them from a table's items (every
 * item of the table: the resource items the spans name are read with each trace).
 */
export function storedSpanIds(all: readonly TraceItem[]): Map<string, string[]> {
  const resources = all.filter(isResourceItem);
  const byTrace = new Map<string, TraceItem[]>();
  for (const item of keptTraceItems(all)) {
    const id = item.trace_id?.S as string;
    byTrace.set(id, [...(byTrace.get(id) ?? []), item]);
  }
  const spanIds = new Map<string, string[]>();
  for (const [id, list] of byTrace) {
    const stored = storedTraceOf(id, [...list, ...resources]);
    spanIds.set(
      id,
      stored
        ? spansOf(stored)
            .map((s) => s.spanId)
            .sort()
        : [],
    );
  }
  return spanIds;
}

/** Whether a BatchWriteItem input writes kept traces' items (partition key a trace id). */
export function writesKeptTraces(input: Record<string, unknown>): boolean {
  const tables = Object.values((input as { RequestItems?: Record<string, unknown[]> }).RequestItems ?? {});
  const first = tables[0]?.[0] as { PutRequest?: { Item?: Record<string, { S?: string }> } } | undefined;
  return /^[0-9a-f]{32}$/.test(first?.PutRequest?.Item?.trace_id?.S ?? '');
}
