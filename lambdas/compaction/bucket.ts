/** The few S3 operations compaction needs, with failures wrapped in ObjectStoreError. */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectStoreError } from '../storage/index.ts';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? [])
        out.push({ key: object.Key as string, size: object.Size ?? 0 });
      token = page.NextContinuationToken;
    } while (token);
  } catch (error) {
    throw new ObjectStoreError('LIST', prefix, { cause: error });
  }
  return out;
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    throw new ObjectStoreError('GET', key, { cause: error });
  }
}

export async function putBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array | string,
  contentType: string,
): Promise<void> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  } catch (error) {
    throw new ObjectStoreError('PUT', key, { cause: error });
  }
}

/** Deletes keys, 1,000 per request; fails when any key could not be deleted. */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const slice = keys.slice(i, i + 1000);
    try {
      const out = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: slice.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = out.Errors?.[0];
      if (failed) throw new Error(`${failed.Key}: ${failed.Code} ${failed.Message}`);
    } catch (error) {
      throw new ObjectStoreError('DELETE', slice[0] ?? '', { cause: error });
    }
  }
}
