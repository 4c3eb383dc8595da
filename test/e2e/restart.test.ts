/**
 * Restart: the local pipeline is stopped gracefully in the middle of a demo run (traffic still
 * flowing, traces still undecided in the stream) and started again on the same data dir and port.
 * Nothing the endpoint accepted is lost: every accepted error trace is kept exactly once and
 * complete, also one whose spans were accepted on both sides of the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import { AcceptedSpans } from '../../demo/telemetry.ts';
import {
  e2eConfig,
  keptTraces,
  MIXED_EXPORTERS,
  parquetTraces,
  pipelineS3,
  settle,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-restart-'));
const running: TestPipeline[] = [];

afterAll(async () => {
  for (const local of running) await local.pipeline.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

/** Traces decided (kept or dropped) by one pipeline, from its sampler's metrics. */
function decided(local: TestPipeline): number {
  const { tracesKept, tracesDropped } = local.status.snapshot();
  return [...tracesKept.values(), ...tracesDropped.values()].reduce((a, b) => a + b, 0);
}

/** Resolves once `condition()` holds (checked every 100 ms); the test's timeout bounds the wait. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('stopping the local pipeline mid-run and starting it again', () => {
  it('keeps every accepted error trace exactly once and complete', async () => {
    // Prepare: a send delay long enough that traces are still undecided at the stop
    const config = e2eConfig({ sampling: { sendDelaySeconds: 2, baselineProbability: 0.1 } });
    const first = await startTestPipeline(dataDir, config);
    running.push(first);
    const port = Number(new URL(first.endpoints.traces).port);
    const accepted = new AcceptedSpans();
    const traffic = new AbortController();

    // Act: traffic until stopped; once the first decisions are out (the moment depends on the
    // machine's load, so it is watched, not timed), stop the pipeline and start it again at once
    // on the same port and data dir while the services keep exporting; stop the traffic once the
    // second pipeline has accepted more traces, error traces among them
    const demo = runDemo(
      first.endpoints,
      {
        workload: { rate: 40, durationSeconds: 600, errorRate: 0.15, slowRate: 0, seed: 23 },
        exporterOf: (service) => MIXED_EXPORTERS[service],
        slowMs: 1,
        exportDelayMs: 200,
        log: memoryServiceLog([]),
        accepted,
      },
      traffic.signal,
    );
    await until(() => decided(first) > 0);
    await first.pipeline.stop();
    running.splice(running.indexOf(first), 1);
    const errorTracesAtStop = new Set(accepted.errorTraces);
    const tracesAtStop = accepted.byTrace.size;
    const spansAtStop = new Map([...accepted.byTrace].map(([traceId, ids]) => [traceId, ids.size]));
    const second = await startTestPipeline(dataDir, config, port);
    running.push(second);
    await until(
      () => accepted.byTrace.size >= tracesAtStop + 30 && accepted.errorTraces.size > errorTracesAtStop.size,
    );
    traffic.abort();
    const run = await demo;
    const kept = await keptTraces(second, run);

    // Assess: the first run decided some traces and left others undecided in the stream
    expect(decided(first)).toBeGreaterThan(0);
    expect(decided(first)).toBeLessThan(tracesAtStop);
    expect(errorTracesAtStop.size).toBeGreaterThan(0);
    expect(run.accepted.errorTraces.size).toBeGreaterThan(errorTracesAtStop.size);
    // A graceful stop checkpoints what it decided, so no trace is decided twice or never
    expect(decided(first) + decided(second)).toBe(run.accepted.byTrace.size);
    expect(first.status.total('SpansAccepted') + second.status.total('SpansAccepted')).toBe(
      run.accepted.spanCount(),
    );
    // Every accepted span was decided once: kept or dropped, in one run or the other
    const spansDecided = (local: TestPipeline): number =>
      local.status.total('SpansKept') + local.status.total('SpansDropped');
    expect(spansDecided(first) + spansDecided(second)).toBe(run.accepted.spanCount());
    // Every error trace is kept and complete, including those whose spans were accepted on both
    // sides of the restart (exported during the outage and retried by the exporter): their late
    // spans follow the decision the first run saved with the shard's state, or the trace is
    // decided whole by the second run, and the store merges each fragment with what it holds
    const errorTraces = [...run.accepted.errorTraces];
    for (const traceId of errorTraces) {
      const trace = kept.get(traceId);
      const spanIds = trace?.spans.map((s) => s.spanId).sort();
      expect(trace?.summary.sampling.policy, traceId).toBe('errors');
      expect(spanIds, traceId).toEqual([...(run.accepted.byTrace.get(traceId) ?? [])].sort());
    }
    // Traces accepted on both sides of the restart exist, and each one kept is complete
    const straddling = [...run.accepted.byTrace].filter(
      ([traceId, ids]) => (spansAtStop.get(traceId) ?? ids.size) < ids.size,
    );
    expect(straddling.length).toBeGreaterThan(0);
    for (const [traceId, ids] of straddling) {
      const trace = kept.get(traceId);
      if (trace) expect(trace.spans.map((s) => s.spanId).sort(), traceId).toEqual([...ids].sort());
    }
    // Exactly once in Parquet too: one trace row, each span once
    const s3 = pipelineS3(second.pipeline);
    let parquet = await parquetTraces(s3);
    await settle(async () => {
      parquet = await parquetTraces(s3);
      return errorTraces.every((t) => parquet.traceRows.has(t));
    }, 10_000);
    for (const traceId of errorTraces) {
      expect(parquet.traceRows.get(traceId), traceId).toBe(1);
      expect(parquet.spans.get(traceId)?.sort(), traceId).toEqual(
        kept
          .get(traceId)
          ?.spans.map((s) => s.spanId)
          .sort(),
      );
    }
  }, 120_000);
});
