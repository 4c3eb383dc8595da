/** The put both stream writers make: the deadline, the counters, a stale shard map invalidated. */
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type PreparedRecord, putWithDeadline } from '../../../../lambdas/shared/stream/index.ts';

const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());

const records: PreparedRecord[] = [0, 1].map((i) => ({
  data: Uint8Array.of(i),
  partitionKey: 'lane-0',
  explicitHashKey: String(i),
  expectedShardId: 'shardId-000000000000',
  spanCount: 5,
}));

function writer(deadlineMs: number) {
  let clock = 0;
  const counted: Record<string, number> = {};
  let invalidations = 0;
  return {
    writer: {
      kinesis: new KinesisClient({ region: 'eu-west-1' }),
      streamName: 'traces',
      deadlineMs,
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      shards: {
        invalidate: () => {
          invalidations++;
        },
      },
      metrics: {
        add: (name: string, value: number) => {
          counted[name] = (counted[name] ?? 0) + value;
        },
      },
    },
    counted,
    invalidations: () => invalidations,
  };
}

describe('putWithDeadline', () => {
  it('counts records put and retries, and invalidates the shard map when a record landed elsewhere', async () => {
    // Prepare: the first call throttles the second record; the retry lands it on another shard
    let calls = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      calls++;
      return {
        FailedRecordCount: calls === 1 ? 1 : 0,
        Records: (input.Records ?? []).map((_, i) =>
          calls === 1 && i === 1
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
            : {
                SequenceNumber: `${calls}${i}`,
                ShardId: calls === 1 ? 'shardId-000000000000' : 'shardId-000000000009',
              },
        ),
      };
    });
    const { writer: target, counted, invalidations } = writer(10_000);

    // Act
    const outcome = await putWithDeadline(records, target);

    // Assess
    expect(outcome.ok).toBe(true);
    expect(counted).toEqual({ RecordsPut: 2, PutRetries: 1, ShardMapRefreshes: 1 });
    expect(invalidations()).toBe(1);
    expect(kinesis).toReceiveCommandWith(PutRecordsCommand, { StreamName: 'traces' });
  });

  it('returns what the stream did not take by the deadline, for the caller to decide', async () => {
    // Prepare: the stream refuses every call
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    const { writer: target, counted } = writer(500);

    // Act
    const outcome = await putWithDeadline(records, target);

    // Assess
    expect(outcome).toMatchObject({ ok: false, recordsFailed: 2, spansFailed: 10, throttled: true });
    expect(counted.RecordsPut).toBe(0);
    expect(counted.PutRetries).toBeGreaterThan(0);
  });
});
