/**
 * Kinesis stand-in: kinesalite in-process (in memory, or LevelDB under `path` to persist across
 * restarts). kinesalite needs streams addressed by name and an explicit shard count.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { kinesisClient } from '../../lambdas/shared/aws/clients.ts';
import { guardServer, type StandInCredentials } from './credentials.ts';
import { closeServer, listenOnLoopback } from './listen.ts';

export const LOCAL_REGION = 'us-east-1';
/** What clients sign with when a stand-in is started without a credential (tests): nothing is checked. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface KinesisStandIn {
  readonly endpoint: string;
  readonly port: number;
  client(options?: { maxAttempts?: number }): KinesisClient;
  close(): Promise<void>;
}

export async function startKinesisStandIn(
  options: { port?: number; path?: string; credentials?: StandInCredentials } = {},
): Promise<KinesisStandIn> {
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 1000,
    ...(options.path ? { path: options.path } : {}),
  });
  if (options.credentials) guardServer(server, options.credentials, 'kinesis');
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const port = await listenOnLoopback(server, options.port ?? 0, 'Kinesis stand-in (kinesalite)');
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    client: (clientOptions = {}) =>
      kinesisClient({ endpoint, region: LOCAL_REGION, credentials, ...clientOptions }),
    close: () => closeServer(server),
  };
}

/** Creates the stream unless it exists; resolves when it is ACTIVE. */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let i = 0; i < 100; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}
