/**
 * The canary function assembled from its environment, clients and telemetry: what handler.ts runs
 * in Lambda and the end-to-end test runs against the local pipeline.
 */
import { functionMetrics, instrumented, type Telemetry } from '../shared/telemetry.ts';
import { createCanaryHandler } from './app.ts';
import type { CanaryApi } from './canary.ts';

export interface CanaryEnvironment {
  /** Where the trace is exported, with an ingest key. */
  readonly ingest: CanaryApi;
  /** Where the trace is read back, with a read key. */
  readonly query: CanaryApi;
  readonly readDeadlineMs: number;
  /** How often the trace is looked for. @default 2,000 ms */
  readonly pollIntervalMs?: number;
}

export interface CanaryClients {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly randomBytes: (n: number) => Uint8Array;
}

export function createCanaryFunction(env: CanaryEnvironment, clients: CanaryClients, telemetry: Telemetry) {
  const handler = createCanaryHandler({
    ingest: env.ingest,
    query: env.query,
    ...clients,
    metrics: functionMetrics('canary', telemetry),
    logger: telemetry.logger,
    readDeadlineMs: env.readDeadlineMs,
    pollIntervalMs: env.pollIntervalMs ?? 2_000,
  });
  return instrumented(handler, telemetry);
}
