/**
 * Every named query on DuckDB over Parquet written by the real ParquetStore into the S3 stand-in,
 * each answer worked out here from the generated spans (not from the code under test); then the
 * same answers after a redelivered batch and after compaction of every shard-hour, which must
 * neither duplicate nor lose a row. Plus the failure paths of the local query engine.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNamedQueries, type NamedQuery } from '../../athena/named-queries.ts';
import { compactShardHour } from '../../lambdas/compaction/compact.ts';
import { rewriteInThread } from '../../lambdas/compaction/rewrite-thread.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { Metrics } from '../../lambdas/shared/metrics/index.ts';
import { StatusCode } from '../../lambdas/shared/span/model.ts';
import { ParquetStore, partitionInKey } from '../../lambdas/storage/index.ts';
import {
  type LocalAnalytics,
  type LocalBucket,
  openLocalAnalytics,
  tableFiles,
} from '../../local/analytics.ts';
import {
  MissingLocalObjectError,
  NoLocalDataError,
  QueryFailedError,
  QueryParameterError,
} from '../../local/errors.ts';
import { type GeneratedTrace, generateTraces, traceWrites, writeTraces } from '../support/analytics-data.ts';
import {
  batchRef,
  bucketObjects,
  type StorageStandIns,
  startStorageStandIns,
  testConfig,
} from '../support/storage.ts';
import { wallClockMs } from '../support/wall-clock.ts';

// The named queries filter by DuckDB's own current_timestamp: fixtures must be as old as it says.
const NOW_MS = wallClockMs();
const HOUR_MS = 3_600_000;
const config = testConfig();
const queries = new Map(loadNamedQueries().map((q) => [q.name, q]));

function named(name: string): NamedQuery {
  const query = queries.get(name);
  if (!query) throw new Error(`no named query ${name}`);
  return query;
}

let standIns: StorageStandIns;
let bucket: LocalBucket;
let traces: GeneratedTrace[];

beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-analytics');
  bucket = { s3Directory: standIns.directory, bucketName: standIns.bucketName };
  traces = generateTraces({ count: 160, nowMs: NOW_MS });
  const parquet = new ParquetStore({
    s3: standIns.s3.client(),
    bucketName: standIns.bucketName,
    storage: config.storage,
  });
  await writeTraces(parquet, traces, 4, (n) => batchRef(n));
});

afterAll(async () => {
  await standIns.close();
});

async function withAnalytics<T>(run: (analytics: LocalAnalytics) => Promise<T>): Promise<T> {
  const analytics = await openLocalAnalytics(bucket);
  try {
    return await run(analytics);
  } finally {
    analytics.close();
  }
}

const ms = (ns: bigint | number): number => Number(ns) / 1e6;
const durationNs = (t: GeneratedTrace): bigint => {
  const root = t.spans.find((s) => s.parentSpanId === '');
  if (!root) throw new Error('no root');
  return root.endTimeUnixNano - root.startTimeUnixNano;
};
const spanStartMs = (ns: bigint): number => Number(ns / 1_000_000n);
const inLastDay = (startNs: bigint): boolean => spanStartMs(startNs) >= NOW_MS - 24 * HOUR_MS;
const isError = (code: number): boolean => code === StatusCode.ERROR;
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Critical path by construction: sequential leaf children are wholly on it, the root has the rest. */
function criticalPathOf(trace: GeneratedTrace): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let children = 0n;
  for (const span of trace.spans) {
    if (span.parentSpanId === '') continue;
    const d = span.endTimeUnixNano - span.startTimeUnixNano;
    out.set(span.spanId, d);
    children += d;
  }
  const root = trace.spans.find((s) => s.parentSpanId === '');
  if (root) out.set(root.spanId, durationNs(trace) - children);
  return out;
}

function normalise(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  // DuckDB's JSON gives BIGINT as strings; the expectations use numbers.
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
    ),
  );
}

const expected = {
  slowTraces(service: string, minMs: number) {
    return traces
      .filter(
        (t) =>
          t.spans[0]?.resource.serviceName === service &&
          t.startMs >= NOW_MS - HOUR_MS &&
          durationNs(t) >= BigInt(minMs) * 1_000_000n,
      )
      .sort((a, b) => Number(durationNs(b) - durationNs(a)) || byText(a.traceId, b.traceId))
      .map((t) => ({ trace_id: t.traceId, duration_ms: ms(durationNs(t)) }));
  },
  errorTraces() {
    const groups = new Map<
      string,
      {
        service: string;
        name: string;
        traces: Set<string>;
        spans: number;
        weight: number;
        latest: [bigint, string];
      }
    >();
    for (const t of traces)
      for (const s of t.spans) {
        if (!isError(s.status.code) || !inLastDay(s.startTimeUnixNano)) continue;
        const key = `${s.resource.serviceName}\u0000${s.name}`;
        const g = groups.get(key) ?? {
          service: s.resource.serviceName,
          name: s.name,
          traces: new Set<string>(),
          spans: 0,
          weight: 0,
          latest: [-1n, ''] as [bigint, string],
        };
        g.traces.add(t.traceId);
        g.spans++;
        g.weight += t.adjustedCount;
        if (s.startTimeUnixNano > g.latest[0]) g.latest = [s.startTimeUnixNano, t.traceId];
        groups.set(key, g);
      }
    return [...groups.values()]
      .sort((a, b) => b.traces.size - a.traces.size || byText(a.service, b.service) || byText(a.name, b.name))
      .map((g) => ({
        service_name: g.service,
        operation: g.name,
        error_traces: g.traces.size,
        error_spans: g.spans,
        estimated_error_spans: g.weight,
        latest_trace_id: g.latest[1],
      }));
  },
  latencyPercentiles() {
    const groups = new Map<string, { service: string; name: string; spans: { d: bigint; w: number }[] }>();
    for (const t of traces)
      for (const s of t.spans) {
        if (!inLastDay(s.startTimeUnixNano)) continue;
        const key = `${s.resource.serviceName}\u0000${s.name}`;
        const g = groups.get(key) ?? { service: s.resource.serviceName, name: s.name, spans: [] };
        g.spans.push({ d: s.endTimeUnixNano - s.startTimeUnixNano, w: t.adjustedCount });
        groups.set(key, g);
      }
    const weighted = (spans: { d: bigint; w: number }[], q: number): number => {
      const total = spans.reduce((sum, s) => sum + s.w, 0);
      let below = 0;
      for (const s of spans) {
        below += s.w;
        if (below >= q * total) return ms(s.d);
      }
      throw new Error('unreachable');
    };
    return [...groups.values()]
      .sort((a, b) => byText(a.service, b.service) || byText(a.name, b.name))
      .map((g) => {
        const sorted = [...g.spans].sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
        return {
          service_name: g.service,
          operation: g.name,
          kept_spans: sorted.length,
          estimated_spans: sorted.reduce((sum, s) => sum + s.w, 0),
          p50_ms: weighted(sorted, 0.5),
          p90_ms: weighted(sorted, 0.9),
          p99_ms: weighted(sorted, 0.99),
        };
      });
  },
  requestCounts() {
    const groups = new Map<
      string,
      { hour: number; service: string; name: string; n: number; w: number; f: number }
    >();
    for (const t of traces) {
      if (t.startMs < NOW_MS - 24 * HOUR_MS) continue;
      const root = t.spans[0];
      if (!root) continue;
      const hour = Math.floor(t.startMs / HOUR_MS) * HOUR_MS;
      const key = `${hour}\u0000${root.resource.serviceName}\u0000${root.name}`;
      const g = groups.get(key) ?? {
        hour,
        service: root.resource.serviceName,
        name: root.name,
        n: 0,
        w: 0,
        f: 0,
      };
      g.n++;
      g.w += t.adjustedCount;
      if (t.spans.some((s) => isError(s.status.code))) g.f += t.adjustedCount;
      groups.set(key, g);
    }
    const stamp = (epochMs: number): string => {
      const iso = new Date(epochMs).toISOString();
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+00`;
    };
    return [...groups.values()]
      .sort((a, b) => a.hour - b.hour || byText(a.service, b.service) || byText(a.name, b.name))
      .map((g) => ({
        hour_start: stamp(g.hour),
        root_service: g.service,
        operation: g.name,
        kept_traces: g.n,
        estimated_requests: g.w,
        estimated_failed_requests: g.f,
      }));
  },
  serviceDependencies() {
    const groups = new Map<
      string,
      {
        parent: string;
        child: string;
        traces: number;
        calls: number;
        w: number;
        fw: number;
        dw: number;
        max: number;
      }
    >();
    for (const t of traces) {
      if (t.startMs < NOW_MS - 24 * HOUR_MS) continue;
      const root = t.spans[0];
      if (!root) continue;
      const pairs = new Set<string>();
      for (const s of t.spans.slice(1)) {
        if (s.resource.serviceName === root.resource.serviceName) continue;
        const key = `${root.resource.serviceName}\u0000${s.resource.serviceName}`;
        const g = groups.get(key) ?? {
          parent: root.resource.serviceName,
          child: s.resource.serviceName,
          traces: 0,
          calls: 0,
          w: 0,
          fw: 0,
          dw: 0,
          max: 0,
        };
        if (!pairs.has(key)) g.traces++;
        pairs.add(key);
        const d = Number(s.endTimeUnixNano - s.startTimeUnixNano);
        g.calls++;
        g.w += t.adjustedCount;
        if (isError(s.status.code)) g.fw += t.adjustedCount;
        g.dw += d * t.adjustedCount;
        g.max = Math.max(g.max, d);
        groups.set(key, g);
      }
    }
    return [...groups.values()]
      .sort((a, b) => b.w - a.w || byText(a.parent, b.parent) || byText(a.child, b.child))
      .map((g) => ({
        parent_service: g.parent,
        child_service: g.child,
        kept_traces: g.traces,
        kept_calls: g.calls,
        estimated_calls: g.w,
        estimated_failed_calls: g.fw,
        mean_duration_ms: g.dw / g.w / 1e6,
        max_duration_ms: g.max / 1e6,
      }));
  },
  criticalPath(rootService: string, rootName: string, minMs: number) {
    const groups = new Map<
      string,
      { service: string; name: string; traces: Set<string>; cp: bigint; w: number }
    >();
    for (const t of traces) {
      const root = t.spans[0];
      if (root?.resource.serviceName !== rootService || root.name !== rootName) continue;
      if (durationNs(t) < BigInt(minMs) * 1_000_000n) continue;
      const path = criticalPathOf(t);
      for (const s of t.spans) {
        const cp = path.get(s.spanId) ?? 0n;
        if (cp === 0n || !inLastDay(s.startTimeUnixNano)) continue;
        const key = `${s.resource.serviceName}\u0000${s.name}`;
        const g = groups.get(key) ?? {
          service: s.resource.serviceName,
          name: s.name,
          traces: new Set<string>(),
          cp: 0n,
          w: 0,
        };
        g.traces.add(t.traceId);
        g.cp += cp;
        g.w += Number(cp) * t.adjustedCount;
        groups.set(key, g);
      }
    }
    const total = [...groups.values()].reduce((sum, g) => sum + g.w, 0);
    return [...groups.values()]
      .map((g) => ({
        service_name: g.service,
        operation: g.name,
        traces: g.traces.size,
        critical_path_ms: ms(g.cp),
        critical_path_share: g.w / total,
      }))
      .sort(
        (a, b) =>
          b.critical_path_share - a.critical_path_share ||
          byText(a.service_name, b.service_name) ||
          byText(a.operation, b.operation),
      );
  },
  traceSpans(trace: GeneratedTrace) {
    const path = criticalPathOf(trace);
    return [...trace.spans]
      .sort((a, b) =>
        a.startTimeUnixNano === b.startTimeUnixNano
          ? byText(a.spanId, b.spanId)
          : a.startTimeUnixNano < b.startTimeUnixNano
            ? -1
            : 1,
      )
      .map((s) => ({
        span_id: s.spanId,
        service_name: s.resource.serviceName,
        duration_ms: ms(s.endTimeUnixNano - s.startTimeUnixNano),
        critical_path_ms: ms(path.get(s.spanId) ?? 0n),
        status_code: isError(s.status.code) ? 'ERROR' : 'UNSET',
      }));
  },
};

/** Durations of recent frontend traces, for thresholds that cut through the data. */
function recentDurationsMs(service: string): number[] {
  return traces
    .filter((t) => t.spans[0]?.resource.serviceName === service && t.startMs >= NOW_MS - HOUR_MS)
    .map((t) => ms(durationNs(t)))
    .sort((a, b) => a - b);
}

const pick = <T extends object>(rows: readonly T[], keys: readonly string[]) =>
  rows.map((r) => Object.fromEntries(keys.map((k) => [k, (r as Record<string, unknown>)[k]])));

/** Every named query's answer, for the before/after comparisons. */
async function allAnswers(analytics: LocalAnalytics) {
  const frontend = recentDurationsMs('frontend');
  const threshold = frontend[Math.floor(frontend.length / 2)] ?? 0;
  const one = traces.find((t) => t.startMs >= NOW_MS - HOUR_MS) ?? (traces[0] as GeneratedTrace);
  return {
    slow: await analytics.named(named('slow-traces'), {
      service: 'frontend',
      min_duration_ms: String(threshold),
    }),
    errors: await analytics.named(named('error-traces'), {}),
    latency: await analytics.named(named('latency-percentiles'), {}),
    requests: await analytics.named(named('request-counts'), {}),
    dependencies: await analytics.named(named('service-dependencies'), {}),
    criticalPath: await analytics.named(named('critical-path'), {
      root_service: 'frontend',
      root_operation: 'POST /checkout',
      min_duration_ms: '200',
    }),
    traceSpans: await analytics.named(named('trace-spans'), { trace_id: one.traceId }),
  };
}

describe('named queries on DuckDB over the local Parquet', () => {
  it('has data in every window the queries look at (the generator covers them)', () => {
    // Prepare / Act: the generated traces
    const ages = traces.map((t) => NOW_MS - t.startMs);
    // Assess: some in the last hour, some in the last day only, some older
    expect(ages.some((a) => a < HOUR_MS)).toBe(true);
    expect(ages.some((a) => a > HOUR_MS && a < 24 * HOUR_MS)).toBe(true);
    expect(ages.some((a) => a > 24 * HOUR_MS)).toBe(true);
    expect(traces.some((t) => t.spans.some((s) => isError(s.status.code)))).toBe(true);
  });

  const durations = () => recentDurationsMs('frontend');
  it.each([
    ['below every trace', () => 0],
    ['equal to a trace duration (inclusive)', () => durations()[Math.floor(durations().length / 2)] ?? 0],
    ['one ms above that trace', () => (durations()[Math.floor(durations().length / 2)] ?? 0) + 1],
    ['above every trace', () => (durations().at(-1) ?? 0) + 1],
  ])('slow-traces: the last hour of frontend, threshold %s', async (_, threshold) => {
    // Prepare
    const min = threshold();
    // Act
    const result = await withAnalytics((a) =>
      a.named(named('slow-traces'), { service: 'frontend', min_duration_ms: String(min) }),
    );
    // Assess
    expect(pick(result.rows, ['trace_id', 'duration_ms'])).toEqual(expected.slowTraces('frontend', min));
  });

  it('slow-traces: a trace whose duration equals the threshold is listed', async () => {
    // Prepare
    const min = durations()[0] ?? 0;
    // Act
    const result = await withAnalytics((a) =>
      a.named(named('slow-traces'), { service: 'frontend', min_duration_ms: String(min) }),
    );
    // Assess
    expect(result.rows.map((r) => r.duration_ms)).toContain(min);
  });

  it('error-traces: per service and operation of the failing span, last 24 hours', async () => {
    const result = await withAnalytics((a) => a.named(named('error-traces'), {}));
    expect(result.rows.length).toBeGreaterThan(0);
    expect(normalise(result.rows)).toEqual(expected.errorTraces());
  });

  it('latency-percentiles (DuckDB variant): exact weighted nearest-rank percentiles', async () => {
    const result = await withAnalytics((a) => a.named(named('latency-percentiles'), {}));
    expect(normalise(result.rows)).toEqual(expected.latencyPercentiles());
  });

  it('request-counts: kept traces and estimated requests per hour, root service and operation', async () => {
    const result = await withAnalytics((a) => a.named(named('request-counts'), {}));
    expect(normalise(result.rows)).toEqual(expected.requestCounts());
  });

  it('service-dependencies: calls between services re-weighted by adjusted count', async () => {
    const result = await withAnalytics((a) => a.named(named('service-dependencies'), {}));
    const rows = normalise(result.rows);
    const want = expected.serviceDependencies();
    expect(rows.map((r) => ({ ...r, mean_duration_ms: 0 }))).toEqual(
      want.map((r) => ({ ...r, mean_duration_ms: 0 })),
    );
    rows.forEach((row, i) => {
      expect(row.mean_duration_ms as number).toBeCloseTo(want[i]?.mean_duration_ms ?? Number.NaN, 6);
    });
  });

  it.each([0, 200, 400])(
    'critical-path: contributors of frontend POST /checkout traces of at least %i ms',
    async (minMs) => {
      const result = await withAnalytics((a) =>
        a.named(named('critical-path'), {
          root_service: 'frontend',
          root_operation: 'POST /checkout',
          min_duration_ms: String(minMs),
        }),
      );
      const rows = normalise(result.rows);
      const want = expected.criticalPath('frontend', 'POST /checkout', minMs);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => ({ ...r, critical_path_share: 0 }))).toEqual(
        want.map((r) => ({ ...r, critical_path_share: 0 })),
      );
      rows.forEach((row, i) => {
        expect(row.critical_path_share as number).toBeCloseTo(want[i]?.critical_path_share ?? Number.NaN, 9);
      });
    },
  );

  it('trace-spans: one trace in start order with its critical path', async () => {
    const trace = traces[5] as GeneratedTrace;
    const result = await withAnalytics((a) => a.named(named('trace-spans'), { trace_id: trace.traceId }));
    expect(
      pick(result.rows, ['span_id', 'service_name', 'duration_ms', 'critical_path_ms', 'status_code']),
    ).toEqual(expected.traceSpans(trace));
  });

  it('trace-spans: an unknown trace id gives no rows', async () => {
    const result = await withAnalytics((a) => a.named(named('trace-spans'), { trace_id: 'f'.repeat(32) }));
    expect(result.rows).toEqual([]);
  });

  it('gives the same answers after a redelivered batch and after compacting every shard-hour (in worker threads)', async () => {
    // Prepare
    const before = await withAnalytics(allAnswers);
    const s3 = standIns.s3.client();
    const parquet = new ParquetStore({ s3, bucketName: standIns.bucketName, storage: config.storage });
    await writeTraces(parquet, traces, 4, (n) => batchRef(n)); // every batch redelivered
    const afterRedelivery = await withAnalytics(allAnswers);
    const partitions = new Map<string, { dt: string; hour: string }>();
    for (const key of (await bucketObjects(s3, standIns.bucketName, 'tables/spans/')).keys()) {
      const partition = partitionInKey(key);
      if (partition) partitions.set(`${partition.dt}T${partition.hour}`, partition);
    }
    const filesBefore = tableFiles(bucket, 'spans').length;
    // Act
    for (const partition of partitions.values()) {
      await compactShardHour(
        {
          s3,
          bucketName: standIns.bucketName,
          storage: config.storage,
          now: () => NOW_MS,
          metrics: new Metrics({ sink: () => {} }),
          logger: silentLogger,
          // In a worker thread of its own, as the function rewrites (its wiring).
          rewrite: rewriteInThread,
        },
        partition,
        'shardId-000000000000',
      );
    }
    const afterCompaction = await withAnalytics(allAnswers);
    // Assess
    expect(afterRedelivery).toEqual(before);
    expect(tableFiles(bucket, 'spans').length).toBe(partitions.size);
    expect(filesBefore).toBeGreaterThan(partitions.size);
    expect(afterCompaction).toEqual(before);
    // A budget, not a timed assertion: ~30 shard-hours compacted and 21 queries take a few seconds
    // alone but can pass the default 30 s on a loaded 2-core machine.
  }, 180_000);
});

describe('the local query engine', () => {
  it('runs plain SQL over the three tables with dt and hour from the paths', async () => {
    const result = await withAnalytics((a) =>
      a.query('SELECT count(*) AS n, count(DISTINCT trace_id) AS t, min(length(hour)) AS h FROM spans'),
    );
    expect(normalise(result.rows)).toEqual([
      { n: traces.reduce((sum, t) => sum + t.spans.length, 0), t: traces.length, h: 2 },
    ]);
  });

  it.each([
    ['a missing parameter', { service: 'frontend' }, /min_duration_ms is missing/],
    ['an unknown parameter', { service: 'x', min_duration_ms: '1', limit: '3' }, /limit is not a parameter/],
    ['a bigint that is not one', { service: 'x', min_duration_ms: '1.5' }, /must be a bigint, got "1.5"/],
    ['an empty bigint', { service: 'x', min_duration_ms: '' }, /must be a bigint/],
  ])('rejects %s with a QueryParameterError', async (_, parameters, message) => {
    await withAnalytics(async (a) => {
      const run = a.named(named('slow-traces'), parameters);
      await expect(run).rejects.toBeInstanceOf(QueryParameterError);
      await expect(run).rejects.toThrow(message);
    });
  });

  it.each([
    ['a syntax error', 'SELEC 1', /syntax error/i],
    ['an unknown column', 'SELECT no_such_column FROM spans', /no_such_column/],
    ['an unknown table', 'SELECT * FROM logs', /logs/],
  ])('reports %s as a QueryFailedError naming the problem', async (_, sql, message) => {
    await withAnalytics(async (a) => {
      const run = a.query(sql);
      await expect(run).rejects.toBeInstanceOf(QueryFailedError);
      await expect(run).rejects.toThrow(message);
    });
  });

  it('fails with NoLocalDataError when the bucket holds no Parquet yet', async () => {
    const empty = { s3Directory: join(standIns.directory, 'nowhere'), bucketName: 'none' };
    await expect(openLocalAnalytics(empty)).rejects.toBeInstanceOf(NoLocalDataError);
    await expect(openLocalAnalytics(empty)).rejects.toThrow(/npm start/);
  });

  it('reads a table nothing was written to yet as empty, with its columns', async () => {
    // Prepare: a bucket with a traces row only (a summary without spans or edges)
    const other = await startStorageStandIns('tracesift-sparse');
    try {
      const parquet = new ParquetStore({
        s3: other.s3.client(),
        bucketName: other.bucketName,
        storage: config.storage,
      });
      const [write] = traceWrites(traces.slice(0, 1));
      if (!write) throw new Error('no write');
      await parquet.writeBatch(batchRef(1), [{ ...write, rows: { ...write.rows, spans: [] }, edges: [] }]);
      // Act
      const analytics = await openLocalAnalytics({
        s3Directory: other.directory,
        bucketName: other.bucketName,
      });
      try {
        const spans = await analytics.query('SELECT trace_id, critical_path_nano, dt FROM spans');
        const counted = await analytics.query('SELECT count(*) AS n FROM traces');
        // Assess
        expect(spans.columns).toEqual(['trace_id', 'critical_path_nano', 'dt']);
        expect(spans.rows).toEqual([]);
        expect(normalise(counted.rows)).toEqual([{ n: 1 }]);
      } finally {
        analytics.close();
      }
    } finally {
      await other.close();
    }
  });

  it('fails with MissingLocalObjectError when a manifest lists a file that is gone', async () => {
    // Prepare
    const other = await startStorageStandIns('tracesift-broken');
    try {
      const parquet = new ParquetStore({
        s3: other.s3.client(),
        bucketName: other.bucketName,
        storage: config.storage,
      });
      await writeTraces(parquet, traces.slice(0, 3), 1, (n) => batchRef(n));
      const local = { s3Directory: other.directory, bucketName: other.bucketName };
      const [file] = tableFiles(local, 'edges');
      if (!file) throw new Error('no edges file');
      rmSync(file);
      // Act / Assess
      await expect(openLocalAnalytics(local)).rejects.toBeInstanceOf(MissingLocalObjectError);
    } finally {
      await other.close();
    }
  });
});
