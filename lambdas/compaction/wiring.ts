/** The compaction function assembled from its environment, clients and telemetry (handler.ts and the local pipeline). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../shared/config/index.ts';
import { functionMetrics, instrumented, type Telemetry } from '../shared/telemetry.ts';
import { createCompactionHandler } from './app.ts';
import type { CompactionDeps } from './compact.ts';
import { rewriteInThread } from './rewrite-thread.ts';

export interface CompactionEnvironment {
  readonly bucketName: string;
  readonly storage: StorageConfig;
}

export interface CompactionClients {
  readonly s3: S3Client;
  readonly now: () => number;
}

export function compactionDeps(
  env: CompactionEnvironment,
  clients: CompactionClients,
  telemetry: Telemetry,
): CompactionDeps {
  return {
    s3: clients.s3,
    bucketName: env.bucketName,
    storage: env.storage,
    now: clients.now,
    metrics: functionMetrics('compaction', telemetry),
    logger: telemetry.logger,
    rewrite: rewriteInThread,
  };
}

export function createCompactionFunction(
  env: CompactionEnvironment,
  clients: CompactionClients,
  telemetry: Telemetry,
) {
  return instrumented(createCompactionHandler(compactionDeps(env, clients, telemetry)), telemetry);
}
