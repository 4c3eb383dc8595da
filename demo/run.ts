/** One demo run: start the services, send the workload, flush every span; the ground truth comes back. */
import type { DemoEndpoints } from './endpoints.ts';
import type { ServiceLog } from './service-log.ts';
import { type DemoService, startDemoServices } from './services.ts';
import { type AcceptedSpans, type ExporterChoice, installContextManager } from './telemetry.ts';
import { runWorkload, type SentRequest, type WorkloadOptions } from './workload.ts';

export interface DemoRunOptions {
  readonly workload: WorkloadOptions;
  readonly exporterOf: (service: DemoService) => ExporterChoice;
  readonly slowMs: number;
  readonly exportDelayMs: number;
  readonly log: ServiceLog;
  /** Where accepted spans are recorded; a caller watching the run as it goes passes its own. */
  readonly accepted?: AcceptedSpans;
}

export interface DemoRun {
  readonly sent: readonly SentRequest[];
  readonly accepted: AcceptedSpans;
}

export async function runDemo(
  endpoints: Pick<DemoEndpoints, 'traces' | 'apiKey'>,
  options: DemoRunOptions,
  signal?: AbortSignal,
  onSent?: (sent: SentRequest) => void,
): Promise<DemoRun> {
  installContextManager();
  const services = await startDemoServices({
    target: { url: endpoints.traces, apiKey: endpoints.apiKey, exportDelayMs: options.exportDelayMs },
    exporterOf: options.exporterOf,
    log: options.log,
    seed: options.workload.seed,
    slowMs: options.slowMs,
    ...(options.accepted ? { accepted: options.accepted } : {}),
  });
  try {
    const sent = await runWorkload(services.frontendUrl, options.workload, signal, onSent);
    return { sent, accepted: services.accepted };
  } finally {
    await services.stop();
  }
}
