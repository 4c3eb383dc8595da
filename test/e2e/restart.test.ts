/**
 * Restart: the local pipeline is stopped gracefully in the middle of a demo run (traffic still
 * flowing, traces still undecided in the stream) and started again on the same data dir and port.
 * Nothing the endpoint accepted is lost: every accepted error trace is kept exactly once, complete.
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

describe('stopping the local pipeline mid-run and starting it again', () => {
  it('keeps every accepted error trace exactly once and complete', async () => {
    // Prepare: a send delay long enough that traces are still undecided at the stop
    const config = e2eConfig({ sampling: { sendDelaySeconds: 2, baselineProbability: 0.1 } });
    const first = await startTestPipeline(dataDir, config);
    running.push(first);
    const port = Number(new URL(first.endpoints.traces).port);
    let answered = 0;
    let stopped: Promise<TestPipeline> | undefined;
    let errorTracesAtStop = new Set<string>();
    let tracesAtStop = 0;
    const accepted = new AcceptedSpans();

    // Act: stop after 200 of 250 requests (4 s in: the first decisions are out), and start again
    // at once on the same port and data dir while the services keep exporting
    const demo = runDemo(
      first.endpoints,
      {
        workload: { rate: 50, count: 250, errorRate: 0.15, slowRate: 0, seed: 23 },
        exporterOf: (service) => MIXED_EXPORTERS[service],
        slowMs: 1,
        exportDelayMs: 200,
        log: memoryServiceLog([]),
        accepted,
      },
      undefined,
      () => {
        if (++answered !== 200) return;
        stopped = (async () => {
          await first.pipeline.stop();
          running.splice(running.indexOf(first), 1);
          errorTracesAtStop = new Set(accepted.errorTraces);
          tracesAtStop = accepted.byTrace.size;
          const second = await startTestPipeline(dataDir, config, port);
          running.push(second);
          return second;
        })();
      },
    );
    const run = await demo;
    const second = await (stopped as Promise<TestPipeline>);
    const kept = await keptTraces(second.endpoints, run);

    // Assess: the first run decided some traces and left others undecided in the stream
    const decided = (local: TestPipeline) => {
      const { tracesKept, tracesDropped } = local.status.snapshot();
      return [...tracesKept.values(), ...tracesDropped.values()].reduce((a, b) => a + b, 0);
    };
    expect(decided(first)).toBeGreaterThan(0);
    expect(decided(first)).toBeLessThan(tracesAtStop);
    expect(errorTracesAtStop.size).toBeGreaterThan(0);
    expect(run.accepted.errorTraces.size).toBeGreaterThan(errorTracesAtStop.size);
    // A graceful stop checkpoints what it decided, so no trace is decided twice or never
    expect(decided(first) + decided(second)).toBe(run.accepted.byTrace.size);
    expect(first.status.total('SpansAccepted') + second.status.total('SpansAccepted')).toBe(
      run.accepted.spanCount(),
    );
    for (const traceId of run.accepted.errorTraces) {
      const trace = kept.get(traceId);
      const spanIds = trace?.spans.map((s) => s.spanId).sort();
      expect(trace?.summary.sampling.policy, traceId).toBe('errors');
      expect(spanIds, traceId).toEqual([...(run.accepted.byTrace.get(traceId) ?? [])].sort());
    }
    // Exactly once in Parquet too: one trace row, each span once
    const s3 = pipelineS3(second.pipeline);
    let parquet = await parquetTraces(s3);
    await settle(async () => {
      parquet = await parquetTraces(s3);
      return [...run.accepted.errorTraces].every((t) => parquet.traceRows.has(t));
    }, 10_000);
    for (const traceId of run.accepted.errorTraces) {
      expect(parquet.traceRows.get(traceId), traceId).toBe(1);
      expect(parquet.spans.get(traceId)?.sort(), traceId).toEqual(
        kept
          .get(traceId)
          ?.spans.map((s) => s.spanId)
          .sort(),
      );
    }
  }, 60_000);
});
