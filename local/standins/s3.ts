/**
 * S3 stand-in: s3rver in-process, disk-backed under `directory`. s3rver knows only the credentials
 * S3RVER/S3RVER (and serves unsigned requests), and path-style addressing (FACTS.md); started with
 * a credential (credentials.ts) it serves only requests signed with that. clients.ts already turns
 * off the streaming checksums whose chunk framing s3rver would store inside objects.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import { s3Client } from '../../lambdas/shared/aws/clients.ts';
import { requireCredentials, type StandInCredentials } from './credentials.ts';
import { PortInUseError, StandInError } from './errors.ts';
import { LOCAL_REGION } from './kinesis.ts';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3StandIn {
  readonly endpoint: string;
  readonly port: number;
  client(): S3Client;
  close(): Promise<void>;
}

export async function startS3StandIn(options: {
  directory: string;
  buckets: readonly string[];
  port?: number;
  resetOnClose?: boolean;
  credentials?: StandInCredentials;
}): Promise<S3StandIn> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    resetOnClose: options.resetOnClose ?? false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const guard = options.credentials;
  if (guard) {
    // s3rver builds its request listener with Koa's callback() when it listens: the check goes in
    // front of it before any request can arrive. s3rver itself knows only the keys of its one
    // account (a process-wide registry), so the credential is added there too.
    const callback = server.callback.bind(server);
    server.callback = () => requireCredentials(guard, 's3', callback());
    DUMMY_ACCOUNT.createKeyPair(guard.accessKeyId, guard.secretAccessKey);
  }
  let port: number;
  try {
    port = (await server.run()).port;
  } catch (error) {
    if (guard) DUMMY_ACCOUNT.revokeAccessKey(guard.accessKeyId);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError('S3 stand-in (s3rver)', options.port ?? 0, { cause: error });
    }
    throw new StandInError(`S3 stand-in (s3rver) failed to start: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    client: () =>
      s3Client({
        endpoint,
        region: LOCAL_REGION,
        credentials: options.credentials ?? S3RVER_CREDENTIALS,
        forcePathStyle: true,
      }),
    close: async () => {
      await server.close();
      if (guard) DUMMY_ACCOUNT.revokeAccessKey(guard.accessKeyId);
    },
  };
}
