/**
 * Replay over the stand-ins (kinesalite, s3rver) with the real SDK clients: batches the mapping gave
 * up on go back on the stream routed as they were, exactly once however often the replay runs;
 * wake-ups and poison records stay out; a batch without its payload is read back from the stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wakeUpRecord } from '../../lambdas/sampler/pend.ts';
import { traceHashKeyOfHex } from '../../lambdas/shared/routing/index.ts';
import { ensureStream, type KinesisStandIn, startKinesisStandIn } from '../../local/standins/kinesis.ts';
import { type S3StandIn, startS3StandIn } from '../../local/standins/s3.ts';
import { invocationRecordOf } from '../../replay/invocation-record.ts';
import { REPLAYED_PREFIX, type ReplayDeps, replayFailedBatches } from '../../replay/replay.ts';
import { readAllRecords, type StoredRecord } from '../support/kinesis-stream.ts';
import { ingestRecords, kinesisEventOf, streamRecordOf, traceIds, traceOf } from '../support/sampler.ts';
import { bucketObjects } from '../support/storage.ts';

const BUCKET = 'failed-batches';
const T0 = 1_795_521_600_000;
const [A, B, C] = traceIds(3, 17) as [string, string, string];
let kinesis: KinesisStandIn;
let s3: S3StandIn;
let directory: string;
let kinesisClient: KinesisClient;
let s3Client: S3Client;
let streams = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'tracesift-replay-'));
  kinesis = await startKinesisStandIn();
  s3 = await startS3StandIn({ directory, buckets: [BUCKET] });
  kinesisClient = kinesis.client();
  s3Client = s3.client();
});

afterAll(async () => {
  await Promise.all([kinesis.close(), s3.close()]);
  rmSync(directory, { recursive: true, force: true });
});

async function freshDeps(overrides: Partial<ReplayDeps> = {}): Promise<ReplayDeps> {
  const streamName = `replay-${++streams}`;
  await ensureStream(kinesisClient, streamName, 2);
  return {
    s3: s3Client,
    kinesis: kinesisClient,
    bucket: BUCKET,
    prefix: `aws/lambda/${streamName}/`,
    streamName,
    now: () => T0,
    ...overrides,
  };
}

/** Writes an invocation record of `records` (a failed batch of shard 0) as the destination does. */
async function destinationWrites(
  deps: ReplayDeps,
  name: string,
  records: ReturnType<typeof streamRecordOf>[],
  withPayload = true,
) {
  const record = invocationRecordOf({
    condition: 'RetryAttemptsExhausted',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sampler',
    attempts: 4,
    error: 'Unhandled',
    timestamp: new Date(T0).toISOString(),
    event: kinesisEventOf('shardId-000000000000', records),
  });
  const { payload: _, ...bare } = record;
  await s3Client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: `${deps.prefix}${name}`,
      Body: JSON.stringify(withPayload ? record : bare),
    }),
  );
}

/** The shard whose hash range holds `hashKey`. */
async function shardOf(streamName: string, hashKey: bigint): Promise<string | undefined> {
  const { Shards = [] } = await kinesisClient.send(new ListShardsCommand({ StreamName: streamName }));
  return Shards.find(
    (s) =>
      BigInt(s.HashKeyRange?.StartingHashKey ?? -1) <= hashKey &&
      hashKey <= BigInt(s.HashKeyRange?.EndingHashKey ?? -1),
  )?.ShardId;
}

const bytesOf = (records: readonly StoredRecord[]) =>
  records.map((r) => Buffer.from(r.data).toString('base64')).sort();

describe('replaying failed batches', () => {
  it('puts every span record back routed by its first trace, skipping wake-ups and poison; once', async () => {
    // Prepare: a batch of two traces' records, a wake-up and a poison record
    const deps = await freshDeps();
    const traces = [...ingestRecords(traceOf(A)), ...ingestRecords(traceOf(B))];
    const wake = wakeUpRecord(traceHashKeyOfHex(C), 1);
    const poison = Uint8Array.of(9, 9, 9, 9, 9);
    const failed = [...traces.map((r) => r.data), wake.data, poison].map((data, i) =>
      streamRecordOf(data, i + 1, T0, 'lane-0'),
    );
    await destinationWrites(deps, 'batch-1', failed);

    // Act: a dry run, the replay, and the replay again
    const dry = await replayFailedBatches(deps, { dryRun: true });
    const afterDry = await readAllRecords(kinesisClient, deps.streamName);
    const first = await replayFailedBatches(deps, { dryRun: false });
    const second = await replayFailedBatches(deps, { dryRun: false });

    // Assess
    expect(afterDry).toEqual([]);
    expect(dry.replayed[0]?.recordsPut).toBe(traces.length);
    expect(first.replayed).toHaveLength(1);
    expect(first.replayed[0]).toMatchObject({
      source: 'payload',
      recordsPut: traces.length,
      wakeUpsSkipped: 1,
    });
    expect(first.replayed[0]?.spansPut).toBe(traces.reduce((n, r) => n + r.spanCount, 0));
    expect(first.replayed[0]?.poison.map((p) => p.sequenceNumber)).toEqual([
      failed[failed.length - 1]?.sequenceNumber,
    ]);
    expect(second).toEqual({ replayed: [], alreadyReplayed: 1, failed: [] });
    const marks = await bucketObjects(s3Client, BUCKET, `${REPLAYED_PREFIX}${deps.prefix}`);
    expect([...marks.keys()]).toEqual([`${REPLAYED_PREFIX}${deps.prefix}batch-1.json`]);
    const stream = await readAllRecords(kinesisClient, deps.streamName);
    expect(bytesOf(stream)).toEqual(bytesOf(traces.map((r) => ({ ...r, shardId: '', sequenceNumber: '' }))));
    for (const record of stream) {
      const original = traces.find((t) => Buffer.from(t.data).equals(Buffer.from(record.data)));
      expect(record.shardId).toBe(await shardOf(deps.streamName, BigInt(original?.explicitHashKey ?? -1)));
      expect(record.partitionKey).toBe(original?.partitionKey);
    }
  });

  it('reads a batch whose record carries no payload back from the stream by its sequence range', async () => {
    // Prepare: the batch's records are still in the stream (shard 0 owns the whole range here)
    const deps = await freshDeps();
    const single = `single-${streams}`;
    await ensureStream(kinesisClient, single, 1);
    const traces = ingestRecords(traceOf(A));
    const put = await kinesisClient.send(
      new PutRecordsCommand({
        StreamName: single,
        Records: traces.map((r) => ({
          Data: r.data,
          PartitionKey: r.partitionKey,
          ExplicitHashKey: r.explicitHashKey,
        })),
      }),
    );
    const sequences = (put.Records ?? []).map((r) => r.SequenceNumber as string);
    const failed = traces.map((r, i) => ({
      ...streamRecordOf(r.data, 0, T0, r.partitionKey),
      sequenceNumber: sequences[i] as string,
    }));
    const replayDeps = { ...deps, streamName: single };
    await destinationWrites(replayDeps, 'no-payload', failed, false);

    // Act
    const report = await replayFailedBatches(replayDeps, { dryRun: false });

    // Assess: the range's records were put once more
    expect(report.replayed[0]).toMatchObject({ source: 'stream', recordsPut: traces.length });
    const stream = await readAllRecords(kinesisClient, single);
    expect(stream).toHaveLength(2 * traces.length);
  });

  it('marks nothing when the stream refuses the records, and replays the batch on the next run', async () => {
    // Prepare
    const deps = await freshDeps();
    await destinationWrites(
      deps,
      'batch-1',
      ingestRecords(traceOf(A)).map((r, i) => streamRecordOf(r.data, i + 1, T0)),
    );
    const refusing = { ...deps, streamName: 'no-such-stream', putDeadlineMs: 0 };

    // Act
    const refused = await replayFailedBatches(refusing, { dryRun: false });
    const again = await replayFailedBatches(deps, { dryRun: false });

    // Assess
    expect(refused.replayed).toEqual([]);
    expect(refused.failed[0]?.error).toMatch(/ReplayPutError: .*not accepted by the stream/);
    expect(again.replayed).toHaveLength(1);
    expect(again.failed).toEqual([]);
  });

  it('reports an object that is not an invocation record and goes on with the others', async () => {
    // Prepare
    const deps = await freshDeps();
    await s3Client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${deps.prefix}a-garbage`, Body: 'not json' }),
    );
    await destinationWrites(
      deps,
      'b-batch',
      ingestRecords(traceOf(A)).map((r, i) => streamRecordOf(r.data, i + 1, T0)),
    );

    // Act
    const report = await replayFailedBatches(deps, { dryRun: false });

    // Assess
    expect(report.failed).toEqual([
      { key: `${deps.prefix}a-garbage`, error: expect.stringMatching(/InvocationRecordError/) },
    ]);
    expect(report.replayed.map((b) => b.key)).toEqual([`${deps.prefix}b-batch`]);
  });
});
