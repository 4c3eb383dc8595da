/** The head of version 2 items (trace-head.ts): every field back as written, and malformed heads refused. */
import { describe, expect, it } from 'vitest';
import { ProtoWriter, WireType } from '../../../../lambdas/shared/otlp/index.ts';
import { decodeHead, encodeHead, type Head } from '../../../../lambdas/storage/dynamodb/trace-head.ts';
import { StorageError } from '../../../../lambdas/storage/errors.ts';

/** A Kinesis range: shard id and 56-digit sequence numbers. */
const KINESIS_RANGE =
  'shardId-000000000003 49659220371849765438295470633934405227394856377402441730 49659220371849765438295470634069609345983017937648353282';

const TRACE_HEAD: Head = {
  range: KINESIS_RANGE,
  blobBytes: 4_321,
  resources: [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9])],
  trace: {
    spanCount: 10,
    storedBytes: 4_321,
    firstArrivalMs: 1_764_000_000_123,
    decision: { policy: 'latency', probability: 0.05, threshold: 'f333333333333', reason: 'p99 > 250 ms' },
    marks: ['policy', 'reason'],
    lateRange:
      'shardId-000000000003 49659220371849765438295470634069609345983017937648353283 49659220371849765438295470634069609345983017937648353999',
    rejectedReason: 'Item size has exceeded the maximum allowed size',
    summary: {
      rootSpanId: '00f067aa0ba902b7',
      rootService: 'frontend',
      rootName: 'GET /cart',
      startTimeUnixNano: 1_795_521_600_000_000_000n,
      durationNano: 2_500_000,
      errorCount: 1,
      services: ['frontend', 'orders'],
      servicesOmitted: 3,
    },
  },
};

describe('encodeHead / decodeHead', () => {
  it.each<[string, Head]>([
    ['a trace item with every field', TRACE_HEAD],
    ['a chunk item', { range: KINESIS_RANGE, blobBytes: 300_000, resources: [] }],
    ['a range of other shard and sequence names', { range: 'lane-7 abc 0042', blobBytes: 0, resources: [] }],
    [
      'a range whose last number is below its first',
      { range: 'shardId-000000000001 20 10', blobBytes: 0, resources: [] },
    ],
    [
      'a range of equal numbers, zero included',
      { range: 'shardId-000000000000 0 0', blobBytes: 0, resources: [] },
    ],
    [
      'a trace item of no spans and an empty decision',
      {
        range: 'shardId-000000000000 1 2',
        blobBytes: 0,
        resources: [],
        trace: {
          spanCount: 0,
          storedBytes: 0,
          firstArrivalMs: 0,
          decision: { policy: '', probability: 1, threshold: '', reason: '' },
          marks: [],
        },
      },
    ],
  ])('reads back %s', (_case, head) => {
    // Act
    const read = decodeHead(encodeHead(head));

    // Assess
    expect(read).toEqual(head);
  });

  it('writes a Kinesis range in about a third of its text', () => {
    // Act
    const bytes = encodeHead({ range: KINESIS_RANGE, blobBytes: 0, resources: [] }).length;

    // Assess
    expect(bytes).toBeLessThan(KINESIS_RANGE.length / 2);
  });

  it('skips fields it does not know', () => {
    // Prepare: a head with field 99 appended
    const known = encodeHead({ range: KINESIS_RANGE, blobBytes: 5, resources: [] });
    const extra = new ProtoWriter(16).tag(99, WireType.LEN).string('later').finish();

    // Act
    const read = decodeHead(Uint8Array.from([...known, ...extra]));

    // Assess
    expect(read).toEqual({ range: KINESIS_RANGE, blobBytes: 5, resources: [] });
  });

  it.each([
    ['another version', new ProtoWriter(16).tag(1, WireType.VARINT).uint32(3).finish(), /head version 3/],
    ['no range', new ProtoWriter(16).tag(1, WireType.VARINT).uint32(2).finish(), /without a range/],
    [
      'a field of the wrong wire type',
      new ProtoWriter(16).tag(1, WireType.VARINT).uint32(2).tag(2, WireType.VARINT).uint32(1).finish(),
      /wire type/,
    ],
    ['truncated bytes', encodeHead(TRACE_HEAD).subarray(0, 20), /./],
  ])('refuses %s', (_case, bytes, message) => {
    // Act
    const act = () => decodeHead(bytes);

    // Assess
    expect(act).toThrow(message);
  });

  it('says StorageError for a head of another version', () => {
    // Act
    const act = () => decodeHead(new ProtoWriter(16).tag(1, WireType.VARINT).uint32(1).finish());

    // Assess
    expect(act).toThrow(StorageError);
  });
});
