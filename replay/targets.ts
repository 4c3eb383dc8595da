/**
 * The clients and names a replay works with: a deployed pipeline's (the default credential chain,
 * the stack's outputs), or the local pipeline's, read from the endpoints file `npm start` writes.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kinesisClient, s3Client } from '../lambdas/shared/aws/clients.ts';
import { BUCKET_NAME, FAILED_BATCHES_PREFIX, STREAM_NAME } from '../local/pipeline.ts';
import type { StandInCredentials } from '../local/standins/credentials.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/standins/kinesis.ts';
import { S3RVER_CREDENTIALS } from '../local/standins/s3.ts';
import type { ReplayTarget } from './command.ts';
import { ReplayUsageError } from './errors.ts';
import { LAMBDA_DESTINATION_PREFIX } from './invocation-record.ts';
import type { ReplayDeps } from './replay.ts';

export function replayDepsOf(target: ReplayTarget, now: () => number): ReplayDeps {
  if (target.kind === 'aws') {
    const region = target.region ? { region: target.region } : {};
    return {
      s3: s3Client(region),
      kinesis: kinesisClient(region),
      bucket: target.bucket,
      prefix: target.prefix,
      streamName: target.stream,
      now,
    };
  }
  const path = join(resolve(target.dataDir), 'endpoints.json');
  let endpoints: { kinesis?: unknown; s3?: unknown; credentials?: StandInCredentials };
  try {
    endpoints = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ReplayUsageError(
      `cannot read ${path} (is \`npm start\` running?): ${(error as Error).message}`,
    );
  }
  if (typeof endpoints.kinesis !== 'string' || typeof endpoints.s3 !== 'string')
    throw new ReplayUsageError(`${path} names no kinesis and s3 endpoints`);
  return {
    s3: s3Client({
      endpoint: endpoints.s3,
      region: LOCAL_REGION,
      // The stand-ins accept only the credential of the run that wrote the file (credentials.ts).
      credentials: endpoints.credentials ?? S3RVER_CREDENTIALS,
      forcePathStyle: true,
    }),
    kinesis: kinesisClient({
      endpoint: endpoints.kinesis,
      region: LOCAL_REGION,
      credentials: endpoints.credentials ?? LOCAL_CREDENTIALS,
    }),
    bucket: BUCKET_NAME,
    prefix: `${FAILED_BATCHES_PREFIX}${LAMBDA_DESTINATION_PREFIX}`,
    streamName: STREAM_NAME,
    now,
  };
}
