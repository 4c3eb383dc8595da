import { describe, expect, it } from 'vitest';
import { assembleBatch } from '../../../lambdas/sampler/batch.ts';
import { adoptPending, restorePending } from '../../../lambdas/sampler/pend.ts';
import { carryOf, packTraces } from '../../../lambdas/sampler/reput.ts';
import type { SamplerDeps } from '../../../lambdas/sampler/sampler.ts';
import { decodePending, encodePending, type PendingRecord } from '../../../lambdas/sampler/state/pending.ts';
import {
  newSamplerState,
  type StateDocument,
  toStateDocument,
} from '../../../lambdas/sampler/state/sampler-state.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { decodeRecord, RecordOrigin } from '../../../lambdas/shared/record/index.ts';
import { type ShardRange, traceHashKey, traceHashKeyOfHex } from '../../../lambdas/shared/routing/index.ts';
import { ingestRecords, memoryStateStore, streamRecordOf, traceIds, traceOf } from '../../support/sampler.ts';

const LIMITS = { maxSpansPerInvocation: 100_000, maxPayloadBytes: 64 * 1024 * 1024 };
const HALF = 2n ** 127n;
const LOW: ShardRange = {
  shardId: 'low',
  startingHashKey: 0n,
  endingHashKey: HALF - 1n,
  parentShardId: 'parent',
};
const HIGH: ShardRange = {
  shardId: 'high',
  startingHashKey: HALF,
  endingHashKey: 2n ** 128n - 1n,
  parentShardId: 'parent',
};
const T0 = 1_764_000_000_000;

function depsOf(
  stateStore: ReturnType<typeof memoryStateStore>,
  lines: Record<string, unknown>[],
): SamplerDeps {
  return {
    stateStore,
    config: parseConfig({}),
    metrics: new Metrics({ sink: (line) => lines.push(JSON.parse(line)) }),
    logger: silentLogger,
  } as unknown as SamplerDeps;
}

/** Traces pended as the sampler pends them: DEFERRED records with each trace's carry. */
function pendedRecords(ids: readonly string[]): PendingRecord[] {
  const spans = ids.flatMap((id) => traceOf(id, { children: 1 }));
  const records = ingestRecords(spans).map((r, i) => streamRecordOf(r.data, i + 1, T0, r.partitionKey));
  const traces = [...assembleBatch(records, LIMITS).traces.values()].map((trace) => ({
    trace,
    hashKey: traceHashKey(trace.idBytes, trace.idAt),
    carry: carryOf(trace, 1),
  }));
  const packed = packTraces(traces, RecordOrigin.DEFERRED, {
    shardMap: undefined,
    lanes: 1,
    maxRecordBytes: 1_000_000,
  });
  return packed.map((r) => ({ data: r.data, arrivalMs: T0 + 1_000 }));
}

async function parentWith(
  store: ReturnType<typeof memoryStateStore>,
  records: PendingRecord[],
): Promise<void> {
  const state = newSamplerState(parseConfig({}).sampling, 0, 1);
  const key = await store.savePending('parent', '42', encodePending(records));
  state.pending = { records, spans: 0, coveredSequence: '42', key };
  await store.save(toStateDocument(state, 'parent', 1, T0));
}

function traceIdsIn(records: readonly PendingRecord[]): string[] {
  return records.flatMap((r) => decodeRecord(r.data).header.traces.map((t) => t.traceId)).sort();
}

describe('adoptPending: a new shard after a split', () => {
  it("takes the traces of its parent's pending set that hash into its range, with their carry", async () => {
    // Prepare
    const ids = traceIds(20, 5);
    const store = memoryStateStore();
    await parentWith(store, pendedRecords(ids));
    const inRange = (range: ShardRange) =>
      ids.filter((id) => {
        const key = traceHashKeyOfHex(id);
        return key >= range.startingHashKey && key <= range.endingHashKey;
      });

    // Act
    const { pending: low, siblingWakeUps: wakeHigh } = await adoptPending('low', LOW, 1, depsOf(store, []));
    const { pending: high, siblingWakeUps: wakeLow } = await adoptPending('high', HIGH, 1, depsOf(store, []));

    // Assess: the two children split the set between them, nothing twice, nothing left out
    expect(inRange(LOW).length).toBeGreaterThan(0);
    expect(inRange(HIGH).length).toBeGreaterThan(0);
    expect(traceIdsIn(low.records)).toEqual(inRange(LOW).sort());
    expect(traceIdsIn(high.records)).toEqual(inRange(HIGH).sort());
    expect(low.spans + high.spans).toBe(ids.length * 2);
    expect(low.coveredSequence).toBeUndefined();
    const carried = decodeRecord(low.records[0]?.data as Uint8Array).header.traces[0];
    expect(carried).toMatchObject({ firstArrivalMs: T0, deferrals: 1 });
    // Each wakes its sibling, which may never be invoked otherwise
    expect(wakeHigh.map((r) => BigInt(r.explicitHashKey as string) >= HALF)).toEqual([true]);
    expect(wakeLow.map((r) => BigInt(r.explicitHashKey as string) < HALF)).toEqual([true]);
    expect(decodeRecord(wakeHigh[0]?.data as Uint8Array).header.origin).toBe(RecordOrigin.WAKE_UP);
  });

  it('adopts nothing when its parents left nothing pending', async () => {
    // Act
    const adopted = await adoptPending('low', LOW, 1, depsOf(memoryStateStore(), []));
    // Assess
    expect(adopted.pending.records).toEqual([]);
    expect(adopted.siblingWakeUps).toEqual([]);
  });
});

describe('restorePending', () => {
  it('reads the set its document names', async () => {
    // Prepare
    const store = memoryStateStore();
    const records = pendedRecords(traceIds(3, 8));
    await parentWith(store, records);
    // Act
    const pending = await restorePending(await store.load('parent'), depsOf(store, []));
    // Assess
    expect(pending.records).toEqual(records);
    expect(pending.coveredSequence).toBe('42');
  });

  it('counts the spans of a set that is gone as lost and goes on without it', async () => {
    // Prepare: the document names an object that no longer exists
    const store = memoryStateStore();
    await parentWith(store, pendedRecords(traceIds(3, 8)));
    const document = (await store.load('parent')) as StateDocument;
    await store.removePending(document.pending?.key as string);
    const lines: Record<string, unknown>[] = [];
    const deps = depsOf(store, lines);
    // Act
    const pending = await restorePending(
      { ...document, pending: { ...(document.pending as NonNullable<StateDocument['pending']>), spans: 6 } },
      deps,
    );
    deps.metrics.flush();
    // Assess
    expect(pending.records).toEqual([]);
    expect(pending.coveredSequence).toBe('42');
    expect(lines.reduce((sum, l) => sum + (Number(l.PendingSpansLost) || 0), 0)).toBe(6);
  });

  it('reads a set written by the store byte for byte', async () => {
    // Prepare
    const store = memoryStateStore();
    const records = pendedRecords(traceIds(2, 9));
    // Act
    const key = await store.savePending('s', undefined, encodePending(records));
    // Assess
    expect(decodePending(await store.loadPending(key), key)).toEqual(records);
  });
});
