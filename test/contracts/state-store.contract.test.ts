/**
 * One contract for the sampler's state stores: the in-memory double the sampler and fault tests use
 * and the S3 store over s3rver through the real AWS SDK client. Both overwrite a document whole,
 * write each pending set under a new key, read back exactly the bytes written, and treat a pending
 * object that is gone as lost (PendingTracesLostError), never as an empty set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PendingTracesLostError, StateConflictError } from '../../lambdas/sampler/errors.ts';
import { encodePending } from '../../lambdas/sampler/state/pending.ts';
import {
  newSamplerState,
  type StateDocument,
  toStateDocument,
} from '../../lambdas/sampler/state/sampler-state.ts';
import { type SamplerStateStore, s3StateStore } from '../../lambdas/sampler/state/state-store.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { memoryStateStore } from '../support/sampler.ts';
import { type StorageStandIns, startStorageStandIns } from '../support/storage.ts';

let standIns: StorageStandIns;
beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-state-contract');
});
afterAll(async () => {
  await standIns.close();
});

let streams = 0;
/** [name, store, whether the backend enforces conditional writes] */
const stores: Array<[string, () => SamplerStateStore, boolean]> = [
  ['in-memory double', () => memoryStateStore(), true],
  // s3rver ignores If-Match and If-None-Match (measured: every conditional PUT succeeds), so the
  // S3 store's conditional requests are checked against S3's documented answers with a mocked
  // client in test/lambdas/sampler/state/state-store.test.ts instead.
  [
    'S3 store on s3rver',
    () => s3StateStore(standIns.s3.client(), standIns.bucketName, `stream-${++streams}`),
    false,
  ],
];

function documentOf(shardId: string, sketchMs: number): StateDocument {
  const state = newSamplerState(parseConfig({}).sampling, 0, 1);
  state.sketches.record('checkout', 'POST /checkout', sketchMs, 0);
  return toStateDocument(state, shardId, 0.5, 1_000);
}

describe.each(stores)('state store contract: %s', (_name, create, conditional) => {
  it('overwrites a document whole and lists it among the others of its stream', async () => {
    // Prepare
    const store = create();
    // Act
    await store.save(documentOf('shard-1', 10));
    await store.save(documentOf('shard-1', 900));
    await store.save(documentOf('shard-2', 20));
    // Assess
    expect(await store.load('shard-1')).toEqual(documentOf('shard-1', 900));
    expect(await store.load('shard-9')).toBeUndefined();
    expect((await store.loadOthers('shard-1', 10)).map((d) => d.shardId)).toEqual(['shard-2']);
  });

  it('writes each pending set under a new key and reads back the bytes written', async () => {
    // Prepare
    const store = create();
    const first = encodePending([{ data: Uint8Array.of(1, 2, 3), arrivalMs: 5 }]);
    const second = encodePending([{ data: Uint8Array.of(4), arrivalMs: 6 }]);
    // Act
    const a = await store.savePending('shard-1', '100', first);
    const b = await store.savePending('shard-1', '100', second);
    // Assess
    expect(a).not.toBe(b);
    expect(await store.loadPending(a)).toEqual(first);
    expect(await store.loadPending(b)).toEqual(second);
  });

  it('versions a document: read with the version it was saved as', async () => {
    // Prepare
    const store = create();
    // Act
    const absent = await store.loadVersioned('shard-1');
    const version = await store.save(documentOf('shard-1', 10), absent.version);
    const read = await store.loadVersioned('shard-1');
    // Assess
    expect(absent).toEqual({ document: undefined, version: null });
    expect(read.document).toEqual(documentOf('shard-1', 10));
    expect(read.version).toBe(version);
  });

  it.runIf(conditional)('refuses a save over a version other than the one read', async () => {
    // Prepare: two containers read the same version; one saves first
    const store = create();
    await store.save(documentOf('shard-1', 10), null);
    const { version } = await store.loadVersioned('shard-1');
    await store.save(documentOf('shard-1', 20), version);
    // Act
    const late = store.save(documentOf('shard-1', 30), version);
    const created = store.save(documentOf('shard-1', 40), null);
    // Assess
    await expect(late).rejects.toBeInstanceOf(StateConflictError);
    await expect(created).rejects.toBeInstanceOf(StateConflictError);
    expect(await store.load('shard-1')).toEqual(documentOf('shard-1', 20));
  });

  it('treats a deleted pending object as lost, not as empty', async () => {
    // Prepare
    const store = create();
    const key = await store.savePending('shard-1', undefined, encodePending([]));
    // Act
    await store.removePending(key);
    // Assess
    await expect(store.loadPending(key)).rejects.toBeInstanceOf(PendingTracesLostError);
  });
});
