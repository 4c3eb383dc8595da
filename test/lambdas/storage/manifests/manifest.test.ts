/** Manifests against aws-sdk-client-mock: conditional writes, conflicts, redelivery no-ops. */

import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestConflictError, ObjectStoreError } from '../../../../lambdas/storage/errors.ts';
import {
  addToManifest,
  keyOfLine,
  manifestLine,
  parseManifest,
} from '../../../../lambdas/storage/manifests/manifest.ts';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const BUCKET = 'data';
const KEY = 'tables/spans/dt=2026-11-24/hour=12/shardId-000000000000.txt';
const noWait = { sleep: async () => {}, maxAttempts: 3 };

/** A GetObject body as the SDK hands it out (only the method manifest.ts uses). */
function body(text: string): NonNullable<GetObjectCommandOutput['Body']> {
  return { transformToString: async () => text } as unknown as NonNullable<GetObjectCommandOutput['Body']>;
}

function conflict(status: 412 | 409) {
  return new S3ServiceException({
    name: status === 412 ? 'PreconditionFailed' : 'ConditionalRequestConflict',
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: 'changed',
  });
}

describe('addToManifest', () => {
  it('creates a missing manifest with If-None-Match: *', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'none', $metadata: {} }));
    s3.on(PutObjectCommand).resolves({});
    // Act
    await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/a.parquet'], noWait);
    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Key: KEY,
      IfNoneMatch: '*',
      Body: 's3://data/a.parquet\n',
    });
  });

  it('appends to an existing manifest with If-Match on its ETag', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body('s3://data/a.parquet\n'), ETag: '"e1"' });
    s3.on(PutObjectCommand).resolves({});
    // Act
    await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/b.parquet'], noWait);
    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      IfMatch: '"e1"',
      Body: 's3://data/a.parquet\ns3://data/b.parquet\n',
    });
  });

  it('unlists the lines the new one supersedes in the same conditional write', async () => {
    // Prepare: a failed attempt's file is listed beside an unrelated one
    s3.on(GetObjectCommand).resolves({
      Body: body('s3://data/other.parquet\ns3://data/failed.parquet\n'),
      ETag: '"e1"',
    });
    s3.on(PutObjectCommand).resolves({});
    // Act
    await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/retry.parquet'], noWait, (line) =>
      line.endsWith('failed.parquet'),
    );
    // Assess
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      IfMatch: '"e1"',
      Body: 's3://data/other.parquet\ns3://data/retry.parquet\n',
    });
  });

  it('keeps its own line listed when the predicate would supersede it (a redelivered batch)', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body('s3://data/a.parquet\n'), ETag: '"e1"' });
    // Act
    await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/a.parquet'], noWait, () => true);
    // Assess
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
  });

  it('writes nothing when the line is listed already (a redelivered batch)', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body('s3://data/a.parquet\n'), ETag: '"e1"' });
    // Act
    await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/a.parquet'], noWait);
    // Assess
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 0);
  });

  it.each([412, 409] as const)(
    're-reads and retries after a %i conflict, keeping the other writer’s line',
    async (status) => {
      // Prepare
      s3.on(GetObjectCommand)
        .resolvesOnce({ Body: body('s3://data/a.parquet\n'), ETag: '"e1"' })
        .resolvesOnce({ Body: body('s3://data/a.parquet\ns3://data/other.parquet\n'), ETag: '"e2"' });
      s3.on(PutObjectCommand).rejectsOnce(conflict(status)).resolves({});
      // Act
      await addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/b.parquet'], noWait);
      // Assess
      expect(s3).toReceiveNthCommandWith(PutObjectCommand, 2, {
        IfMatch: '"e2"',
        Body: 's3://data/a.parquet\ns3://data/other.parquet\ns3://data/b.parquet\n',
      });
    },
  );

  it('gives up with ManifestConflictError when every attempt conflicts', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body(''), ETag: '"e"' });
    s3.on(PutObjectCommand).rejects(conflict(412));
    // Act
    const result = addToManifest(new S3Client({}), BUCKET, KEY, ['s3://data/b.parquet'], noWait);
    // Assess
    await expect(result).rejects.toBeInstanceOf(ManifestConflictError);
    await expect(result).rejects.toMatchObject({ key: KEY, attempts: 3 });
  });

  it.each([
    ['GET', () => s3.on(GetObjectCommand).rejects(new Error('socket hang up'))],
    [
      'PUT',
      () => {
        s3.on(GetObjectCommand).resolves({ Body: body(''), ETag: '"e"' });
        s3.on(PutObjectCommand).rejects(new Error('socket hang up'));
      },
    ],
  ])('reports a failed %s as ObjectStoreError with its cause', async (operation, arrange) => {
    // Prepare
    arrange();
    // Act
    const error = await addToManifest(new S3Client({}), BUCKET, KEY, ['x'], noWait).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toContain(operation);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('manifest lines', () => {
  it('round-trips keys and ignores blank lines', () => {
    expect(keyOfLine(BUCKET, manifestLine(BUCKET, 'data/x.parquet'))).toBe('data/x.parquet');
    expect(keyOfLine('other', manifestLine(BUCKET, 'data/x.parquet'))).toBeUndefined();
    expect(parseManifest('a\n\n b \n')).toEqual(['a', 'b']);
  });
});
