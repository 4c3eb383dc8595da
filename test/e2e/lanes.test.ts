/**
 * Lanes end to end: the local pipeline with three lanes per shard, the poller invoking a shard's
 * batchers at once as the event source mapping's ParallelizationFactor does. Its hash puts lane-0
 * on one batcher and lane-1 with lane-2 on the other, so batches also hold records of two lanes.
 * With baseline 1 every accepted trace must be kept once and complete, in DynamoDB and in Parquet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRun, runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import type { FetchedTrace } from '../../demo/trace-api.ts';
import { batcherOfPartitionKey } from '../../local/poller.ts';
import {
  e2eConfig,
  expectKeptInParquet,
  keptTraces,
  MIXED_EXPORTERS,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';

const LANES = 3;
const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-lanes-'));
let local: TestPipeline;
let run: DemoRun;
let kept: Map<string, FetchedTrace>;

beforeAll(async () => {
  local = await startTestPipeline(
    dataDir,
    e2eConfig({ ingest: { lanes: LANES }, sampling: { baselineProbability: 1 } }),
  );
  run = await runDemo(local.endpoints, {
    workload: { rate: 60, count: 120, errorRate: 0.1, slowRate: 0, seed: 5 },
    exporterOf: (service) => MIXED_EXPORTERS[service],
    slowMs: 1,
    exportDelayMs: 200,
    log: memoryServiceLog([]),
  });
  kept = await keptTraces(local, run);
}, 120_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('three lanes per shard, batchers invoked at once', () => {
  it('puts two lanes on one batcher, so mixed batches are exercised', () => {
    const batchers = Array.from({ length: LANES }, (_, lane) => batcherOfPartitionKey(`lane-${lane}`, LANES));
    expect(new Set(batchers).size).toBeLessThan(LANES);
    expect(new Set(batchers).size).toBeGreaterThan(1);
  });

  it('keeps every accepted trace once and complete in DynamoDB', () => {
    expect(run.accepted.byTrace.size).toBe(run.sent.length);
    expect([...kept.keys()].sort()).toEqual([...run.accepted.byTrace.keys()].sort());
    for (const [traceId, trace] of kept) {
      const accepted = [...(run.accepted.byTrace.get(traceId) ?? [])].sort();
      expect(trace.spans.map((s) => s.spanId).sort(), traceId).toEqual(accepted);
    }
  });

  it('lists every kept span once in the Parquet tables', async () => {
    await expectKeptInParquet(local.pipeline, kept);
  });
});
