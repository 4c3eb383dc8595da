/**
 * The local event source mapping: delivery semantics (pure, with fake records) and the poller over
 * kinesalite (batching, checkpoints that survive a restart, shard lineage after a split, draining stop).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  PutRecordCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { MAX_HASH_KEY } from '../../lambdas/shared/routing/index.ts';
import { CheckpointError } from '../../local/errors.ts';
import {
  type DeliveryOptions,
  deliverBatch,
  emptyStats,
  type FailedBatch,
  fileCheckpointStore,
  memoryCheckpointStore,
  SHARD_END,
  startPoller,
} from '../../local/poller.ts';
import { ensureStream, type KinesisStandIn, startKinesisStandIn } from '../../local/standins/kinesis.ts';

const fakeRecords = (n: number): KinesisRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    SequenceNumber: String(i + 1).padStart(4, '0'),
    ApproximateArrivalTimestamp: new Date(1_700_000_000_000 + i),
    Data: Uint8Array.of(i),
    PartitionKey: 'lane-0',
  }));

const sequences = (event: KinesisStreamEvent): string[] => event.Records.map((r) => r.kinesis.sequenceNumber);

/** Runs deliverBatch over `records` with a scripted handler; returns the invocations, dead letters and checkpoints. */
async function deliver(
  records: KinesisRecord[],
  handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>,
  overrides: Partial<DeliveryOptions> = {},
) {
  const invocations: string[][] = [];
  const failed: FailedBatch[] = [];
  const checkpoints: string[] = [];
  const options: DeliveryOptions = {
    handler: async (event) => {
      invocations.push(sequences(event));
      return handler(event);
    },
    bisectOnError: true,
    reportBatchItemFailures: true,
    maxRetryAttempts: 2,
    onFailure: async (batch) => {
      failed.push(batch);
    },
    eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
    region: 'us-east-1',
    stats: emptyStats(),
    logger: silentLogger,
    ...overrides,
  };
  await deliverBatch('shardId-000000000000', records, options, async (sequenceNumber) => {
    checkpoints.push(sequenceNumber);
  });
  return { invocations, failed, checkpoints, stats: options.stats };
}

describe('deliverBatch (event source mapping semantics)', () => {
  it('builds the Lambda event exactly as the mapping does', async () => {
    // Prepare
    let seen: KinesisStreamEvent | undefined;

    // Act
    await deliver(fakeRecords(1), async (event) => {
      seen = event;
      return { batchItemFailures: [] };
    });

    // Assess
    expect(seen?.Records[0]).toEqual({
      awsRegion: 'us-east-1',
      eventID: 'shardId-000000000000:0001',
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      eventVersion: '1.0',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local-poller',
      kinesis: {
        approximateArrivalTimestamp: 1_700_000_000,
        data: Buffer.from([0]).toString('base64'),
        kinesisSchemaVersion: '1.0',
        partitionKey: 'lane-0',
        sequenceNumber: '0001',
      },
    });
  });

  it('checkpoints a successful batch at its last record', async () => {
    const run = await deliver(fakeRecords(4), async () => undefined);
    expect(run.invocations).toEqual([['0001', '0002', '0003', '0004']]);
    expect(run.checkpoints).toEqual(['0004']);
  });

  it('with a batch item failure, checkpoints before it and retries from it', async () => {
    // Prepare: the first attempt reports 0003; the retry succeeds
    let attempt = 0;

    // Act
    const run = await deliver(fakeRecords(5), async () =>
      attempt++ === 0
        ? { batchItemFailures: [{ itemIdentifier: '0003' }, { itemIdentifier: '0005' }] }
        : undefined,
    );

    // Assess: the lowest reported sequence number is the checkpoint
    expect(run.invocations).toEqual([
      ['0001', '0002', '0003', '0004', '0005'],
      ['0003', '0004', '0005'],
    ]);
    expect(run.checkpoints).toEqual(['0002', '0005']);
    expect(run.stats.retries).toBe(1);
  });

  it('treats an identifier that names no record as a failure of the whole batch', async () => {
    let attempt = 0;
    const run = await deliver(fakeRecords(2), async () =>
      attempt++ === 0 ? { batchItemFailures: [{ itemIdentifier: 'nope' }] } : undefined,
    );
    expect(run.invocations).toEqual([
      ['0001', '0002'],
      ['0001', '0002'],
    ]);
  });

  it('ignores batch item failures when ReportBatchItemFailures is off', async () => {
    const run = await deliver(
      fakeRecords(2),
      async () => ({ batchItemFailures: [{ itemIdentifier: '0001' }] }),
      {
        reportBatchItemFailures: false,
      },
    );
    expect(run.invocations).toHaveLength(1);
    expect(run.checkpoints).toEqual(['0002']);
  });

  it('bisects on function errors until a poison record is alone, then sends only it to the destination', async () => {
    // Prepare: record 0003 always fails the function
    const handler = async (event: KinesisStreamEvent) => {
      if (sequences(event).includes('0003')) throw new Error('poison');
      return undefined;
    };

    // Act
    const run = await deliver(fakeRecords(6), handler);

    // Assess
    expect(run.failed).toHaveLength(1);
    expect(run.failed[0]?.records.map((r) => r.kinesis.sequenceNumber)).toEqual(['0003']);
    expect(run.failed[0]?.attempts).toBe(3);
    expect(run.checkpoints.at(-1)).toBe('0006');
    expect(run.stats.recordsDone).toBe(5);
    expect(run.stats.recordsSentToFailureDestination).toBe(1);
    expect(run.stats.bisections).toBeGreaterThan(0);
  });

  it('without bisect, retries the whole batch and then sends all of it to the destination', async () => {
    const run = await deliver(
      fakeRecords(3),
      async () => {
        throw new Error('down');
      },
      { bisectOnError: false },
    );
    expect(run.invocations).toHaveLength(3);
    expect(run.failed[0]?.records).toHaveLength(3);
    expect(run.failed[0]?.error).toBe('Error: down');
  });
});

describe('fileCheckpointStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracesift-poller-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('persists checkpoints across instances', async () => {
    const path = join(dir, 'nested', 'checkpoints.json');
    const first = fileCheckpointStore(path);
    await first.load();
    await first.save('shardId-1', '42');
    await first.save('shardId-2', SHARD_END);
    expect(await fileCheckpointStore(path).load()).toEqual(
      new Map([
        ['shardId-1', '42'],
        ['shardId-2', SHARD_END],
      ]),
    );
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['non-string values', '{"shardId-1": 5}'],
  ])('fails with CheckpointError on %s', async (_name, text) => {
    const path = join(dir, `bad-${_name.replace(/\W/g, '')}.json`);
    writeFileSync(path, text);
    await expect(fileCheckpointStore(path).load()).rejects.toBeInstanceOf(CheckpointError);
  });
});

describe('startPoller over kinesalite', () => {
  let stream: KinesisStandIn;
  let client: KinesisClient;
  let counter = 0;

  beforeAll(async () => {
    stream = await startKinesisStandIn();
    client = stream.client();
  });
  afterAll(async () => {
    await stream.close();
  });

  async function freshStream(shards: number): Promise<string> {
    const name = `poller-${++counter}`;
    await ensureStream(client, name, shards);
    return name;
  }

  const put = (streamName: string, text: string, hashKey: bigint = 0n) =>
    client.send(
      new PutRecordCommand({
        StreamName: streamName,
        Data: Buffer.from(text),
        PartitionKey: 'p',
        ExplicitHashKey: hashKey.toString(),
      }),
    );

  it('delivers every record in batches no larger than the batch size, and resumes from its checkpoints', async () => {
    // Prepare
    const streamName = await freshStream(1);
    for (let i = 0; i < 7; i++) await put(streamName, `r${i}`);
    const checkpoints = memoryCheckpointStore();
    const batches: string[][] = [];
    const handler = async (event: KinesisStreamEvent) => {
      batches.push(event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()));
      return { batchItemFailures: [] };
    };

    // Act 1
    const poller = await startPoller({
      kinesis: client,
      streamName,
      handler,
      batchSize: 3,
      batchingWindowMs: 0,
      pollIntervalMs: 20,
      checkpoints,
    });
    await poller.caughtUp();
    await poller.stop();

    // Assess 1
    expect(batches.flat()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(poller.stats.recordsDone).toBe(7);

    // Act 2: a restart with the same checkpoints sees only new records
    batches.length = 0;
    await put(streamName, 'r7');
    const again = await startPoller({
      kinesis: client,
      streamName,
      handler,
      batchSize: 3,
      batchingWindowMs: 0,
      pollIntervalMs: 20,
      checkpoints,
    });
    await again.caughtUp();
    await again.stop();

    // Assess 2
    expect(batches.flat()).toEqual(['r7']);
  });

  it('with a parallelization factor, invokes batchers at once, each key in order on one batcher', async () => {
    // Prepare: three keys over two batchers (b and c share one); the handler holds each invocation
    // until both batchers are in flight, so the test fails if they run one after the other
    const streamName = await freshStream(1);
    const keys = ['a', 'b', 'c'];
    for (let i = 0; i < 9; i++) {
      const key = keys[i % 3] as string;
      await client.send(
        new PutRecordCommand({ StreamName: streamName, Data: Buffer.from(`${key}${i}`), PartitionKey: key }),
      );
    }
    const batches: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let bothStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      bothStarted = resolve;
    });
    const handler = async (event: KinesisStreamEvent) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (inFlight === 2) bothStarted();
      await started;
      batches.push(event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()));
      inFlight--;
      return { batchItemFailures: [] };
    };

    // Act
    const poller = await startPoller({
      kinesis: client,
      streamName,
      handler,
      batchSize: 9,
      batchingWindowMs: 0,
      pollIntervalMs: 20,
      parallelizationFactor: 2,
      batcherOf: (key) => (key === 'a' ? 0 : 1),
    });
    await poller.caughtUp();
    await poller.stop();

    // Assess
    expect(maxInFlight).toBe(2);
    expect(batches.map((b) => b.join(' ')).sort()).toEqual(['a0 a3 a6', 'b1 c2 b4 c5 b7 c8']);
    expect(poller.stats.recordsDone).toBe(9);
  });

  it('waits for the batching window to fill a batch', async () => {
    // Prepare
    const streamName = await freshStream(1);
    const batches: number[] = [];
    const poller = await startPoller({
      kinesis: client,
      streamName,
      handler: async (event) => {
        batches.push(event.Records.length);
        return undefined;
      },
      batchSize: 100,
      batchingWindowMs: 1_000,
      pollIntervalMs: 20,
    });

    // Act: three records put 50 ms apart, well within the window
    for (let i = 0; i < 3; i++) {
      await put(streamName, `w${i}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await poller.caughtUp();
    await poller.stop();

    // Assess: one invocation with all three
    expect(batches).toEqual([3]);
  });

  it('reads parents before children after a split (shard lineage)', async () => {
    // Prepare: records on the parent, a split, records on both children
    const streamName = await freshStream(1);
    await put(streamName, 'parent-1');
    await put(streamName, 'parent-2');
    const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
    const half = (MAX_HASH_KEY + 1n) / 2n;
    await client.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: Shards[0]?.ShardId,
        NewStartingHashKey: half.toString(),
      }),
    );
    for (let i = 0; i < 50; i++) {
      const { StreamDescriptionSummary } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await put(streamName, 'low-child', 0n);
    await put(streamName, 'high-child', half + 5n);
    const order: string[] = [];

    // Act
    const poller = await startPoller({
      kinesis: client,
      streamName,
      handler: async (event) => {
        for (const r of event.Records) order.push(Buffer.from(r.kinesis.data, 'base64').toString());
        return undefined;
      },
      batchSize: 10,
      batchingWindowMs: 0,
      pollIntervalMs: 20,
    });
    await poller.caughtUp();
    await poller.stop();

    // Assess: both parent records before any child record; the parent is finished
    expect(order.slice(0, 2)).toEqual(['parent-1', 'parent-2']);
    expect(order.slice(2).sort()).toEqual(['high-child', 'low-child']);
    expect(poller.stats.shardsFinished).toBe(1);
  });

  it('stop() lets the batch in flight finish and checkpoints it', async () => {
    // Prepare: a handler that takes 200 ms
    const streamName = await freshStream(1);
    await put(streamName, 'slow');
    const checkpoints = memoryCheckpointStore();
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finished = false;
    const poller = await startPoller({
      kinesis: client,
      streamName,
      handler: async () => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished = true;
        return undefined;
      },
      batchingWindowMs: 0,
      pollIntervalMs: 20,
      checkpoints,
    });

    // Act
    await inFlight;
    await poller.stop();

    // Assess
    expect(finished).toBe(true);
    expect([...(await checkpoints.load()).values()]).toHaveLength(1);
  });
});
