import { describe, expect, it } from 'vitest';
import { InvalidCostInputError } from '../../../bench/cost/errors.ts';
import {
  cpuShare,
  DEFAULT_DEPLOYMENT,
  type Deployment,
  dynamoWriteUnits,
  estimateMonthlyCost,
  expectedShardsTouched,
  type MeasuredFigures,
  streamLoad,
  type Traffic,
  tieredCost,
  writingShare,
} from '../../../bench/cost/model.ts';
import { PRICES } from '../../../bench/cost/prices.ts';

// The test's own constants, written out rather than imported, so the model is checked against them.
const MONTH = 730 * 3600;
const GIB = 2 ** 30;
const TIB = 2 ** 40;

const figures: MeasuredFigures = {
  ingestCpuSecondsPerSpan: 4e-6,
  samplerCpuSecondsPerSpan: 3e-6,
  storageCpuSecondsPerKeptSpan: 2e-5,
  compactionCpuSecondsPerKeptSpan: 5e-5,
  lambdaSpeedFactor: 1,
  kinesisBytesPerSpan: 30,
  kinesisBytesPerRecord: 800,
  parquetBytesPerSpan: 40,
  parquetBytesPerTrace: 100,
  parquetEdgesBytesPerTrace: 20,
  dynamoBytesPerSpan: 50,
  dynamoSummaryBytes: 700,
  dynamoIndexWriteUnits: 1,
  dynamoIndexBytes: 300,
};

const traffic: Traffic = {
  spansPerSecond: 1000,
  spansPerTrace: 20,
  exportBatchSpans: 500,
  keepRate: 0.1,
  traceRetentionDays: 7,
  analyticsRetentionDays: 30,
};

const line = (estimate: ReturnType<typeof estimateMonthlyCost>, component: string): number => {
  const found = estimate.lines.find((l) => l.component === component);
  if (!found) throw new Error(`no line ${component}`);
  return found.usd;
};

describe('tiered prices', () => {
  const tiers = PRICES.apiGatewayRestRequests.tiers;
  it.each([
    { quantity: 0, expected: 0 },
    { quantity: 1e6, expected: 1e6 * 3.5e-6 },
    { quantity: 333e6, expected: 333e6 * 3.5e-6 },
    { quantity: 333e6 + 1e6, expected: 333e6 * 3.5e-6 + 1e6 * 2.8e-6 },
    {
      quantity: 25e9,
      expected: 333e6 * 3.5e-6 + 667e6 * 2.8e-6 + 19e9 * 2.38e-6 + 5e9 * 1.51e-6,
    },
  ])('prices $quantity requests across the tiers', ({ quantity, expected }) => {
    expect(tieredCost(quantity, tiers)).toBeCloseTo(expected, 6);
  });
});

describe('building blocks', () => {
  it.each([
    { memoryMb: 128, expected: 128 / 1769 },
    { memoryMb: 1024, expected: 1024 / 1769 },
    { memoryMb: 1769, expected: 1 },
    { memoryMb: 3008, expected: 1 },
  ])('gives a $memoryMb MB function a $expected vCPU share', ({ memoryMb, expected }) => {
    expect(cpuShare(memoryMb)).toBeCloseTo(expected, 12);
  });

  it.each([
    { shards: 1, traces: 100, expected: 1 },
    { shards: 4, traces: 1, expected: 1 },
    { shards: 4, traces: 2, expected: 4 * (1 - 0.75 ** 2) },
    { shards: 16, traces: 170, expected: 16 * (1 - (15 / 16) ** 170) },
  ])('expects $expected of $shards shards touched by $traces traces', ({ shards, traces, expected }) => {
    expect(expectedShardsTouched(shards, traces)).toBeCloseTo(expected, 9);
  });

  it.each([
    { spans: 1, bytesPerSpan: 50, expected: 1 + 1 },
    // 700 + 4 x 81 = 1,024 bytes: exactly one unit; one more span crosses into the second.
    { spans: 4, bytesPerSpan: 81, expected: 1 + 1 },
    { spans: 5, bytesPerSpan: 81, expected: 2 + 1 },
    { spans: 1000, bytesPerSpan: 50, expected: Math.ceil((700 + 50_000) / 1024) + 1 },
  ])(
    'writes $expected units for a kept trace of $spans spans of $bytesPerSpan bytes',
    ({ spans, bytesPerSpan, expected }) => {
      expect(dynamoWriteUnits(spans, { ...figures, dynamoBytesPerSpan: bytesPerSpan })).toBe(expected);
    },
  );

  it("adds the search index's amortized share as it is, a fraction of a unit", () => {
    // Act: 205 + 10 x 77 = 975 bytes, one unit, and 0.39 of the index's.
    const units = dynamoWriteUnits(10, {
      ...figures,
      dynamoSummaryBytes: 205,
      dynamoBytesPerSpan: 77,
      dynamoIndexWriteUnits: 0.39,
    });

    // Assess
    expect(units).toBeCloseTo(1.39, 9);
  });

  it.each([
    { keepRate: 0, traces: 100, expected: 0 },
    { keepRate: 1, traces: 0.5, expected: 1 },
    { keepRate: 0.1, traces: 10, expected: 1 - 0.9 ** 10 },
  ])(
    'writes files from $expected of the batches at keep rate $keepRate',
    ({ keepRate, traces, expected }) => {
      expect(writingShare(keepRate, traces)).toBeCloseTo(expected, 12);
    },
  );

  it.each([
    ['with the pending buffer (no re-puts)', 0],
    ['with a tenth of the span bytes re-put (S3 refusing pending writes)', 0.1],
  ])('sizes a provisioned stream so that neither limit is exceeded, %s', (_case, reputShare) => {
    const deployment = { ...DEFAULT_DEPLOYMENT, reputShare };
    for (const spansPerSecond of [1_000, 100_000, 1_000_000]) {
      const load = streamLoad({ ...traffic, spansPerSecond }, deployment, figures, 0.7, 1);
      expect(load.bytesPerSecond).toBeLessThanOrEqual(load.shards * 1024 * 1024 * 0.7);
      expect(load.recordsPerSecond).toBeLessThanOrEqual(load.shards * 1000 * 0.7);
      // Records: one per shard a request touches, plus the re-put share.
      const requests = spansPerSecond / traffic.exportBatchSpans;
      const perRequest = load.shards * (1 - (1 - 1 / load.shards) ** (traffic.exportBatchSpans / 3));
      expect(load.recordsPerSecond).toBeCloseTo(requests * perRequest * (1 + reputShare), 6);
      expect(load.bytesPerSecond).toBeCloseTo(
        spansPerSecond * 30 * (1 + reputShare) + load.recordsPerSecond * 800,
        3,
      );
    }
  });
});

describe('the monthly estimate, against hand-computed figures', () => {
  const deployment: Deployment = { ...DEFAULT_DEPLOYMENT, kinesisMode: 'provisioned' };
  const estimate = estimateMonthlyCost(traffic, deployment, figures, PRICES);
  const requests = 1000 / 500;
  const traces = 1000 / 20;
  const kept = traces * 0.1;
  const keptSpans = 1000 * 0.1;

  it('states the write units of a kept trace with two decimals', () => {
    const usage = estimate.lines.find((l) => l.component === 'DynamoDB writes')?.usage;
    expect(usage).toMatch(/ kept traces x \d+\.\d\d WRU$/);
  });

  it('prices API Gateway per request in the first tier', () => {
    expect(line(estimate, 'API Gateway (REST)')).toBeCloseTo(requests * MONTH * 3.5e-6, 6);
  });

  it('prices the ingest Lambda from CPU per span at its memory share plus the PutRecords wait', () => {
    const seconds = (500 * 4e-6) / (1024 / 1769) + 0.03;
    const gbSeconds = requests * seconds * 1 * MONTH;
    expect(line(estimate, 'Lambda ingest')).toBeCloseTo(
      gbSeconds * 0.0000133334 + requests * MONTH * 0.2e-6,
      4,
    );
  });

  it('prices compaction once per shard-hour at the measured rewrite rate, in its 1,024 MB function', () => {
    const invocations = 1 / 3600;
    const seconds = (keptSpans * 5e-5) / invocations / (1024 / 1769) + 2;
    const gbSeconds = invocations * seconds * 1 * MONTH;
    expect(line(estimate, 'Lambda compaction')).toBeCloseTo(
      gbSeconds * 0.0000133334 + invocations * MONTH * 0.2e-6,
      4,
    );
  });

  it('prices one provisioned shard, its PUT payload units and no extended retention', () => {
    // One shard at 1,000 spans/s: one record a request (no re-puts), each under 25 KB.
    const records = requests;
    const recordBytes = (1000 * 30 + records * 800) / records;
    expect(recordBytes).toBeLessThan(25 * 1024);
    expect(estimate.derived.shards).toBe(1);
    expect(line(estimate, 'Kinesis (provisioned)')).toBeCloseTo(730 * 0.015 + records * MONTH * 0.014e-6, 6);
  });

  it('prices on-demand Kinesis by the stream hour and by GB in (rounded to 1 KB a record) and out', () => {
    const records = requests * 4 * (1 - 0.75 ** (500 / 3));
    const bytes = 1000 * 30 + records * 800;
    const billedIn = records * Math.ceil(bytes / records / 1024) * 1024;
    const expected = 730 * 0.04 + ((billedIn * MONTH) / GIB) * 0.08 + ((bytes * MONTH) / GIB) * 0.04;
    expect(estimate.otherKinesis.component).toBe('Kinesis (on-demand)');
    expect(estimate.otherKinesis.usd).toBeCloseTo(expected, 4);
  });

  it('prices DynamoDB writes per kept trace and storage over the retention', () => {
    const units = Math.ceil((700 + 20 * 50) / 1024) + 1;
    expect(line(estimate, 'DynamoDB writes')).toBeCloseTo(kept * MONTH * units * 0.625e-6, 6);
    const stored = (kept * 86_400 * 7 * (700 + 20 * 50 + 300)) / GIB;
    expect(line(estimate, 'DynamoDB storage')).toBeCloseTo(stored * 0.25, 6);
  });

  it('prices S3 storage of the Parquet tables over the analytics retention', () => {
    const stored = ((keptSpans * 40 + kept * (100 + 20)) * 86_400 * 30) / GIB;
    expect(line(estimate, 'S3 storage')).toBeCloseTo(stored * 0.023, 6);
  });

  it('prices Athena by the bytes each query of the mix reads, with the 10 MB minimum', () => {
    const perHour = { spans: keptSpans * 40 * 3600, traces: kept * 100 * 3600, edges: kept * 20 * 3600 };
    let bytes = 0;
    for (const q of deployment.queries)
      bytes += q.perDay * (730 / 24) * Math.max(10 * 2 ** 20, perHour[q.table] * q.hours * q.columnShare);
    expect(line(estimate, 'Athena')).toBeCloseTo((bytes / TIB) * 5, 6);
  });

  it('adds the lines to the total and divides by the month’s spans', () => {
    const sum = estimate.lines.reduce((s, l) => s + l.usd, 0);
    expect(estimate.totalUsd).toBeCloseTo(sum, 9);
    expect(estimate.perMillionSpansUsd).toBeCloseTo(sum / ((1000 * MONTH) / 1e6), 9);
  });

  it('prices X-Ray per trace recorded, retrieved and scanned by the same query mix', () => {
    let scanned = 0;
    let retrieved = 0;
    for (const q of deployment.queries) {
      scanned += q.perDay * (730 / 24) * traces * 3600 * q.hours;
      retrieved += q.perDay * (730 / 24) * q.tracesOpened;
    }
    const all = estimate.xray.everyTrace;
    expect(all.recordingUsd).toBeCloseTo(traces * MONTH * 5e-6, 6);
    expect(all.usd).toBeCloseTo(traces * MONTH * 5e-6 + retrieved * 0.5e-6 + scanned * 0.5e-6, 6);
    expect(estimate.xray.sameKeepRate.recordingUsd).toBeCloseTo(kept * MONTH * 5e-6, 6);
  });

  it('adds extended retention per shard-hour when the stream keeps records beyond 24 hours', () => {
    const week = estimateMonthlyCost(traffic, { ...deployment, streamRetentionHours: 168 }, figures, PRICES);
    expect(line(week, 'Kinesis (provisioned)') - line(estimate, 'Kinesis (provisioned)')).toBeCloseTo(
      730 * 0.02,
      6,
    );
  });

  it('uses the x86 rate when asked', () => {
    const x86 = estimateMonthlyCost(traffic, { ...deployment, architecture: 'x86_64' }, figures, PRICES);
    const seconds = (500 * 4e-6) / (1024 / 1769) + 0.03;
    expect(line(x86, 'Lambda ingest')).toBeCloseTo(
      requests * seconds * MONTH * 0.0000166667 + requests * MONTH * 0.2e-6,
      4,
    );
  });
});

describe('keep rate boundaries', () => {
  it('keeps nothing at 0: no DynamoDB, no Parquet, no head-sampled X-Ray, Athena at its minimum', () => {
    const estimate = estimateMonthlyCost({ ...traffic, keepRate: 0 }, DEFAULT_DEPLOYMENT, figures, PRICES);
    expect(line(estimate, 'DynamoDB writes')).toBe(0);
    expect(line(estimate, 'DynamoDB storage')).toBe(0);
    expect(line(estimate, 'S3 storage')).toBe(0);
    expect(estimate.xray.sameKeepRate.usd).toBe(0);
    const minimum = DEFAULT_DEPLOYMENT.queries.reduce((s, q) => s + q.perDay * (730 / 24) * 10 * 2 ** 20, 0);
    expect(line(estimate, 'Athena')).toBeCloseTo((minimum / TIB) * 5, 9);
    // Only the sampler's state saves remain: its pending set and its document, each invocation.
    expect(line(estimate, 'S3 requests')).toBeCloseTo(
      estimate.derived.samplerInvocationsPerSecond * 2 * MONTH * 0.005e-3,
      6,
    );
  });

  it('keeps everything at 1: every trace written, X-Ray head-sampled equals every trace', () => {
    const estimate = estimateMonthlyCost({ ...traffic, keepRate: 1 }, DEFAULT_DEPLOYMENT, figures, PRICES);
    const units = dynamoWriteUnits(20, figures);
    expect(line(estimate, 'DynamoDB writes')).toBeCloseTo((1000 / 20) * MONTH * units * 0.625e-6, 6);
    expect(estimate.xray.sameKeepRate.usd).toBeCloseTo(estimate.xray.everyTrace.usd, 6);
    expect(estimate.derived.keptSpansPerSecond).toBe(1000);
  });
});

describe('input validation', () => {
  it.each([
    ['spansPerSecond', { spansPerSecond: 0 }],
    ['spansPerSecond', { spansPerSecond: -5 }],
    ['spansPerSecond', { spansPerSecond: Number.NaN }],
    ['spansPerSecond', { spansPerSecond: Number.POSITIVE_INFINITY }],
    ['spansPerTrace', { spansPerTrace: 0.5 }],
    ['exportBatchSpans', { exportBatchSpans: 0 }],
    ['exportBatchSpans', { exportBatchSpans: 1.5 }],
    ['keepRate', { keepRate: -0.01 }],
    ['keepRate', { keepRate: 1.01 }],
    ['traceRetentionDays', { traceRetentionDays: 0 }],
    ['traceRetentionDays', { traceRetentionDays: 2.5 }],
    ['analyticsRetentionDays', { analyticsRetentionDays: 3651 }],
  ])('rejects traffic with a bad %s', (input, change) => {
    const act = () => estimateMonthlyCost({ ...traffic, ...change }, DEFAULT_DEPLOYMENT, figures, PRICES);
    expect(act).toThrow(InvalidCostInputError);
    expect(act).toThrow(expect.objectContaining({ input }));
  });

  it.each([
    ['ingestMemoryMb', { ingestMemoryMb: 127 }],
    ['samplerMemoryMb', { samplerMemoryMb: 10_241 }],
    ['streamRetentionHours', { streamRetentionHours: 23 }],
    ['streamRetentionHours', { streamRetentionHours: 169 }],
    ['architecture', { architecture: 'mips' }],
    ['kinesisMode', { kinesisMode: 'serverless' }],
    ['provisionedUtilization', { provisionedUtilization: 0 }],
    ['queries[0].columnShare', { queries: [{ ...DEFAULT_DEPLOYMENT.queries[0], columnShare: 2 }] }],
  ])('rejects a deployment with a bad %s', (input, change) => {
    const act = () =>
      estimateMonthlyCost(traffic, { ...DEFAULT_DEPLOYMENT, ...change } as Deployment, figures, PRICES);
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidCostInputError', input }));
  });

  it.each([
    ['ingestCpuSecondsPerSpan', 0],
    ['parquetBytesPerSpan', -1],
    ['lambdaSpeedFactor', Number.NaN],
  ])('rejects a figure %s of %s', (input, value) => {
    const act = () =>
      estimateMonthlyCost(traffic, DEFAULT_DEPLOYMENT, { ...figures, [input]: value }, PRICES);
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidCostInputError', input }));
  });

  it.each([
    { change: { keepRate: 0 } },
    { change: { keepRate: 1 } },
    { change: { spansPerTrace: 1 } },
    { change: { exportBatchSpans: 1 } },
    { change: { traceRetentionDays: 3650, analyticsRetentionDays: 1 } },
  ])('accepts the boundary values $change', ({ change }) => {
    const estimate = estimateMonthlyCost({ ...traffic, ...change }, DEFAULT_DEPLOYMENT, figures, PRICES);
    expect(Number.isFinite(estimate.totalUsd)).toBe(true);
    expect(estimate.totalUsd).toBeGreaterThan(0);
  });

  it.each([
    { ingestMemoryMb: 128, streamRetentionHours: 24 },
    { ingestMemoryMb: 10_240, streamRetentionHours: 168 },
  ])('accepts the deployment boundaries $ingestMemoryMb MB and $streamRetentionHours h', (change) => {
    const estimate = estimateMonthlyCost(traffic, { ...DEFAULT_DEPLOYMENT, ...change }, figures, PRICES);
    expect(estimate.totalUsd).toBeGreaterThan(0);
  });
});
