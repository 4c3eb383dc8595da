/**
 * Compaction on s3rver (with S3's conditional-write rules enforced, test/support/storage.ts): the
 * rows a query sees through the manifests are the same before, during and after compaction; old
 * files outlive the swap by the grace period; concurrent writers keep their lines.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompactionHandler } from '../../../lambdas/compaction/app.ts';
import { type CompactionDeps, closedHours, compactClosedHours } from '../../../lambdas/compaction/compact.ts';
import { CompactionFailedError } from '../../../lambdas/compaction/errors.ts';
import { type LogFields, type Logger, silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import {
  batchDataKey,
  enrichTrace,
  keyOfLine,
  manifestKey,
  manifestLine,
  ParquetStore,
  parseManifest,
  partitionOf,
  type TraceRowsWrite,
} from '../../../lambdas/storage/index.ts';
import {
  BASE_NS,
  BASELINE,
  batchRef,
  bucketObjects,
  enforceConditionalWrites,
  keptTrace,
  type StorageStandIns,
  startStorageStandIns,
  storeOnStandIns,
  tableRows,
  testConfig,
  testSpan,
} from '../../support/storage.ts';

const HOUR_START = Number(BASE_NS / 1_000_000n); // 2026-11-24T12:00:00Z
const HOUR = partitionOf(HOUR_START);
const SETTLED = HOUR_START + 3_600_000 + 60 * 60_000; // the hour's end + settleMinutes
const config = testConfig({
  storage: { compaction: { settleMinutes: 60, deleteAfterMinutes: 120, lookbackHours: 6 } },
});

let standIns: StorageStandIns;
beforeAll(async () => {
  standIns = await startStorageStandIns();
});
afterAll(async () => {
  await standIns.close();
});

function traceSpans(traceId: string, services: readonly string[]): Span[] {
  return services.map((service, i) =>
    testSpan({
      trace: traceId,
      id: `s${i}`,
      ...(i ? { parent: 's0' } : {}),
      service,
      name: `op-${service}`,
      start: i * 1_000,
      end: 10_000 - i,
      error: service === 'payments',
    }),
  );
}

function deps(now: number, overrides: Partial<CompactionDeps> = {}): CompactionDeps {
  return {
    s3: enforceConditionalWrites(standIns.s3.client()),
    bucketName: standIns.bucketName,
    storage: config.storage,
    now: () => now,
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
    retry: { sleep: async () => {} },
    ...overrides,
  };
}

/** Rows a query sees now, reduced to identity and order-free for comparison. */
async function visible(table: 'spans' | 'traces' | 'edges'): Promise<string[]> {
  const rows = await tableRows(standIns.s3.client(), standIns.bucketName, table);
  return rows
    .map((r) => `${r.trace_id}/${r.span_id ?? r.parent_service ?? ''}/${r.child_service ?? ''}`)
    .sort();
}

async function clearBucket(): Promise<void> {
  const client = standIns.s3.client();
  for (const key of (await bucketObjects(client, standIns.bucketName)).keys()) {
    await client.send(new DeleteObjectCommand({ Bucket: standIns.bucketName, Key: key }));
  }
}

const T1 = 'a1000000000000000000000000000001';
const T2 = 'a2000000000000000000000000000002';
const T3 = 'a3000000000000000000000000000003';
const T4 = 'a4000000000000000000000000000004';

async function writeHour() {
  const { store } = await storeOnStandIns(standIns, config);
  const arrival = { firstArrivalMs: HOUR_START + 5_000 };
  const t1 = traceSpans(T1, ['frontend', 'checkout', 'payments']);
  await store.write(
    [keptTrace(t1, arrival), keptTrace(traceSpans(T2, ['frontend', 'search']), arrival)],
    batchRef(1, 'shardA'),
  );
  const late = lateMailSpan();
  await store.write(
    [
      keptTrace(traceSpans(T3, ['users']), arrival),
      keptTrace([late], { late: true, firstArrivalMs: HOUR_START + 400_000 }),
    ],
    batchRef(2, 'shardA'),
  );
  await store.write([keptTrace(traceSpans(T4, ['frontend', 'orders']), arrival)], batchRef(3, 'shardB'));
  return store;
}

/** A first write of a trace to the analytics tables, as the store makes it. */
function firstWrite(spans: readonly Span[]): TraceRowsWrite {
  const enrichment = enrichTrace(spans[0]?.traceId ?? '', spans, BASELINE, HOUR_START + 5_000);
  return {
    partition: HOUR,
    rows: { spans, enrichment },
    summary: enrichment.summary,
    edges: enrichment.edges,
  };
}

/** A late fragment's rows: its new spans, enriched against the trace known so far; no summary row. */
function lateWrite(known: readonly Span[], fresh: readonly Span[]): TraceRowsWrite {
  const enrichment = enrichTrace(
    fresh[0]?.traceId ?? '',
    [...known, ...fresh],
    BASELINE,
    HOUR_START + 5_000,
    fresh,
  );
  return { partition: HOUR, rows: { spans: fresh, enrichment }, edges: enrichment.edges };
}

/**
 * The hour of writeHour, with T1 stored by two batches (an exporter retry) and its late span
 * written into two files (a redelivered batch): two files of each table hold the same rows.
 */
async function writeHourWithRepeats(): Promise<void> {
  const parquet = new ParquetStore({
    s3: standIns.s3.client(),
    bucketName: standIns.bucketName,
    storage: config.storage,
    retry: { sleep: async () => {} },
  });
  const t1 = traceSpans(T1, ['frontend', 'checkout', 'payments']);
  const late = lateMailSpan();
  await parquet.writeBatch(batchRef(1, 'shardA'), [
    firstWrite(t1),
    firstWrite(traceSpans(T2, ['frontend', 'search'])),
  ]);
  await parquet.writeBatch(batchRef(2, 'shardA'), [firstWrite(t1), firstWrite(traceSpans(T3, ['users']))]);
  await parquet.writeBatch(batchRef(3, 'shardA'), [lateWrite(t1, [late])]);
  await parquet.writeBatch(batchRef(4, 'shardA'), [lateWrite(t1, [late])]);
  await parquet.writeBatch(batchRef(5, 'shardB'), [firstWrite(traceSpans(T4, ['frontend', 'orders']))]);
}

/** Every row a query sees now, in full, order-free. */
async function contents(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of ['spans', 'traces', 'edges'] as const) {
    const rows = await tableRows(standIns.s3.client(), standIns.bucketName, table);
    out[table] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
  }
  return out;
}

/** T1's late notification span, written after its trace by a later batch. */
function lateMailSpan(): Span {
  return testSpan({
    trace: T1,
    id: 'mail',
    parent: 's0',
    service: 'notifications',
    start: 9_000,
    end: 60_000,
  });
}

describe('closedHours', () => {
  it.each([
    ['exactly settleMinutes after the hour ended', SETTLED, '2026-11-24T12'],
    ['1 ms before that', SETTLED - 1, '2026-11-24T11'],
  ])('%s', (_case, now, newest) => {
    // Act
    const hours = closedHours(now, 60, 6);
    // Assess
    const last = hours.at(-1);
    expect(`${last?.dt}T${last?.hour}`).toBe(newest);
    expect(hours.length).toBeLessThanOrEqual(6);
  });
});

describe('compactClosedHours', () => {
  it('replaces each shard-hour by one file per table without losing or repeating a row, and refreshes late traces', async () => {
    // Prepare
    await clearBucket();
    await writeHour();
    const before = {
      spans: await visible('spans'),
      traces: await visible('traces'),
      edges: await visible('edges'),
    };
    const objectsBefore = await bucketObjects(standIns.s3.client(), standIns.bucketName, 'data/');
    // Act
    const report = await compactClosedHours(deps(SETTLED));
    // Assess: the same rows, once each
    expect(await visible('spans')).toEqual(before.spans);
    expect(await visible('traces')).toEqual(before.traces);
    expect(await visible('edges')).toEqual(before.edges);
    for (const shard of ['shardA', 'shardB']) {
      const manifest = (
        await bucketObjects(standIns.s3.client(), standIns.bucketName, manifestKey('spans', HOUR, shard))
      )
        .values()
        .next().value;
      const lines = parseManifest(Buffer.from(manifest as Uint8Array).toString('utf8'));
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(/\/compacted-[\w-]+\.parquet$/);
    }
    expect(report).toMatchObject({ compacted: 2, deletedFiles: 0 });
    // the late notifications span is in T1's summary and trace-level columns now
    const traces = await tableRows(standIns.s3.client(), standIns.bucketName, 'traces');
    expect(traces.find((t) => t.trace_id === T1)).toMatchObject({ span_count: 4, duration_nano: 60_000n });
    const spans = (await tableRows(standIns.s3.client(), standIns.bucketName, 'spans')).filter(
      (s) => s.trace_id === T1,
    );
    expect(new Set(spans.map((s) => s.trace_duration_nano))).toEqual(new Set([60_000n]));
    const onPath = spans.reduce((sum, s) => sum + (s.critical_path_nano as bigint), 0n);
    expect(onPath).toBe(10_000n); // the root's duration: the late span starts inside it, ends outside
    // every replaced file is still there for queries that read the old manifests
    const after = await bucketObjects(standIns.s3.client(), standIns.bucketName, 'data/');
    for (const key of objectsBefore.keys()) expect(after.has(key), key).toBe(true);
  });

  it('deletes replaced files only after deleteAfterMinutes, and never a listed file', async () => {
    // Prepare
    await clearBucket();
    await writeHour();
    const small = [...(await bucketObjects(standIns.s3.client(), standIns.bucketName, 'data/')).keys()];
    await compactClosedHours(deps(SETTLED));
    // Act
    const early = await compactClosedHours(deps(SETTLED + 120 * 60_000 - 1));
    const due = await compactClosedHours(deps(SETTLED + 120 * 60_000));
    // Assess
    expect(early.deletedFiles).toBe(0);
    expect(due.deletedFiles).toBe(small.length);
    const left = await bucketObjects(standIns.s3.client(), standIns.bucketName, 'data/');
    for (const key of small) expect(left.has(key), key).toBe(false);
    expect([...left.keys()].every((k) => /\/compacted-/.test(k))).toBe(true);
    expect((await visible('spans')).length).toBe(3 + 1 + 2 + 1 + 2);
  });

  it('does nothing on a second run, and compacts files that arrived after the first one in with it', async () => {
    // Prepare
    await clearBucket();
    const store = await writeHour();
    await compactClosedHours(deps(SETTLED));
    // Act
    const idle = await compactClosedHours(deps(SETTLED + 60_000));
    const lateSpan = testSpan({ trace: T3, id: 'x', parent: 's0', service: 'users', start: 5, end: 6 });
    await store.write([keptTrace([lateSpan], { late: true })], batchRef(9, 'shardA'));
    const again = await compactClosedHours(deps(SETTLED + 120_000));
    // Assess
    expect(idle.compacted).toBe(0);
    expect(again.compacted).toBe(1);
    const spans = await visible('spans');
    expect(spans.filter((s) => s.startsWith(`${T3}/`)).length).toBe(2);
    expect(new Set(spans).size).toBe(spans.length);
  });

  it('keeps a line a writer added between its read and its swap', async () => {
    // Prepare
    await clearBucket();
    const store = await writeHour();
    const spansManifest = manifestKey('spans', HOUR, 'shardA');
    let injected = false;
    const s3 = enforceConditionalWrites(standIns.s3.client(), async (key) => {
      if (key !== spansManifest || injected) return;
      injected = true;
      const lateSpan = testSpan({ trace: T2, id: 'y', parent: 's0', service: 'search', start: 7, end: 8 });
      await store.write([keptTrace([lateSpan], { late: true })], batchRef(7, 'shardA'));
    });
    // Act
    await compactClosedHours(deps(SETTLED, { s3 }));
    // Assess
    expect(injected).toBe(true);
    const manifest = (await bucketObjects(standIns.s3.client(), standIns.bucketName, spansManifest)).get(
      spansManifest,
    );
    const lines = parseManifest(Buffer.from(manifest as Uint8Array).toString('utf8'));
    expect(lines.length).toBe(2);
    expect(lines).toContain(
      manifestLine(standIns.bucketName, batchDataKey('spans', HOUR, batchRef(7, 'shardA'))),
    );
    const t2 = (await visible('spans')).filter((s) => s.startsWith(`${T2}/`));
    expect(t2.length).toBe(3);
    expect(new Set(t2).size).toBe(3);
  });

  it('lists each span, trace and edge once above maxInputBytes, as below it, when two files hold a span', async () => {
    // Prepare: the same input compacted in one go (the default limit) ...
    await clearBucket();
    await writeHourWithRepeats();
    await compactClosedHours(deps(SETTLED));
    const whole = await contents();
    await clearBucket();
    await writeHourWithRepeats();
    const tight = { ...config.storage, compaction: { ...config.storage.compaction, maxInputBytes: 1 } };
    const logged: { message: string; fields: LogFields }[] = [];
    const logger: Logger = { log: (_level, message, fields = {}) => void logged.push({ message, fields }) };
    // Act: ... and in trace buckets
    const report = await compactClosedHours(deps(SETTLED, { storage: tight, logger }));
    // Assess
    const bucketed = await contents();
    expect(bucketed).toEqual(whole);
    const spans = await visible('spans');
    expect(new Set(spans).size).toBe(spans.length);
    expect(spans.filter((s) => s.startsWith(`${T1}/`)).length).toBe(4);
    expect((await visible('traces')).length).toBe(4);
    const t1Edges = (await tableRows(standIns.s3.client(), standIns.bucketName, 'edges')).filter(
      (e) => e.trace_id === T1,
    );
    expect(t1Edges.map((e) => `${e.parent_service}>${e.child_service}:${e.call_count}`).sort()).toEqual([
      'frontend>checkout:1',
      'frontend>notifications:1',
      'frontend>payments:1',
    ]);
    const traces = await tableRows(standIns.s3.client(), standIns.bucketName, 'traces');
    expect(traces.find((t) => t.trace_id === T1)).toMatchObject({ span_count: 4, duration_nano: 60_000n });
    // shardA's traces went to more than one bucket, merged back into one file per table
    const rewrite = logged.find((l) => l.message.includes('trace buckets') && l.fields.shard === 'shardA');
    expect(rewrite?.fields.buckets).toBeGreaterThan(1);
    expect(report.outputFiles).toBe(2 * 3);
  });

  it('fails that shard-hour, and leaves its manifest as it is, when a listed file is missing', async () => {
    // Prepare
    await clearBucket();
    await writeHour();
    const client = standIns.s3.client();
    const manifest = manifestKey('spans', HOUR, 'shardB');
    const before = (await bucketObjects(client, standIns.bucketName, manifest)).get(manifest);
    const listed = parseManifest(Buffer.from(before as Uint8Array).toString('utf8'));
    await client.send(
      new DeleteObjectCommand({
        Bucket: standIns.bucketName,
        Key: keyOfLine(standIns.bucketName, listed[0] as string),
      }),
    );
    // Act
    const result = compactClosedHours(deps(SETTLED));
    // Assess
    await expect(result).rejects.toBeInstanceOf(CompactionFailedError);
    await expect(result).rejects.toMatchObject({ failures: [expect.objectContaining({ shard: 'shardB' })] });
    expect((await bucketObjects(client, standIns.bucketName, manifest)).get(manifest)).toEqual(before);
    const shardA = (await bucketObjects(client, standIns.bucketName, manifestKey('spans', HOUR, 'shardA')))
      .values()
      .next().value;
    expect(Buffer.from(shardA as Uint8Array).toString('utf8')).toMatch(/compacted-/);
  });

  it('runs as a scheduled Lambda and reports what it did', async () => {
    // Prepare
    await clearBucket();
    await writeHour();
    const handler = createCompactionHandler(deps(SETTLED));
    // Act
    const report = await handler({} as never, {} as never);
    // Assess
    // two shards, each with spans, traces and cross-service edges: one file per table each
    expect(report).toMatchObject({ compacted: 2, outputFiles: 2 * 3 });
  });
});
