import { describe, expect, it } from 'vitest';
import {
  type Arrival,
  backToBack,
  byArrival,
  packedRequests,
  pendingObjectBytes,
  replay,
  ShardStream,
  samplerRig,
} from '../../bench/sampler.ts';
import { generateWorkload } from '../../workload/workload.ts';

const record = (arrivalMs: number, tag: number): Arrival => ({
  data: Uint8Array.of(tag),
  partitionKey: 'lane-0',
  arrivalMs,
});

describe('the sampler bench stream', () => {
  it('merges what the sampler puts with the workload by arrival, numbering records as they are read', () => {
    // Arrange
    const stream = new ShardStream([record(10, 1), record(20, 2), record(30, 3)]);

    // Act
    const first = stream.take(15, 10);
    stream.append(record(15, 9));
    const second = stream.take(25, 10);
    const rest = stream.take(Number.POSITIVE_INFINITY, 10);

    // Assess
    expect(first.map((r) => r.data[0])).toEqual([1]);
    expect(second.map((r) => r.data[0])).toEqual([9, 2]);
    expect(rest.map((r) => r.data[0])).toEqual([3]);
    const sequence = [...first, ...second, ...rest].map((r) => BigInt(r.sequenceNumber));
    expect(sequence).toEqual([1n, 2n, 3n, 4n]);
    expect(stream.headArrival()).toBeUndefined();
  });

  it('takes at most a full batch', () => {
    const stream = new ShardStream(backToBack([record(0, 1), record(0, 2), record(0, 3)], 100));

    expect(stream.take(Number.POSITIVE_INFINITY, 2).map((r) => r.arrivalMs)).toEqual([100, 101]);
    expect(stream.headArrival()).toBe(102);
  });
});

describe('the sampler bench replay', () => {
  // 300 traces: a few batching windows of traffic, quick to generate and replay.
  const workload = generateWorkload({ seed: 42, traces: 300 });
  const records = byArrival(packedRequests(workload));
  const mapping = { batchRecords: 1000, windowMs: 10_000 };

  it('decides every span once with the default configuration, some after waiting in the pending set', async () => {
    // Arrange
    const rig = samplerRig({}, 'real', records, (records[0] as Arrival).arrivalMs);

    // Act
    const stats = await replay(rig, mapping);

    // Assess
    expect(stats.keptSpans + stats.droppedSpans).toBe(workload.spanCount);
    expect(stats.keptSpans).toBeGreaterThan(0);
    expect(stats.pendingAtEnd).toBe(0);
    expect(stats.spansIn).toBeGreaterThan(workload.spanCount);
    expect(stats.invocations).toBeGreaterThan(1);
    expect(stats.sinkMs).toBeGreaterThan(0);
    expect(pendingObjectBytes(rig.bucket)).toBe(0);
  });

  it('does the same work on every run: each run starts from an empty state', async () => {
    const start = (records[0] as Arrival).arrivalMs;
    const first = await replay(samplerRig({}, 'counting', records, start), mapping);
    const second = await replay(samplerRig({}, 'counting', records, start), mapping);

    expect(second).toEqual({ ...first, sinkMs: second.sinkMs });
  });
});
