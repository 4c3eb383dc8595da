/**
 * Symlink manifests: one text object per (table, partition, shard) listing the Parquet files a
 * query reads, one `s3://bucket/key` per line (Hive's SymlinkTextInputFormat, which Athena reads).
 *
 * A manifest changes only by a conditional PUT (If-Match on the ETag read, If-None-Match: * when
 * creating), so concurrent writers (lanes of one shard, compaction) cannot lose each other's
 * lines: the loser gets 412/409, re-reads and retries. One PUT is atomic, which is what lets
 * compaction replace many files by one without a reader ever seeing both or neither.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_RETRY, type RetryPolicy } from '../dynamodb/trace-table.ts';
import { ManifestConflictError, ObjectStoreError } from '../errors.ts';

export interface Manifest {
  /** Lines (s3:// URIs) in order. */
  readonly lines: readonly string[];
  /** ETag of the object read; undefined when it does not exist. */
  readonly etag: string | undefined;
}

export function manifestLine(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** The object key of a manifest line of this bucket; undefined for another bucket's line. */
export function keyOfLine(bucket: string, line: string): string | undefined {
  const prefix = `s3://${bucket}/`;
  return line.startsWith(prefix) ? line.slice(prefix.length) : undefined;
}

export function parseManifest(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<Manifest> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    return { lines: parseManifest(text), etag: out.ETag };
  } catch (error) {
    if (isMissing(error)) return { lines: [], etag: undefined };
    throw new ObjectStoreError('GET', key, { cause: error });
  }
}

/**
 * Writes `lines` as the manifest if it is still the version `expected` was read from. Resolves
 * false when another writer changed it first (412/409), true when written.
 */
export async function writeManifestIf(
  s3: S3Client,
  bucket: string,
  key: string,
  expected: Manifest,
  lines: readonly string[],
): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: lines.length ? `${lines.join('\n')}\n` : '',
        ContentType: 'text/plain; charset=utf-8',
        ...(expected.etag ? { IfMatch: expected.etag } : { IfNoneMatch: '*' }),
      }),
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw new ObjectStoreError('PUT', key, { cause: error });
  }
}

/**
 * Adds the lines not yet listed and removes the listed lines `superseded` says the new ones
 * replace, in one conditional write; a no-op when nothing changes (a redelivered batch).
 */
export async function addToManifest(
  s3: S3Client,
  bucket: string,
  key: string,
  lines: readonly string[],
  retry: Partial<RetryPolicy> = {},
  superseded: (line: string) => boolean = () => false,
): Promise<void> {
  await updateManifest(
    s3,
    bucket,
    key,
    (current) => {
      const kept = current.filter((line) => lines.includes(line) || !superseded(line));
      const missing = lines.filter((line) => !kept.includes(line));
      return missing.length || kept.length !== current.length ? [...kept, ...missing] : undefined;
    },
    retry,
  );
}

/**
 * Applies `change` to the current lines until a conditional write wins; `change` returning
 * undefined means nothing to write.
 */
export async function updateManifest(
  s3: S3Client,
  bucket: string,
  key: string,
  change: (current: readonly string[]) => readonly string[] | undefined,
  retry: Partial<RetryPolicy> = {},
): Promise<void> {
  const policy = { ...DEFAULT_RETRY, ...retry };
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) {
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
      await policy.sleep(Math.floor(policy.random() * cap));
    }
    const current = await readManifest(s3, bucket, key);
    const next = change(current.lines);
    if (next === undefined) return;
    if (await writeManifestIf(s3, bucket, key, current, next)) return;
  }
  throw new ManifestConflictError(key, policy.maxAttempts);
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

function isConflict(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e.name === 'PreconditionFailed' ||
    e.name === 'ConditionalRequestConflict' ||
    e.$metadata?.httpStatusCode === 412 ||
    e.$metadata?.httpStatusCode === 409
  );
}
