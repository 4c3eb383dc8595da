/** Lambda entry point of the ingest function: its environment, clients and telemetry, into wiring.ts. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { kinesisClient } from '../shared/aws/clients.ts';
import { functionEnvironment } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { type HashKeyring, keyringOf, needsHashKeys } from './hash-keys.ts';
import { createIngestFunction } from './wiring.ts';

const env = functionEnvironment();

/** The `hash` redaction keys from their secret, once per container (a failure fails the cold start). */
async function hashKeysOf(): Promise<HashKeyring | undefined> {
  if (!needsHashKeys(env.config)) return undefined;
  const secretId = env.redactionKeysSecret();
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  return keyringOf(secret.SecretString ?? '', env.config.redaction.hashKeys, `secret ${secretId}`);
}

export const handler = createIngestFunction(
  { config: env.config, streamName: env.streamName(), hashKeys: await hashKeysOf() },
  // Ingest runs its own retry loop with a deadline (put-records.ts); SDK retries would stretch it.
  { kinesis: kinesisClient({ maxAttempts: 1, requestTimeoutMs: 3_000 }), now: Date.now },
  lambdaTelemetry('ingest'),
);
