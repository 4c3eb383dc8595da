/**
 * The local stand-in for Lambda's Kinesis event source mapping: reads every shard of a stream with
 * GetShardIterator/GetRecords and invokes a handler with the same event shape and the same batching
 * and error behaviour, so the sampler runs locally exactly as it runs in AWS.
 *
 *   - one batch in flight per shard, or with a `parallelizationFactor` above 1 one per batcher: the
 *     batch read is split by a hash of each record's partition key into that many batches invoked at
 *     once, so a key's records stay in order on one batcher while several keys may share one (as
 *     the mapping does; its hash is not documented, so tests may choose it with `batcherOf`); the
 *     shard's checkpoint moves only once every batcher has finished;
 *   - a child shard starts only after its parents are fully processed (shard lineage, as the mapping
 *     guarantees ordering across a reshard);
 *   - a batch is invoked when it holds `batchSize` records, when `batchingWindowMs` has passed since
 *     its first record was read, or when a closed shard has no more records;
 *   - ReportBatchItemFailures: the lowest reported sequence number is the checkpoint; records before
 *     it are done, the rest are retried (an unknown or empty identifier fails the whole batch);
 *   - on a function error, with bisectOnError, a batch of several records is split in two and each
 *     half retried without spending a retry; otherwise the batch is retried up to
 *     `maxRetryAttempts` times, then handed to `onFailure` with its records and payloads (like an
 *     S3 on-failure destination) and skipped;
 *   - the checkpoint of each shard (last sequence number done, or shard end) is saved after every
 *     batch, so a restarted poller resumes where it stopped.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { type Logger, silentLogger } from '../lambdas/shared/log.ts';
import { CheckpointError } from './errors.ts';

/** A shard's progress: the last sequence number done, or SHARD_END once a closed shard is finished. */
export const SHARD_END = 'SHARD_END';

export interface CheckpointStore {
  load(): Promise<Map<string, string>>;
  save(shardId: string, checkpoint: string): Promise<void>;
}

export function memoryCheckpointStore(initial: Iterable<[string, string]> = []): CheckpointStore {
  const checkpoints = new Map(initial);
  return {
    load: async () => new Map(checkpoints),
    save: async (shardId, checkpoint) => {
      checkpoints.set(shardId, checkpoint);
    },
  };
}

/** Checkpoints in a JSON file, replaced atomically (write, then rename) so a crash never corrupts it. */
export function fileCheckpointStore(path: string): CheckpointStore {
  let checkpoints: Map<string, string> | undefined;
  return {
    async load() {
      if (!existsSync(path)) {
        checkpoints = new Map();
        return new Map();
      }
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new Error('not a JSON object');
        const entries = Object.entries(parsed as Record<string, unknown>);
        if (entries.some(([, v]) => typeof v !== 'string')) throw new Error('values must be strings');
        checkpoints = new Map(entries as Array<[string, string]>);
        return new Map(checkpoints);
      } catch (error) {
        throw new CheckpointError(path, (error as Error).message, { cause: error });
      }
    },
    async save(shardId, checkpoint) {
      checkpoints ??= new Map();
      checkpoints.set(shardId, checkpoint);
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(checkpoints), null, 2)}\n`);
      renameSync(temporary, path);
    },
  };
}

/** A batch the poller gave up on: what an S3 on-failure destination receives. */
export interface FailedBatch {
  readonly shardId: string;
  readonly attempts: number;
  readonly error: string;
  readonly records: KinesisStreamEvent['Records'];
}

export interface PollerOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;
  /** Records per batch (the mapping's BatchSize). */
  readonly batchSize?: number;
  /** The mapping's MaximumBatchingWindowInSeconds, in ms. */
  readonly batchingWindowMs?: number;
  /** The mapping's ParallelizationFactor: batches of one shard invoked at once. @default 1 */
  readonly parallelizationFactor?: number;
  /** Which of the `parallelizationFactor` batchers a partition key's records go to. @default a hash */
  readonly batcherOf?: (partitionKey: string, parallelizationFactor: number) => number;
  readonly bisectOnError?: boolean;
  readonly reportBatchItemFailures?: boolean;
  readonly maxRetryAttempts?: number;
  readonly onFailure?: (batch: FailedBatch) => Promise<void>;
  readonly checkpoints?: CheckpointStore;
  /** How often an idle shard is read and the shard list refreshed. */
  readonly pollIntervalMs?: number;
  readonly region?: string;
  readonly logger?: Logger;
}

export interface PollerStats {
  invocations: number;
  recordsDelivered: number;
  recordsDone: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  bisections: number;
  recordsSentToFailureDestination: number;
  shardsFinished: number;
}

export interface Poller {
  readonly stats: Readonly<PollerStats>;
  /** Stops reading; resolves once the batches in flight have finished and been checkpointed. */
  stop(): Promise<void>;
  /** Resolves when every shard has had nothing new for one poll (for tests and scripts). */
  caughtUp(): Promise<void>;
}

interface ShardWorker {
  readonly shardId: string;
  done: Promise<void>;
  /** Nothing buffered and the last read returned nothing. */
  idle: boolean;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How batches are delivered: the event source mapping's settings that shape retries. */
export interface DeliveryOptions {
  readonly handler: PollerOptions['handler'];
  readonly bisectOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly maxRetryAttempts: number;
  readonly onFailure?: (batch: FailedBatch) => Promise<void>;
  readonly eventSourceArn: string;
  readonly region: string;
  readonly stats: PollerStats;
  readonly logger: Logger;
}

export function emptyStats(): PollerStats {
  return {
    invocations: 0,
    recordsDelivered: 0,
    recordsDone: 0,
    functionErrors: 0,
    partialFailures: 0,
    retries: 0,
    bisections: 0,
    recordsSentToFailureDestination: 0,
    shardsFinished: 0,
  };
}

/** The Lambda event for records of one shard, exactly as the event source mapping builds it. */
export function kinesisEventOf(
  shardId: string,
  records: readonly KinesisRecord[],
  eventSourceArn: string,
  region: string,
): KinesisStreamEvent {
  return {
    Records: records.map((r) => ({
      awsRegion: region,
      eventID: `${shardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: eventSourceArn,
      eventVersion: '1.0',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local-poller',
      kinesis: {
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey ?? '',
        sequenceNumber: r.SequenceNumber as string,
      },
    })),
  };
}

/**
 * Delivers one batch until it is done or given up on, calling `checkpoint` with the last sequence
 * number done each time progress is made. Failures are handled here, never thrown (except by
 * `checkpoint` or `onFailure` themselves).
 */
export async function deliverBatch(
  shardId: string,
  batch: readonly KinesisRecord[],
  options: DeliveryOptions,
  checkpoint: (sequenceNumber: string) => Promise<void>,
  attempt = 0,
): Promise<void> {
  if (batch.length === 0) return;
  const { stats } = options;
  const toEvent = (records: readonly KinesisRecord[]) =>
    kinesisEventOf(shardId, records, options.eventSourceArn, options.region);
  stats.invocations++;
  stats.recordsDelivered += batch.length;
  let failedAt = -1;
  let error: string | undefined;
  try {
    const response = await options.handler(toEvent(batch));
    const failures = options.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
    if (failures.length > 0) {
      const positions = failures.map((f) => batch.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
      // An identifier that names no record of the batch fails the whole batch, as in Lambda.
      failedAt = positions.some((p) => p < 0) ? 0 : Math.min(...positions);
      error = `batch item failure at ${batch[failedAt]?.SequenceNumber}`;
      stats.partialFailures++;
    }
  } catch (thrown) {
    stats.functionErrors++;
    error = `${(thrown as Error).name}: ${(thrown as Error).message}`;
    if (options.bisectOnError && batch.length > 1) {
      // Splitting does not spend a retry.
      stats.bisections++;
      const half = batch.length >> 1;
      await deliverBatch(shardId, batch.slice(0, half), options, checkpoint, attempt);
      await deliverBatch(shardId, batch.slice(half), options, checkpoint, attempt);
      return;
    }
    failedAt = 0;
  }
  if (failedAt < 0) {
    stats.recordsDone += batch.length;
    await checkpoint(batch[batch.length - 1]?.SequenceNumber as string);
    return;
  }
  if (failedAt > 0) {
    stats.recordsDone += failedAt;
    await checkpoint(batch[failedAt - 1]?.SequenceNumber as string);
  }
  const rest = batch.slice(failedAt);
  if (attempt >= options.maxRetryAttempts) {
    stats.recordsSentToFailureDestination += rest.length;
    options.logger.log('warn', 'batch sent to the on-failure destination', {
      shardId,
      records: rest.length,
      error,
    });
    await options.onFailure?.({
      shardId,
      attempts: attempt + 1,
      error: error ?? 'unknown',
      records: toEvent(rest).Records,
    });
    await checkpoint(rest[rest.length - 1]?.SequenceNumber as string);
    return;
  }
  stats.retries++;
  await deliverBatch(shardId, rest, options, checkpoint, attempt + 1);
}

/** FNV-1a of the partition key: a stable spread of keys over batchers. */
export function batcherOfPartitionKey(partitionKey: string, parallelizationFactor: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < partitionKey.length; i++) {
    hash ^= partitionKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % parallelizationFactor;
}

function byBatcher(
  batch: readonly KinesisRecord[],
  factor: number,
  batcherOf: NonNullable<PollerOptions['batcherOf']>,
): KinesisRecord[][] {
  const batchers = new Map<number, KinesisRecord[]>();
  for (const record of batch) {
    const n = batcherOf(record.PartitionKey ?? '', factor);
    const records = batchers.get(n);
    if (records) records.push(record);
    else batchers.set(n, [record]);
  }
  return [...batchers.values()];
}

export async function startPoller(options: PollerOptions): Promise<Poller> {
  const batchSize = options.batchSize ?? 100;
  const windowMs = options.batchingWindowMs ?? 1000;
  const pollMs = options.pollIntervalMs ?? 250;
  const maxRetries = options.maxRetryAttempts ?? 3;
  const bisect = options.bisectOnError ?? true;
  const reportFailures = options.reportBatchItemFailures ?? true;
  const logger = options.logger ?? silentLogger;
  const store = options.checkpoints ?? memoryCheckpointStore();
  const checkpoints = await store.load();
  const arn = `arn:aws:kinesis:${options.region ?? 'us-east-1'}:000000000000:stream/${options.streamName}`;
  const stats = emptyStats();
  const workers = new Map<string, ShardWorker>();
  let stopping = false;
  let listedOnce = false;

  const checkpoint = async (shardId: string, value: string): Promise<void> => {
    checkpoints.set(shardId, value);
    await store.save(shardId, value);
  };

  const delivery: DeliveryOptions = {
    handler: options.handler,
    bisectOnError: bisect,
    reportBatchItemFailures: reportFailures,
    maxRetryAttempts: maxRetries,
    ...(options.onFailure ? { onFailure: options.onFailure } : {}),
    eventSourceArn: arn,
    region: options.region ?? 'us-east-1',
    stats,
    logger,
  };
  const factor = options.parallelizationFactor ?? 1;
  const batcherOf = options.batcherOf ?? batcherOfPartitionKey;
  const deliver = async (shardId: string, batch: readonly KinesisRecord[]): Promise<void> => {
    if (factor <= 1) {
      await deliverBatch(shardId, batch, delivery, (sequenceNumber) => checkpoint(shardId, sequenceNumber));
      return;
    }
    const batchers = byBatcher(batch, factor, batcherOf);
    // Progress inside one batcher must not move the shard's checkpoint past another's records.
    await Promise.all(batchers.map((records) => deliverBatch(shardId, records, delivery, async () => {})));
    await checkpoint(shardId, batch[batch.length - 1]?.SequenceNumber as string);
  };

  const runShard = async (shardId: string, worker: ShardWorker): Promise<void> => {
    const position = checkpoints.get(shardId);
    const { ShardIterator } = await options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: options.streamName,
        ShardId: shardId,
        ...(position
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    let iterator = ShardIterator;
    const buffer: KinesisRecord[] = [];
    let firstBufferedAt = 0;
    while (!stopping) {
      if (iterator && buffer.length < batchSize) {
        const page = await options.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize - buffer.length }),
        );
        const records = page.Records ?? [];
        if (records.length > 0 && buffer.length === 0) firstBufferedAt = Date.now();
        buffer.push(...records);
        iterator = page.NextShardIterator;
        worker.idle = records.length === 0 && buffer.length === 0;
      }
      const shardEnded = !iterator;
      const due =
        buffer.length >= batchSize ||
        (buffer.length > 0 && (shardEnded || Date.now() - firstBufferedAt >= windowMs));
      if (due) {
        const batch = buffer.splice(0, batchSize);
        await deliver(shardId, batch);
        if (buffer.length > 0) firstBufferedAt = Date.now();
        continue;
      }
      if (shardEnded && buffer.length === 0) {
        await checkpoint(shardId, SHARD_END);
        stats.shardsFinished++;
        worker.idle = true;
        return;
      }
      await delay(buffer.length > 0 ? Math.min(pollMs, windowMs) : pollMs);
    }
  };

  const startShard = (shardId: string): void => {
    const worker: ShardWorker = { shardId, idle: false, done: Promise.resolve() };
    workers.set(shardId, worker);
    worker.done = runShard(shardId, worker).catch((error: unknown) => {
      // Restarted from its checkpoint by the next shard listing.
      logger.log('error', 'shard reader stopped', { shardId, error });
      workers.delete(shardId);
    });
  };

  const finished = (shardId: string): boolean => checkpoints.get(shardId) === SHARD_END;

  /** Starts readers for shards whose parents are finished (or gone from the listing). */
  const refreshShards = async (): Promise<void> => {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await options.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: options.streamName }),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    const known = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (workers.has(id) || finished(id)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (p): p is string => p !== undefined && known.has(p),
      );
      if (parents.every(finished)) startShard(id);
    }
    listedOnce = true;
  };

  const supervisor = (async () => {
    while (!stopping) {
      try {
        await refreshShards();
      } catch (error) {
        logger.log('warn', 'could not list shards', { error });
      }
      await delay(pollMs);
    }
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      await supervisor;
      await Promise.all([...workers.values()].map((w) => w.done));
    },
    async caughtUp() {
      for (;;) {
        const all = [...workers.values()];
        if (listedOnce && all.every((w) => w.idle)) {
          // Confirm over one more poll: a reshard may have started new readers meanwhile.
          await delay(pollMs * 2);
          const again = [...workers.values()];
          if (again.length === all.length && again.every((w) => w.idle)) return;
        }
        await delay(pollMs);
      }
    },
  };
}
