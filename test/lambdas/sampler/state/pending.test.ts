import { describe, expect, it } from 'vitest';
import { PendingTracesLostError } from '../../../../lambdas/sampler/errors.ts';
import { decodePending, encodePending, unfolded } from '../../../../lambdas/sampler/state/pending.ts';

const RECORDS = [
  { data: Uint8Array.of(0x54, 0x53, 1, 0, 9), arrivalMs: 1_764_000_000_123 },
  { data: new Uint8Array(0), arrivalMs: 7 },
  { data: Uint8Array.from({ length: 300 }, (_, i) => i % 256), arrivalMs: 0.5 },
];

describe('pending object format', () => {
  it('reads back every record and its arrival time', () => {
    // Act
    const decoded = decodePending(encodePending(RECORDS), 'test');
    // Assess
    expect(decoded).toEqual(RECORDS);
  });

  it('reads an empty set', () => {
    expect(decodePending(encodePending([]), 'test')).toEqual([]);
  });

  it.each([
    ['not a TSP1 object', Uint8Array.of(1, 2, 3, 4, 5)],
    ['truncated in an entry header', encodePending(RECORDS).subarray(0, 10)],
    ['truncated in a record', encodePending(RECORDS).subarray(0, 30)],
    ['empty', new Uint8Array(0)],
  ])('calls an object %s lost, naming it', (_case, bytes) => {
    // Act
    const read = () => decodePending(bytes, 's3://bucket/state/pending/x.tsp');
    // Assess
    expect(read).toThrow(PendingTracesLostError);
    expect(read).toThrow(/s3:\/\/bucket\/state\/pending\/x\.tsp/);
  });
});

describe('unfolded', () => {
  const batch = ['00000000000000000101', '00000000000000000102', '00000000000000000103'].map(
    (sequenceNumber) => ({ sequenceNumber }),
  );

  it.each([
    ['nothing folded yet', undefined, 3],
    ['before the batch', '00000000000000000100', 3],
    ['its first record', '00000000000000000101', 2],
    ['its second record', '00000000000000000102', 1],
    ['its last record', '00000000000000000103', 0],
    ['beyond it', '00000000000000000999', 0],
    ['numerically, not as text (a shorter number is smaller)', '99', 3],
  ])('with records folded up to %s, keeps the rest', (_case, covered, left) => {
    // Act
    const rest = unfolded(batch, covered);
    // Assess
    expect(rest).toEqual(batch.slice(3 - left));
  });
});
