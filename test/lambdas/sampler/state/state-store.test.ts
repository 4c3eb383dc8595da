import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StateConflictError, StateStoreError } from '../../../../lambdas/sampler/errors.ts';
import {
  newSamplerState,
  type StateDocument,
  toStateDocument,
} from '../../../../lambdas/sampler/state/sampler-state.ts';
import { parseStateDocument, s3StateStore, stateKey } from '../../../../lambdas/sampler/state/state-store.ts';
import { parseConfig } from '../../../../lambdas/shared/config/index.ts';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const store = s3StateStore(client, 'bucket', 'traces');

function document(shardId: string): StateDocument {
  const state = newSamplerState(parseConfig({}).sampling, 0, 1);
  state.sketches.record('checkout', 'POST /checkout', 12, 0);
  return toStateDocument(state, shardId, 0.5, 1_000);
}

/** The part of the SDK's streaming body the store uses. */
const body = (text: string) =>
  ({ transformToString: async () => text }) as unknown as NonNullable<GetObjectCommandOutput['Body']>;
const named = (name: string, message = name) => Object.assign(new Error(message), { name });

afterEach(() => {
  s3.reset();
});

describe('s3StateStore', () => {
  it('keys state per stream and shard under state/', () => {
    expect(stateKey('traces', 'shardId-000000000001')).toBe('state/sampler/traces/shardId-000000000001.json');
  });

  it('saves a document as JSON', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const doc = document('shardId-1');

    // Act
    await store.save(doc);

    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'bucket',
      Key: 'state/sampler/traces/shardId-1.json',
      Body: JSON.stringify(doc),
      ContentType: 'application/json',
    });
  });

  it('loads its own document', async () => {
    const doc = document('shardId-1');
    s3.on(GetObjectCommand, { Key: 'state/sampler/traces/shardId-1.json' }).resolves({
      Body: body(JSON.stringify(doc)),
    });
    expect(await store.load('shardId-1')).toEqual(doc);
  });

  it('answers undefined when the shard has no document', async () => {
    s3.on(GetObjectCommand).rejects(named('NoSuchKey'));
    expect(await store.load('shardId-1')).toBeUndefined();
  });

  it("loads other shards' documents, not its own", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'state/sampler/traces/shardId-0.json' },
        { Key: 'state/sampler/traces/shardId-1.json' },
        { Key: 'state/sampler/traces/shardId-2.json' },
        { Key: 'state/sampler/traces/notes.txt' },
      ],
    });
    s3.on(GetObjectCommand, { Key: 'state/sampler/traces/shardId-0.json' }).resolves({
      Body: body(JSON.stringify(document('shardId-0'))),
    });
    s3.on(GetObjectCommand, { Key: 'state/sampler/traces/shardId-2.json' }).rejects(named('NoSuchKey'));

    // Act
    const others = await store.loadOthers('shardId-1', 10);

    // Assess
    expect(others.map((d) => d.shardId)).toEqual(['shardId-0']);
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, {
      Bucket: 'bucket',
      Prefix: 'state/sampler/traces/',
    });
  });

  it.each([
    ['reading', () => store.load('shardId-1'), () => s3.on(GetObjectCommand).rejects(named('AccessDenied'))],
    [
      'listing',
      () => store.loadOthers('shardId-1', 10),
      () => s3.on(ListObjectsV2Command).rejects(named('AccessDenied')),
    ],
    [
      'writing',
      () => store.save(document('shardId-1')),
      () => s3.on(PutObjectCommand).rejects(named('SlowDown')),
    ],
  ])('wraps S3 failures when %s in StateStoreError', async (_name, act, arrange) => {
    arrange();
    await expect(act()).rejects.toBeInstanceOf(StateStoreError);
  });

  it.each([
    ['the version read', '"abc"', { IfMatch: '"abc"' }],
    ['no document yet', null, { IfNoneMatch: '*' }],
  ])('saves conditionally on %s', async (_case, expected, condition) => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ ETag: '"def"' });
    // Act
    const version = await store.save(document('shardId-1'), expected);
    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Key: 'state/sampler/traces/shardId-1.json',
      ...condition,
    });
    expect(version).toBe('"def"');
  });

  it.each([
    ['412 PreconditionFailed (the version changed)', 'PreconditionFailed', 412],
    ['409 ConditionalRequestConflict (a concurrent write)', 'ConditionalRequestConflict', 409],
  ])('turns %s into StateConflictError, not a failure to fall back from', async (_case, name, status) => {
    // Prepare
    s3.on(PutObjectCommand).rejects(Object.assign(named(name), { $metadata: { httpStatusCode: status } }));
    // Act
    const saving = store.save(document('shardId-1'), '"abc"');
    // Assess
    await expect(saving).rejects.toBeInstanceOf(StateConflictError);
  });

  it('reads a document with its ETag as its version, and none as null', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: 'state/sampler/traces/shardId-1.json' })
      .resolves({ Body: body(JSON.stringify(document('shardId-1'))), ETag: '"abc"' })
      .on(GetObjectCommand, { Key: 'state/sampler/traces/shardId-2.json' })
      .rejects(named('NoSuchKey'));
    // Act
    const own = await store.loadVersioned('shardId-1');
    const none = await store.loadVersioned('shardId-2');
    // Assess
    expect(own.version).toBe('"abc"');
    expect(own.document?.shardId).toBe('shardId-1');
    expect(none).toEqual({ document: undefined, version: null });
  });

  it('rejects a corrupt object with StateStoreError', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"version":2}') });
    await expect(store.load('shardId-1')).rejects.toThrow(/not a version 1 state document/);
  });
});

describe('parseStateDocument', () => {
  it.each([
    ['not JSON', '{', /is not JSON/],
    ['null', 'null', /not a version 1/],
    ['a wrong share', JSON.stringify({ ...document('s'), streamShare: 0 }), /not a version 1/],
    ['no sketches', JSON.stringify({ ...document('s'), sketches: undefined }), /not a version 1/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseStateDocument(text, 'test')).toThrow(message);
  });
});
