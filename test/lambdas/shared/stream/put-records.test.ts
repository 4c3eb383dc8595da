import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_BYTES_PER_CALL,
  MAX_RECORDS_PER_CALL,
  type PreparedRecord,
  planCalls,
  putAllRecords,
} from '../../../../lambdas/shared/stream/put-records.ts';

const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());

const record = (
  i: number,
  size = 100,
  planned: { shardId?: string } = { shardId: 'shardId-000000000000' },
): PreparedRecord => ({
  data: new Uint8Array(size).fill(i % 256),
  partitionKey: 'lane-0',
  explicitHashKey: String(i),
  expectedShardId: planned.shardId,
  spanCount: 10,
});

/** A virtual clock: sleeping advances it, so deadlines are exercised without real waiting. */
function virtualClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const ok = (input: PutRecordsCommandInput, shardId = 'shardId-000000000000') => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i), ShardId: shardId })),
});

describe('planCalls', () => {
  it('cuts calls at 500 records', () => {
    const calls = planCalls(Array.from({ length: 1001 }, (_, i) => record(i, 10)));
    expect(calls.map((c) => c.length)).toEqual([MAX_RECORDS_PER_CALL, MAX_RECORDS_PER_CALL, 1]);
  });

  it('cuts calls at 5 MiB of data and partition keys', () => {
    const size = 1024 * 1024 - 6; // 1 MiB with the 6-byte partition key
    const calls = planCalls(Array.from({ length: 6 }, (_, i) => record(i, size)));
    expect(calls.map((c) => c.length)).toEqual([5, 1]);
    expect(calls[0]?.reduce((s, r) => s + r.data.length + 6, 0)).toBe(MAX_BYTES_PER_CALL);
  });
});

describe('putAllRecords', () => {
  it('puts every record in one call and reports spans', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ok(input));
    const clock = virtualClock();

    // Act
    const outcome = await putAllRecords(new KinesisClient({}), [record(1), record(2)], {
      streamName: 'traces',
      deadline: 1000,
      ...clock,
    });

    // Assess
    expect(outcome).toMatchObject({
      ok: true,
      recordsPut: 2,
      spansPut: 20,
      retries: 0,
      shardMismatch: false,
    });
    expect(kinesis).toReceiveCommandWith(PutRecordsCommand, {
      StreamName: 'traces',
      Records: [
        expect.objectContaining({ PartitionKey: 'lane-0', ExplicitHashKey: '1' }),
        expect.objectContaining({ ExplicitHashKey: '2' }),
      ],
    });
  });

  it('retries only the failed entries, with backoff, until all are in', async () => {
    // Prepare: entry 2 is throttled on the first call
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
          { SequenceNumber: '3', ShardId: 'shardId-000000000000' },
        ],
      })
      .callsFake((input: PutRecordsCommandInput) => ok(input));
    const clock = virtualClock();

    // Act
    const outcome = await putAllRecords(new KinesisClient({}), [record(1), record(2), record(3)], {
      streamName: 'traces',
      deadline: 5000,
      random: () => 0.5,
      ...clock,
    });

    // Assess
    expect(outcome).toMatchObject({ ok: true, recordsPut: 3, retries: 1 });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
    expect(
      kinesis.commandCalls(PutRecordsCommand)[1]?.args[0].input.Records?.map((r) => r.ExplicitHashKey),
    ).toEqual(['2']);
    expect(clock.sleeps).toEqual([25]); // full jitter: 0.5 x base 50 ms
  });

  it('gives up at the deadline when the stream keeps throttling, and says so', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records?.length,
      Records: (input.Records ?? []).map(() => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'x',
      })),
    }));
    const clock = virtualClock();

    // Act
    const outcome = await putAllRecords(new KinesisClient({}), [record(1), record(2)], {
      streamName: 'traces',
      deadline: 3000,
      random: () => 0.99,
      ...clock,
    });

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      recordsPut: 0,
      recordsFailed: 2,
      spansFailed: 20,
      throttled: true,
    });
    expect(clock.now()).toBeLessThan(3000);
    expect(clock.sleeps.every((ms, i) => ms <= Math.min(1000, 50 * 2 ** i))).toBe(true);
    expect(clock.sleeps.length).toBeGreaterThan(3);
  });

  it('treats a failing call (stream unavailable) as a retryable failure of all its records', async () => {
    // Prepare
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('service down'), { name: 'InternalFailure' }));
    const clock = virtualClock();

    // Act
    const outcome = await putAllRecords(new KinesisClient({}), [record(1)], {
      streamName: 'traces',
      deadline: 500,
      ...clock,
    });

    // Assess
    expect(outcome).toMatchObject({ ok: false, recordsFailed: 1, throttled: false });
    expect(outcome.lastError).toMatch(/InternalFailure: service down/);
    expect(kinesis.commandCalls(PutRecordsCommand).length).toBeGreaterThan(1);
  });

  it('reports a record landing on another shard than planned (stale shard map)', async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFake((input: PutRecordsCommandInput) => ok(input, 'shardId-000000000007'));
    const outcome = await putAllRecords(new KinesisClient({}), [record(1)], {
      streamName: 't',
      deadline: 100,
      ...virtualClock(),
    });
    expect(outcome).toMatchObject({ ok: true, shardMismatch: true });
  });

  it('does not report a mismatch for records written without a shard map', async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFake((input: PutRecordsCommandInput) => ok(input, 'shardId-000000000007'));
    const outcome = await putAllRecords(new KinesisClient({}), [record(1, 10, {})], {
      streamName: 't',
      deadline: 100,
      ...virtualClock(),
    });
    expect(outcome.shardMismatch).toBe(false);
  });

  it('treats a response without a result entry as a failure of that record', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 0, Records: [] })
      .callsFake((input: PutRecordsCommandInput) => ok(input));
    const outcome = await putAllRecords(new KinesisClient({}), [record(1)], {
      streamName: 't',
      deadline: 1000,
      ...virtualClock(),
    });
    expect(outcome).toMatchObject({ ok: true, retries: 1 });
  });
});
