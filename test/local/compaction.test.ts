/**
 * The local compaction schedule: the compaction handler over the S3 stand-in, closed hours only,
 * runs that never overlap, a failed run logged instead of stopping the pipeline, and a last run at
 * stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompactionDeps } from '../../lambdas/compaction/compact.ts';
import type { Logger } from '../../lambdas/shared/log.ts';
import { Metrics } from '../../lambdas/shared/metrics/index.ts';
import { ParquetStore, partitionOf } from '../../lambdas/storage/index.ts';
import { type LocalBucket, tableFiles } from '../../local/analytics.ts';
import { startLocalCompaction } from '../../local/compaction.ts';
import { type GeneratedTrace, generateTraces, writeTraces } from '../support/analytics-data.ts';
import {
  batchRef,
  FIXTURE_NOW_MS,
  type StorageStandIns,
  startStorageStandIns,
  testConfig,
} from '../support/storage.ts';

const NOW_MS = FIXTURE_NOW_MS;
const config = testConfig();

let standIns: StorageStandIns;
let bucket: LocalBucket;
let traces: GeneratedTrace[];
const warnings: string[] = [];
const logger: Logger = {
  log(level, message) {
    if (level === 'warn' || level === 'error') warnings.push(message);
  },
};

function deps(overrides: Partial<CompactionDeps> = {}): CompactionDeps {
  return {
    s3: standIns.s3.client(),
    bucketName: standIns.bucketName,
    storage: config.storage,
    now: () => NOW_MS,
    metrics: new Metrics({ sink: () => {} }),
    logger,
    ...overrides,
  };
}

beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-local-compaction');
  bucket = { s3Directory: standIns.directory, bucketName: standIns.bucketName };
  traces = generateTraces({ count: 24, nowMs: NOW_MS, seed: 11 });
  const parquet = new ParquetStore({
    s3: standIns.s3.client(),
    bucketName: standIns.bucketName,
    storage: config.storage,
  });
  await writeTraces(parquet, traces, 3, (n) => batchRef(n));
});

afterAll(async () => {
  await standIns.close();
});

/** Files per partition (dt=/hour=) of the spans table, as the manifests list them. */
function filesPerHour(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of tableFiles(bucket, 'spans')) {
    const hour = /dt=([^/]+)\/hour=(\d{2})/.exec(file);
    const key = `${hour?.[1]}T${hour?.[2]}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe('startLocalCompaction', () => {
  it('compacts every settled hour to one file and leaves the open ones to the writers', async () => {
    // Prepare: hours that ended more than settleMinutes ago are closed
    const settleMs = config.storage.compaction.settleMinutes * 60_000;
    const closed = (arrivalMs: number): boolean => {
      const start = Math.floor(arrivalMs / 3_600_000) * 3_600_000;
      return start + 3_600_000 + settleMs <= NOW_MS;
    };
    const key = (ms: number): string => {
      const p = partitionOf(ms);
      return `${p.dt}T${p.hour}`;
    };
    const before = filesPerHour();
    const compaction = startLocalCompaction(deps(), 0);
    // Act
    const report = await compaction.run();
    await compaction.stop();
    // Assess
    const after = filesPerHour();
    const closedHours = new Set(
      traces.filter((t) => closed(t.firstArrivalMs)).map((t) => key(t.firstArrivalMs)),
    );
    const openHours = new Set(
      traces.filter((t) => !closed(t.firstArrivalMs)).map((t) => key(t.firstArrivalMs)),
    );
    expect(closedHours.size).toBeGreaterThan(0);
    expect(openHours.size).toBeGreaterThan(0);
    // Every closed shard-hour still in batch files is rewritten, a single batch file included.
    expect(report?.compacted).toBe(closedHours.size);
    for (const hour of closedHours) expect(after.get(hour)).toBe(1);
    for (const hour of openHours) expect(after.get(hour)).toBe(before.get(hour));
    expect(warnings).toEqual([]);
    // A budget for a loaded 2-core machine, not a timed assertion (a few seconds alone).
  }, 120_000);

  it('logs a failed run and resolves, so the pipeline keeps going and the next run retries', async () => {
    // Prepare: a bucket that does not exist
    const compaction = startLocalCompaction(deps({ bucketName: 'no-such-bucket' }), 0);
    // Act
    const report = await compaction.run();
    // Assess
    expect(report).toBeUndefined();
    expect(warnings).toContain('local compaction failed; the next run retries');
    await compaction.stop();
  });

  it('runs one compaction at a time, in call order', async () => {
    // Prepare
    const order: string[] = [];
    let inFlight = 0;
    let overlapped = false;
    const counting = deps();
    const s3 = counting.s3;
    const original = s3.send.bind(s3);
    s3.send = (async (command: never) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      try {
        return await original(command);
      } finally {
        inFlight--;
      }
    }) as typeof s3.send;
    const compaction = startLocalCompaction(counting, 0);
    // Act
    await Promise.all([
      compaction.run().then(() => order.push('first')),
      compaction.run().then(() => order.push('second')),
    ]);
    // Assess
    expect(order).toEqual(['first', 'second']);
    expect(overlapped).toBe(false);
  });
});
