/** The S3 on-failure destination's invocation record: written as Lambda writes it, read back exactly. */
import { describe, expect, it } from 'vitest';
import { InvocationRecordError } from '../../replay/errors.ts';
import { invocationRecordOf, parseInvocationRecord } from '../../replay/invocation-record.ts';
import { kinesisEventOf, streamRecordOf } from '../support/sampler.ts';

const T0 = 1_795_521_600_000;
const records = [
  streamRecordOf(Uint8Array.of(1, 2, 3), 7, T0, 'lane-0'),
  streamRecordOf(Uint8Array.of(4, 5), 9, T0 + 1, 'lane-1'),
];
const event = kinesisEventOf('shardId-000000000003', records);
const written = invocationRecordOf({
  condition: 'RetryAttemptsExhausted',
  functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:sampler',
  attempts: 4,
  error: 'Unhandled',
  timestamp: new Date(T0).toISOString(),
  event,
});

describe('invocation records', () => {
  it('reads back the batch a destination wrote: shard, range, every record exactly', () => {
    // Act
    const batch = parseInvocationRecord('k', JSON.stringify(written));

    // Assess
    expect(batch).toMatchObject({
      key: 'k',
      condition: 'RetryAttemptsExhausted',
      shardId: 'shardId-000000000003',
      startSequenceNumber: records[0]?.sequenceNumber,
      endSequenceNumber: records[1]?.sequenceNumber,
      streamArn: event.Records[0]?.eventSourceARN,
    });
    expect(batch.records).toEqual(
      records.map((r) => ({ sequenceNumber: r.sequenceNumber, partitionKey: r.partitionKey, data: r.data })),
    );
  });

  it('accepts the event as an object as well as a JSON string, and no payload at all', () => {
    const asObject = parseInvocationRecord('k', JSON.stringify({ ...written, payload: event }));
    const { payload: _, ...withoutPayload } = written;
    const bare = parseInvocationRecord('k', JSON.stringify(withoutPayload));
    expect(asObject.records).toHaveLength(2);
    expect(bare.records).toBeUndefined();
    expect(bare.startSequenceNumber).toBe(records[0]?.sequenceNumber);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['not an object', '[]', /the document is not an object/],
    ['no batch info', JSON.stringify({ payload: '{}' }), /KinesisBatchInfo is not an object/],
    [
      'no shard',
      JSON.stringify({
        ...written,
        KinesisBatchInfo: { ...(written.KinesisBatchInfo as object), shardId: '' },
      }),
      /KinesisBatchInfo.shardId is missing/,
    ],
    [
      'a payload without records',
      JSON.stringify({ ...written, payload: '{"Records":3}' }),
      /payload.Records is not a list/,
    ],
    [
      'a record without data',
      JSON.stringify({
        ...written,
        payload: { Records: [{ kinesis: { sequenceNumber: '1', partitionKey: 'p' } }] },
      }),
      /Records\[0\] lacks/,
    ],
  ])('refuses %s, naming the object', (_, text, message) => {
    const act = () => parseInvocationRecord('aws/lambda/x/1', text);
    expect(act).toThrow(InvocationRecordError);
    expect(act).toThrow(message);
    expect(act).toThrow(/aws\/lambda\/x\/1/);
  });
});
