/**
 * Where sampler state survives cold starts: one small JSON object per shard under the bucket's
 * state/ prefix. Writes are whole-object puts (last writer wins): two containers that both served a
 * shard hold nearly the same statistics, so losing one's update costs nothing that matters.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_PREFIXES } from '../../shared/storage/layout.ts';
import { StateStoreError } from '../errors.ts';
import type { StateDocument } from './sampler-state.ts';

export interface SamplerStateStore {
  /** The shard's own document, undefined if it has none. */
  load(shardId: string): Promise<StateDocument | undefined>;
  /** Up to `limit` documents of other shards of the same stream. */
  loadOthers(shardId: string, limit: number): Promise<StateDocument[]>;
  save(document: StateDocument): Promise<void>;
}

/** `state/sampler/<stream>/<shardId>.json`: per stream, since shard ids repeat across streams. */
export function stateKey(streamName: string, shardId: string): string {
  return `${statePrefix(streamName)}${shardId}.json`;
}

export function statePrefix(streamName: string): string {
  return `${BUCKET_PREFIXES.state}sampler/${streamName}/`;
}

export function s3StateStore(s3: S3Client, bucket: string, streamName: string): SamplerStateStore {
  const get = async (key: string): Promise<StateDocument | undefined> => {
    let text: string | undefined;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      text = await response.Body?.transformToString('utf8');
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw new StateStoreError(`could not read sampler state s3://${bucket}/${key}`, { cause: error });
    }
    return text ? parseStateDocument(text, `s3://${bucket}/${key}`) : undefined;
  };
  return {
    load: (shardId) => get(stateKey(streamName, shardId)),
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
    async save(document) {
      const key = stateKey(streamName, document.shardId);
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(document),
            ContentType: 'application/json',
          }),
        );
      } catch (error) {
        throw new StateStoreError(`could not write sampler state s3://${bucket}/${key}`, { cause: error });
      }
    },
  };
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
