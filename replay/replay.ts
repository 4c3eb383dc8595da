/**
 * Replay: puts the records of batches the sampler's event source mapping gave up on (its S3
 * on-failure destination) back on the trace stream, where the sampler decides them like any other.
 *
 * Idempotent: a batch is marked replayed (an object under REPLAYED_PREFIX) only once every record
 * is in the stream, and marked batches are skipped. A crash between the put and the mark puts the
 * batch again on the next run; the pipeline already absorbs that (the sampler removes duplicate
 * spans, and both stores keep a span once by its id).
 *
 * What is not replayed: wake-up records (they carry no spans and would only wake a shard) and
 * records that do not decode (poison: they would fail the sampler again); these are listed in the
 * report and the mark, and the object stays in the bucket until its lifecycle expires it.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeTraceRequest } from '../lambdas/shared/otlp/index.ts';
import { decodeRecord, RecordOrigin } from '../lambdas/shared/record/index.ts';
import { traceHashKeyOfHex } from '../lambdas/shared/routing/index.ts';
import { type PreparedRecord, putAllRecords } from '../lambdas/shared/stream/index.ts';
import { ReplayError, ReplayPutError } from './errors.ts';
import { type FailedBatch, type FailedRecord, parseInvocationRecord } from './invocation-record.ts';

/** Marks of replayed batches: `${REPLAYED_PREFIX}${key}.json`. */
export const REPLAYED_PREFIX = 'tracesift-replayed/';

export interface ReplayDeps {
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  /** The failed-batches bucket (locally the data bucket). */
  readonly bucket: string;
  /** Where the mapping writes its invocation records (in AWS `aws/lambda/`). */
  readonly prefix: string;
  readonly streamName: string;
  readonly now: () => number;
  /** How long the stream may refuse (throttle) a batch's records before the batch is reported failed. */
  readonly putDeadlineMs?: number;
}

export interface PoisonRecord {
  readonly sequenceNumber: string;
  readonly reason: string;
}

export interface BatchReplay {
  readonly key: string;
  readonly condition: string;
  /** Where the records came from: the invocation record's payload, or the stream by sequence range. */
  readonly source: 'payload' | 'stream';
  readonly recordsPut: number;
  readonly spansPut: number;
  readonly wakeUpsSkipped: number;
  readonly poison: readonly PoisonRecord[];
}

export interface ReplayReport {
  readonly replayed: readonly BatchReplay[];
  /** Batches marked replayed by an earlier run. */
  readonly alreadyReplayed: number;
  /** Batches that could not be replayed (unreadable, refused by the stream): run again or inspect. */
  readonly failed: ReadonlyArray<{ readonly key: string; readonly error: string }>;
}

/** What to put back for the records of one batch: pure, over the records' bytes. */
export interface ReplayPlan {
  readonly records: readonly PreparedRecord[];
  readonly wakeUpsSkipped: number;
  readonly poison: readonly PoisonRecord[];
}

export function planReplay(records: readonly FailedRecord[]): ReplayPlan {
  const prepared: PreparedRecord[] = [];
  const poison: PoisonRecord[] = [];
  let wakeUpsSkipped = 0;
  for (const record of records) {
    try {
      const { header, payload } = decodeRecord(record.data);
      if (header.origin === RecordOrigin.WAKE_UP) {
        wakeUpsSkipped++;
        continue;
      }
      // Routed as the record was: by its first trace (ingest and the sampler route it so).
      const traceId = header.traces[0]?.traceId ?? decodeTraceRequest(payload)[0]?.traceId;
      if (traceId === undefined) throw new ReplayError('the record holds no span');
      prepared.push({
        data: record.data,
        partitionKey: record.partitionKey,
        explicitHashKey: traceHashKeyOfHex(traceId).toString(),
        expectedShardId: undefined,
        spanCount: header.spanCount,
      });
    } catch (error) {
      poison.push({ sequenceNumber: record.sequenceNumber, reason: (error as Error).message });
    }
  }
  return { records: prepared, wakeUpsSkipped, poison };
}

export async function replayFailedBatches(
  deps: ReplayDeps,
  options: { dryRun: boolean },
): Promise<ReplayReport> {
  const keys = await listKeys(deps, deps.prefix);
  const marked = new Set(
    (await listKeys(deps, `${REPLAYED_PREFIX}${deps.prefix}`)).map((k) =>
      k.slice(REPLAYED_PREFIX.length, -'.json'.length),
    ),
  );
  const replayed: BatchReplay[] = [];
  const failed: Array<{ key: string; error: string }> = [];
  let alreadyReplayed = 0;
  for (const key of keys) {
    if (key.startsWith(REPLAYED_PREFIX)) continue;
    if (marked.has(key)) {
      alreadyReplayed++;
      continue;
    }
    try {
      replayed.push(await replayBatch(key, deps, options.dryRun));
    } catch (error) {
      failed.push({ key, error: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  return { replayed, alreadyReplayed, failed };
}

async function replayBatch(key: string, deps: ReplayDeps, dryRun: boolean): Promise<BatchReplay> {
  const batch = parseInvocationRecord(key, await readObject(deps, key));
  const records = batch.records ?? (await readRange(deps, batch));
  const plan = planReplay(records);
  const outcome = {
    key,
    condition: batch.condition,
    source: batch.records ? ('payload' as const) : ('stream' as const),
    recordsPut: plan.records.length,
    spansPut: plan.records.reduce((n, r) => n + r.spanCount, 0),
    wakeUpsSkipped: plan.wakeUpsSkipped,
    poison: plan.poison,
  };
  if (dryRun) return outcome;
  const put = await putAllRecords(deps.kinesis, plan.records, {
    streamName: deps.streamName,
    deadline: deps.now() + (deps.putDeadlineMs ?? 60_000),
    now: deps.now,
  });
  if (!put.ok) throw new ReplayPutError(key, put.recordsFailed, put.lastError);
  const mark = { replayedAtMs: deps.now(), ...outcome };
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: `${REPLAYED_PREFIX}${key}.json`,
      Body: JSON.stringify(mark),
      ContentType: 'application/json',
    }),
  );
  return outcome;
}

/** A batch whose invocation record carries no payload: its records, still in the stream's retention. */
async function readRange(deps: ReplayDeps, batch: FailedBatch): Promise<FailedRecord[]> {
  const end = BigInt(batch.endSequenceNumber);
  const { ShardIterator } = await deps.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: deps.streamName,
      ShardId: batch.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: batch.startSequenceNumber,
    }),
  );
  const records: FailedRecord[] = [];
  let iterator = ShardIterator;
  while (iterator) {
    const page = await deps.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const r of page.Records ?? []) {
      if (BigInt(r.SequenceNumber as string) > end) return records;
      records.push({
        sequenceNumber: r.SequenceNumber as string,
        partitionKey: r.PartitionKey ?? '',
        data: r.Data ?? new Uint8Array(),
      });
    }
    // Nothing more at the tip of the shard: the range is complete (or was trimmed, then short).
    if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) return records;
    iterator = page.NextShardIterator;
  }
  return records;
}

async function listKeys(deps: ReplayDeps, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function readObject(deps: ReplayDeps, key: string): Promise<string> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}
