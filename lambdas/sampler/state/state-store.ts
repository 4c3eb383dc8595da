/**
 * Where sampler state survives cold starts: one small JSON object per shard (lane) under the
 * bucket's state/ prefix, and the pending traces it names in objects of their own (pending.ts).
 * Writes are whole-object puts (last writer wins): the event source mapping runs one invocation
 * of a shard (lane) at a time, and a stale attempt stops before it commits (sampler.ts signal).
 * Pending objects are written under a new key each time, so a document never names a half-written
 * one; the one a commit replaced is deleted (DELETE requests are free), and the bucket's lifecycle
 * rule expires any a crash left behind.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BUCKET_PREFIXES } from '../../storage/index.ts';
import {
  PendingTracesLostError,
  PendingUnavailableError,
  StateConflictError,
  StateStoreError,
} from '../errors.ts';
import type { StateDocument } from './sampler-state.ts';

/** A document's version as the store knows it (S3's ETag); null when there is no document. */
export type DocumentVersion = string | null;

export interface VersionedDocument {
  readonly document: StateDocument | undefined;
  readonly version: DocumentVersion;
}

export interface SamplerStateStore {
  /** The shard's own document, undefined if it has none. */
  load(shardId: string): Promise<StateDocument | undefined>;
  /** The same with its version, for a conditional save. */
  loadVersioned(shardId: string): Promise<VersionedDocument>;
  /** Up to `limit` documents of other shards of the same stream. */
  loadOthers(shardId: string, limit: number): Promise<StateDocument[]>;
  /**
   * Writes the document. With `expected`, only if the stored one is still that version (null: only
   * if there is none), else StateConflictError; returns the new version.
   */
  save(document: StateDocument, expected?: DocumentVersion): Promise<DocumentVersion>;
  /** Writes a pending-traces object (pending.ts) under a new key, and returns the key. */
  savePending(stateId: string, coveredSequence: string | undefined, bytes: Uint8Array): Promise<string>;
  loadPending(key: string): Promise<Uint8Array>;
  removePending(key: string): Promise<void>;
}

/** `state/sampler/<stream>/<shardId>.json`: per stream, since shard ids repeat across streams. */
export function stateKey(streamName: string, shardId: string): string {
  return `${statePrefix(streamName)}${shardId}.json`;
}

export function statePrefix(streamName: string): string {
  return `${BUCKET_PREFIXES.state}sampler/${streamName}/`;
}

/** Where pending-traces objects live: apart from the documents, which other shards list. */
export function pendingPrefix(streamName: string): string {
  return `${BUCKET_PREFIXES.pendingState}${streamName}/`;
}

/** `state/pending/<stream>/<stateId>/<covered sequence>-<random>.tsp`: never the same key twice. */
export function pendingKey(streamName: string, stateId: string, coveredSequence: string | undefined): string {
  const suffix = Math.random().toString(36).slice(2, 10);
  return `${pendingPrefix(streamName)}${stateId}/${coveredSequence ?? '0'}-${suffix}.tsp`;
}

export function s3StateStore(s3: S3Client, bucket: string, streamName: string): SamplerStateStore {
  const getVersioned = async (key: string): Promise<VersionedDocument> => {
    let text: string | undefined;
    let version: DocumentVersion = null;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      text = await response.Body?.transformToString('utf8');
      version = response.ETag ?? null;
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return { document: undefined, version: null };
      throw new StateStoreError(`could not read sampler state s3://${bucket}/${key}`, { cause: error });
    }
    return { document: text ? parseStateDocument(text, `s3://${bucket}/${key}`) : undefined, version };
  };
  const get = async (key: string): Promise<StateDocument | undefined> => (await getVersioned(key)).document;
  return {
    load: (shardId) => get(stateKey(streamName, shardId)),
    loadVersioned: (shardId) => getVersioned(stateKey(streamName, shardId)),
    async loadOthers(shardId, limit) {
      const own = stateKey(streamName, shardId);
      let listed: string[];
      try {
        const response = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: statePrefix(streamName), MaxKeys: 1000 }),
        );
        listed = (response.Contents ?? [])
          .map((o) => o.Key)
          .filter((key): key is string => key !== undefined && key !== own && key.endsWith('.json'))
          .slice(0, limit);
      } catch (error) {
        throw new StateStoreError(
          `could not list sampler states in s3://${bucket}/${statePrefix(streamName)}`,
          {
            cause: error,
          },
        );
      }
      const documents = await Promise.all(listed.map(get));
      return documents.filter((d): d is StateDocument => d !== undefined);
    },
    async save(document, expected) {
      const key = stateKey(streamName, document.shardId);
      try {
        const response = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(document),
            ContentType: 'application/json',
            ...(expected === null
              ? { IfNoneMatch: '*' }
              : expected !== undefined
                ? { IfMatch: expected }
                : {}),
          }),
        );
        return response.ETag ?? null;
      } catch (error) {
        if (isConflict(error)) throw new StateConflictError(document.shardId, { cause: error });
        throw new StateStoreError(`could not write sampler state s3://${bucket}/${key}`, { cause: error });
      }
    },
    async savePending(stateId, coveredSequence, bytes) {
      const key = pendingKey(streamName, stateId, coveredSequence);
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      } catch (error) {
        throw new StateStoreError(`could not write pending traces s3://${bucket}/${key}`, { cause: error });
      }
      return key;
    },
    async loadPending(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') throw new PendingTracesLostError(key, 'no such object');
        throw new PendingUnavailableError(key, { cause: error });
      }
    },
    async removePending(key) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw new StateStoreError(`could not delete pending traces s3://${bucket}/${key}`, { cause: error });
      }
    },
  };
}

/** S3's answers to a conditional write that lost: 412 (the version changed) or 409 (a concurrent one). */
function isConflict(error: unknown): boolean {
  const name = (error as Error).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409
  );
}

/** Validates the shape of a stored document; a foreign or corrupt object is an error, not a crash. */
export function parseStateDocument(text: string, source: string): StateDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateStoreError(`sampler state ${source} is not JSON`, { cause: error });
  }
  const doc = value as Partial<StateDocument> | null;
  if (
    doc?.version !== 1 ||
    typeof doc.shardId !== 'string' ||
    typeof doc.savedAtMs !== 'number' ||
    typeof doc.streamShare !== 'number' ||
    !(doc.streamShare > 0) ||
    !doc.sketches ||
    !Array.isArray(doc.sketches.keys) ||
    !doc.rates ||
    !Array.isArray(doc.rates.counts)
  ) {
    throw new StateStoreError(`sampler state ${source} is not a version 1 state document`);
  }
  return doc as StateDocument;
}
