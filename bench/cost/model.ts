/**
 * The cost model of one tracesift deployment in one region: pure functions from traffic, the
 * deployment's knobs and the figures `npm run bench` measures, to a monthly bill per component.
 * Every assumption is an input with a documented default (BENCHMARKS.md, "Cost model"), so a
 * reader can disagree with one and change it.
 *
 * Conventions: a month is 730 hours, as AWS bills; GB and TB are binary (2^30, 2^40 bytes); free
 * tiers, savings plans, data transfer out and taxes are left out.
 */
import { COMPACTION_MEMORY_MB } from '../../lambdas/compaction/sizing.ts';
import { InvalidCostInputError } from './errors.ts';
import type { Prices, PriceTier } from './prices.ts';

export const SECONDS_PER_MONTH = 730 * 3600;
const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;
/** Lambda gives one full vCPU at 1,769 MB and a share proportional to memory below it. */
export const LAMBDA_MB_PER_VCPU = 1769;
/** Kinesis limits per shard for writes. */
const SHARD_WRITE_BYTES = MIB;
const SHARD_WRITE_RECORDS = 1000;
/** An event source mapping batch is at most 6 MB (the Lambda payload limit). */
const ESM_MAX_BATCH_BYTES = 6 * MIB;

export interface Traffic {
  readonly spansPerSecond: number;
  /** Mean spans a trace (not the median: the long tail carries many spans). */
  readonly spansPerTrace: number;
  /** Spans per OTLP export request (the batch span processor's maxExportBatchSize when busy). */
  readonly exportBatchSpans: number;
  /** Share of traces kept by the sampler (errors, slow, rules and the probabilistic baseline). */
  readonly keepRate: number;
  /** Days a kept trace stays in DynamoDB (`storage.retentionDays`). */
  readonly traceRetentionDays: number;
  /** Days of Parquet on S3 (`storage.analyticsRetentionDays`). */
  readonly analyticsRetentionDays: number;
}

export interface AthenaQuery {
  readonly name: string;
  readonly perDay: number;
  readonly table: 'spans' | 'traces' | 'edges';
  /** Hours of partitions the query reads (pruned by dt/hour). */
  readonly hours: number;
  /** Share of the table's bytes in the columns it reads (Parquet is columnar). */
  readonly columnShare: number;
  /** Whole traces a user opens from the result (priced as X-Ray retrievals in the comparison). */
  readonly tracesOpened: number;
}

export interface Deployment {
  readonly architecture: 'arm64' | 'x86_64';
  readonly kinesisMode: 'on-demand' | 'provisioned';
  readonly ingestMemoryMb: number;
  readonly samplerMemoryMb: number;
  readonly compactionMemoryMb: number;
  /** Wall time of an ingest invocation not spent on CPU: the PutRecords round trip, mostly. */
  readonly ingestWaitMs: number;
  /** Same for the sampler: DynamoDB BatchWriteItem, three Parquet PUTs and manifests, re-puts. */
  readonly samplerWaitMs: number;
  /** Same for one compaction run (one shard-hour): listing, reading and writing objects. */
  readonly compactionWaitMs: number;
  /** Event source mapping batch size (records) and batching window (seconds). */
  readonly samplerBatchRecords: number;
  readonly batchingWindowSeconds: number;
  /** Spans of one trace in one service's export request: a trace's fragment in one record. */
  readonly spansPerTraceFragment: number;
  /**
   * Share of span bytes the sampler writes back to the stream (traces not ready yet). 0 since
   * traces wait in the pending set on S3; only a fall back when S3 refuses writes re-puts them.
   */
  readonly reputShare: number;
  /**
   * Spans the sampler decodes again from its pending set, per accepted span (a trace not ready is
   * read once more each invocation it waits): sampler CPU, not stream bytes.
   */
  readonly pendingRereadShare: number;
  /** S3 PUTs each sampler invocation makes for its state: the pending set and the document naming it. */
  readonly statePutsPerInvocation: number;
  /** Target write utilisation of a provisioned shard; the rest is headroom for bursts. */
  readonly provisionedUtilization: number;
  readonly streamRetentionHours: number;
  /** CloudWatch Logs: API Gateway access log line, and Lambda log bytes per invocation. */
  readonly accessLogBytesPerRequest: number;
  readonly ingestLogBytesPerInvocation: number;
  readonly samplerLogBytesPerInvocation: number;
  readonly logRetentionDays: number;
  /** CloudWatch stores logs compressed: stored bytes over ingested bytes. */
  readonly logCompression: number;
  readonly customMetrics: number;
  readonly alarms: number;
  readonly queries: readonly AthenaQuery[];
}

/** What `npm run bench` measures (or the documented defaults when no results are at hand). */
export interface MeasuredFigures {
  readonly ingestCpuSecondsPerSpan: number;
  readonly samplerCpuSecondsPerSpan: number;
  /** Enrichment, Parquet encoding and DynamoDB item encoding, per kept span. */
  readonly storageCpuSecondsPerKeptSpan: number;
  /** Compaction's encoding of one large file per table and shard-hour, per kept span. */
  readonly compactionCpuSecondsPerKeptSpan: number;
  /** Lambda vCPU speed over the benchmark machine's core (1 = same; below 1 = Lambda slower). */
  readonly lambdaSpeedFactor: number;
  /**
   * Kinesis record bytes = spans x kinesisBytesPerSpan + kinesisBytesPerRecord: the per-span cost
   * once compressed, and each record's fixed overhead (fitted from the 1- and 16-shard runs).
   */
  readonly kinesisBytesPerSpan: number;
  readonly kinesisBytesPerRecord: number;
  readonly parquetBytesPerSpan: number;
  /** Parquet bytes of the traces and edges tables per kept trace. */
  readonly parquetBytesPerTrace: number;
  readonly parquetEdgesBytesPerTrace: number;
  /** DynamoDB bytes a kept trace's span chunks take, per span (compressed). */
  readonly dynamoBytesPerSpan: number;
  /** DynamoDB bytes of a kept trace's item besides its spans: keys, expiry and the binary head. */
  readonly dynamoSummaryBytes: number;
  /** Write units of the search index per kept trace (its items, counters and marker, amortized). */
  readonly dynamoIndexWriteUnits: number;
  /** Bytes the search index keeps per kept trace (its entry in a search item). */
  readonly dynamoIndexBytes: number;
}

export const DEFAULT_TRAFFIC: Omit<Traffic, 'spansPerSecond'> = {
  spansPerTrace: 20,
  exportBatchSpans: 512,
  keepRate: 0.05,
  traceRetentionDays: 7,
  analyticsRetentionDays: 30,
};

export const DEFAULT_QUERIES: readonly AthenaQuery[] = [
  {
    name: 'traces of one service, last hour',
    perDay: 200,
    table: 'spans',
    hours: 1,
    columnShare: 0.3,
    tracesOpened: 10,
  },
  {
    name: 'latency percentiles by operation, last day',
    perDay: 48,
    table: 'traces',
    hours: 24,
    columnShare: 0.5,
    tracesOpened: 0,
  },
  {
    name: 'errors by service and route, last week',
    perDay: 10,
    table: 'spans',
    hours: 168,
    columnShare: 0.15,
    tracesOpened: 10,
  },
  { name: 'service map, last day', perDay: 24, table: 'edges', hours: 24, columnShare: 1, tracesOpened: 0 },
];

export const DEFAULT_DEPLOYMENT: Deployment = {
  architecture: 'arm64',
  kinesisMode: 'on-demand',
  ingestMemoryMb: 1024,
  samplerMemoryMb: 1769,
  compactionMemoryMb: COMPACTION_MEMORY_MB,
  ingestWaitMs: 30,
  samplerWaitMs: 150,
  compactionWaitMs: 2000,
  samplerBatchRecords: 1000,
  batchingWindowSeconds: 10,
  spansPerTraceFragment: 3,
  reputShare: 0,
  pendingRereadShare: 0.64,
  statePutsPerInvocation: 2,
  provisionedUtilization: 0.7,
  streamRetentionHours: 24,
  accessLogBytesPerRequest: 400,
  ingestLogBytesPerInvocation: 1200,
  samplerLogBytesPerInvocation: 2500,
  logRetentionDays: 30,
  logCompression: 0.15,
  customMetrics: 60,
  alarms: 12,
  queries: DEFAULT_QUERIES,
};

// --- validation ---------------------------------------------------------------------------------

function requireNumber(input: string, value: number, min: number, max: number, integer = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value))) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw new InvalidCostInputError(input, value, `${integer ? 'an integer' : 'a number'} ${range}`);
  }
}

function requirePositive(input: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new InvalidCostInputError(input, value, 'a number > 0');
}

export function validateTraffic(traffic: Traffic): void {
  requirePositive('spansPerSecond', traffic.spansPerSecond);
  requireNumber('spansPerTrace', traffic.spansPerTrace, 1, Number.POSITIVE_INFINITY);
  requireNumber('exportBatchSpans', traffic.exportBatchSpans, 1, Number.POSITIVE_INFINITY, true);
  requireNumber('keepRate', traffic.keepRate, 0, 1);
  // The ranges the configuration schema accepts (lambdas/shared/config/storage.ts).
  requireNumber('traceRetentionDays', traffic.traceRetentionDays, 1, 3650, true);
  requireNumber('analyticsRetentionDays', traffic.analyticsRetentionDays, 1, 3650, true);
}

export function validateDeployment(d: Deployment): void {
  if (d.architecture !== 'arm64' && d.architecture !== 'x86_64')
    throw new InvalidCostInputError('architecture', d.architecture, '"arm64" or "x86_64"');
  if (d.kinesisMode !== 'on-demand' && d.kinesisMode !== 'provisioned')
    throw new InvalidCostInputError('kinesisMode', d.kinesisMode, '"on-demand" or "provisioned"');
  for (const key of ['ingestMemoryMb', 'samplerMemoryMb', 'compactionMemoryMb'] as const)
    requireNumber(key, d[key], 128, 10_240, true);
  for (const key of [
    'ingestWaitMs',
    'samplerWaitMs',
    'compactionWaitMs',
    'reputShare',
    'pendingRereadShare',
    'statePutsPerInvocation',
    'accessLogBytesPerRequest',
    'ingestLogBytesPerInvocation',
    'samplerLogBytesPerInvocation',
    'customMetrics',
    'alarms',
  ] as const)
    requireNumber(key, d[key], 0, Number.POSITIVE_INFINITY);
  requireNumber('samplerBatchRecords', d.samplerBatchRecords, 1, 10_000, true);
  requireNumber('batchingWindowSeconds', d.batchingWindowSeconds, 0, 300);
  requireNumber('spansPerTraceFragment', d.spansPerTraceFragment, 1, Number.POSITIVE_INFINITY);
  requireNumber('provisionedUtilization', d.provisionedUtilization, 0.01, 1);
  // Long-term retention (beyond 7 days) is priced differently and not modelled.
  requireNumber('streamRetentionHours', d.streamRetentionHours, 24, 168, true);
  requireNumber('logRetentionDays', d.logRetentionDays, 1, 3650, true);
  requireNumber('logCompression', d.logCompression, 0.01, 1);
  d.queries.forEach((q, i) => {
    requireNumber(`queries[${i}].perDay`, q.perDay, 0, Number.POSITIVE_INFINITY);
    requireNumber(`queries[${i}].hours`, q.hours, 0, Number.POSITIVE_INFINITY);
    requireNumber(`queries[${i}].columnShare`, q.columnShare, 0, 1);
    requireNumber(`queries[${i}].tracesOpened`, q.tracesOpened, 0, Number.POSITIVE_INFINITY);
  });
}

export function validateFigures(f: MeasuredFigures): void {
  for (const [key, value] of Object.entries(f)) requirePositive(key, value as number);
}

// --- building blocks ----------------------------------------------------------------------------

/** Cost of `quantity` units priced in cumulative volume tiers. */
export function tieredCost(quantity: number, tiers: readonly PriceTier[]): number {
  let cost = 0;
  let priced = 0;
  for (const tier of tiers) {
    if (quantity <= priced) break;
    const inTier = Math.min(quantity, tier.upTo) - priced;
    cost += inTier * tier.usd;
    priced = tier.upTo;
  }
  return cost;
}

/** A Lambda function's vCPU share at `memoryMb`: single-threaded code gains nothing above one vCPU. */
export function cpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / LAMBDA_MB_PER_VCPU);
}

/** Expected distinct shards touched by `traces` traces spread uniformly over `shards` shards. */
export function expectedShardsTouched(shards: number, traces: number): number {
  return shards * (1 - (1 - 1 / shards) ** traces);
}

export interface StreamLoad {
  readonly shards: number;
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly recordBytes: number;
}

/**
 * Shards needed for the write load at `utilization`, and the records and bytes that load makes.
 * Ingest writes one record per shard a request touches, and every record carries a fixed overhead
 * (framing, zstd frame, the resource and scope repeated), so records and bytes grow with shards
 * and shards with records and bytes: iterate to the fixed point. Shards only grow and records
 * per request are bounded by the traces in a request, so it converges in a few steps.
 */
export function streamLoad(
  traffic: Traffic,
  d: Deployment,
  f: MeasuredFigures,
  utilization: number,
  minShards: number,
): StreamLoad {
  const requests = traffic.spansPerSecond / traffic.exportBatchSpans;
  const tracesPerRequest = Math.max(1, traffic.exportBatchSpans / d.spansPerTraceFragment);
  const amplification = 1 + d.reputShare;
  let shards = minShards;
  let recordsPerSecond = 0;
  let bytesPerSecond = 0;
  for (let i = 0; i < 1000; i++) {
    recordsPerSecond = requests * expectedShardsTouched(shards, tracesPerRequest) * amplification;
    bytesPerSecond =
      traffic.spansPerSecond * f.kinesisBytesPerSpan * amplification +
      recordsPerSecond * f.kinesisBytesPerRecord;
    const needed = Math.max(
      shards,
      Math.ceil(bytesPerSecond / (SHARD_WRITE_BYTES * utilization)),
      Math.ceil(recordsPerSecond / (SHARD_WRITE_RECORDS * utilization)),
    );
    if (needed === shards) break;
    shards = needed;
  }
  return { shards, recordsPerSecond, bytesPerSecond, recordBytes: bytesPerSecond / recordsPerSecond };
}

export interface CostLine {
  readonly component: string;
  readonly usd: number;
  /** The usage priced, in words, for the table. */
  readonly usage: string;
}

export interface Derived {
  readonly requestsPerSecond: number;
  readonly tracesPerSecond: number;
  readonly keptTracesPerSecond: number;
  readonly keptSpansPerSecond: number;
  readonly shards: number;
  readonly kinesisRecordsPerSecond: number;
  readonly kinesisBytesPerSecond: number;
  readonly samplerInvocationsPerSecond: number;
  readonly dynamoWriteUnitsPerKeptTrace: number;
  readonly lambdaGbSecondsPerMonth: number;
}

export interface CostEstimate {
  readonly traffic: Traffic;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly perMillionSpansUsd: number;
  /** The stream in the mode not chosen, for comparison. */
  readonly otherKinesis: CostLine;
  readonly xray: { readonly everyTrace: XRayCost; readonly sameKeepRate: XRayCost };
  readonly derived: Derived;
}

export interface XRayCost {
  readonly tracesRecorded: number;
  readonly tracesRetrieved: number;
  readonly tracesScanned: number;
  /** Recording alone, and retrievals plus scans of the query mix. */
  readonly recordingUsd: number;
  readonly queriesUsd: number;
  readonly usd: number;
  readonly perMillionSpansUsd: number;
}

const fmt = (n: number): string =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3).replace(/\.?0+$/, '');
const perMonth = (perSecond: number): number => perSecond * SECONDS_PER_MONTH;
const millions = (n: number): string => `${fmt(n / 1e6)} M`;

/**
 * Write request units of a kept trace: its item (head and compressed spans together, 1 KB a unit;
 * a trace too large for one item is split, which adds at most a unit per extra item, left out)
 * and its share of the search index's writes, which batch many traces per item. Resource items,
 * written once per container and resource, are left out (0.001 units a trace in the benchmark).
 */
export function dynamoWriteUnits(spansPerTrace: number, f: MeasuredFigures): number {
  return (
    Math.ceil((f.dynamoSummaryBytes + spansPerTrace * f.dynamoBytesPerSpan) / KIB) + f.dynamoIndexWriteUnits
  );
}

/** Probability that a sampler batch with `traces` traces keeps at least one (and so writes files). */
export function writingShare(keepRate: number, traces: number): number {
  return 1 - (1 - keepRate) ** traces;
}

// --- the model ----------------------------------------------------------------------------------

export function estimateMonthlyCost(
  traffic: Traffic,
  d: Deployment,
  f: MeasuredFigures,
  prices: Prices,
): CostEstimate {
  validateTraffic(traffic);
  validateDeployment(d);
  validateFigures(f);
  const spans = traffic.spansPerSecond;
  const requests = spans / traffic.exportBatchSpans;
  const traces = spans / traffic.spansPerTrace;
  const kept = traces * traffic.keepRate;
  const keptSpans = spans * traffic.keepRate;

  // Kinesis: provisioned shards at the target utilisation; on-demand sizes itself for twice the
  // peak and starts at 4 MB/s (4 shards), which matters for how many records and batches there are.
  const provisioned = streamLoad(traffic, d, f, d.provisionedUtilization, 1);
  const onDemand = streamLoad(traffic, d, f, 0.5, 4);
  const load = d.kinesisMode === 'provisioned' ? provisioned : onDemand;

  const extraRetentionHours = d.streamRetentionHours - 24;
  const putUnits = provisioned.recordsPerSecond * Math.ceil(provisioned.recordBytes / (25 * KIB));
  const provisionedLine: CostLine = {
    component: 'Kinesis (provisioned)',
    usd:
      provisioned.shards * 730 * prices.kinesisShardHour.usd +
      perMonth(putUnits) * prices.kinesisPutPayloadUnit.usd +
      (extraRetentionHours > 0 ? provisioned.shards * 730 * prices.kinesisExtendedRetentionShardHour.usd : 0),
    usage: `${provisioned.shards} shards, ${millions(perMonth(putUnits))} PUT units`,
  };
  const billedIn = onDemand.recordsPerSecond * Math.ceil(onDemand.recordBytes / KIB) * KIB;
  const onDemandLine: CostLine = {
    component: 'Kinesis (on-demand)',
    usd:
      730 * prices.kinesisOnDemandStreamHour.usd +
      (perMonth(billedIn) / GIB) * prices.kinesisOnDemandIngestGb.usd +
      (perMonth(onDemand.bytesPerSecond) / GIB) * prices.kinesisOnDemandRetrievalGb.usd +
      ((onDemand.bytesPerSecond * Math.max(0, extraRetentionHours) * 3600) / GIB) *
        prices.kinesisOnDemandExtendedRetentionGbMonth.usd,
    usage: `${fmt(perMonth(billedIn) / GIB)} GB in (1 KB rounding), ${fmt(perMonth(onDemand.bytesPerSecond) / GIB)} GB out`,
  };
  const [kinesisLine, otherKinesis] =
    d.kinesisMode === 'provisioned' ? [provisionedLine, onDemandLine] : [onDemandLine, provisionedLine];

  // Sampler batches: each shard's batch closes at the window, the record count or 6 MB, whichever first.
  const perShardBatches = Math.max(
    1 / Math.max(1, d.batchingWindowSeconds),
    load.recordsPerSecond / load.shards / d.samplerBatchRecords,
    load.bytesPerSecond / load.shards / ESM_MAX_BATCH_BYTES,
  );
  const samplerInvocations = load.shards * perShardBatches;
  const speed = f.lambdaSpeedFactor;

  const ingestSeconds =
    (traffic.exportBatchSpans * f.ingestCpuSecondsPerSpan) / (cpuShare(d.ingestMemoryMb) * speed) +
    d.ingestWaitMs / 1000;
  const samplerSeconds =
    (spans * (1 + d.reputShare + d.pendingRereadShare) * f.samplerCpuSecondsPerSpan +
      keptSpans * f.storageCpuSecondsPerKeptSpan) /
      samplerInvocations /
      (cpuShare(d.samplerMemoryMb) * speed) +
    d.samplerWaitMs / 1000;
  // Compaction rewrites each settled shard-hour's files as one file per table: priced at the
  // measured rewrite of a shard-hour (reading, refreshing, sorting and writing; S3 waits apart).
  const compactionInvocations = load.shards / 3600;
  const compactionSeconds =
    (keptSpans * f.compactionCpuSecondsPerKeptSpan) /
      compactionInvocations /
      (cpuShare(d.compactionMemoryMb) * speed) +
    d.compactionWaitMs / 1000;
  const gbSeconds = {
    ingest: perMonth(requests * ingestSeconds * (d.ingestMemoryMb / 1024)),
    sampler: perMonth(samplerInvocations * samplerSeconds * (d.samplerMemoryMb / 1024)),
    compaction: perMonth(compactionInvocations * compactionSeconds * (d.compactionMemoryMb / 1024)),
  };
  const totalGbSeconds = gbSeconds.ingest + gbSeconds.sampler + gbSeconds.compaction;
  const gbSecondPrice = d.architecture === 'arm64' ? prices.lambdaArmGbSecond : prices.lambdaX86GbSecond;
  // Volume tiers apply to the account's total; each function pays its share of the blended rate.
  const blendedGbSecond =
    totalGbSeconds > 0 ? tieredCost(totalGbSeconds, gbSecondPrice.tiers) / totalGbSeconds : 0;
  const lambdaLine = (
    name: string,
    gbs: number,
    invocationsPerSecond: number,
    seconds: number,
  ): CostLine => ({
    component: `Lambda ${name}`,
    usd: gbs * blendedGbSecond + perMonth(invocationsPerSecond) * prices.lambdaRequest.usd,
    usage: `${millions(perMonth(invocationsPerSecond))} invocations of ${fmt(seconds * 1000)} ms, ${millions(gbs)} GB-s`,
  });

  // DynamoDB: every kept trace written once (TTL deletes are free); storage at steady state.
  const writeUnits = dynamoWriteUnits(traffic.spansPerTrace, f);
  const dynamoTraceBytes =
    f.dynamoSummaryBytes + traffic.spansPerTrace * f.dynamoBytesPerSpan + f.dynamoIndexBytes;
  const dynamoStoredGb = (kept * 86_400 * traffic.traceRetentionDays * dynamoTraceBytes) / GIB;

  // S3: a batch that keeps anything writes one object per table (3) and updates its manifest (GET +
  // PUT); compaction rewrites each table once per shard-hour; every sampler invocation saves its
  // pending set and the state document naming it (the DELETE of the replaced set is free).
  const tracesPerBatch = traces / samplerInvocations;
  const writingBatches = samplerInvocations * writingShare(traffic.keepRate, tracesPerBatch);
  const keptAnything = traffic.keepRate > 0 ? 1 : 0;
  const puts =
    writingBatches * 6 +
    keptAnything * compactionInvocations * 6 +
    samplerInvocations * d.statePutsPerInvocation;
  const gets = writingBatches * 3 + keptAnything * writingBatches * 3;
  const parquetBytesPerSecond =
    keptSpans * f.parquetBytesPerSpan + kept * (f.parquetBytesPerTrace + f.parquetEdgesBytesPerTrace);
  const s3StoredGb = (parquetBytesPerSecond * 86_400 * traffic.analyticsRetentionDays) / GIB;

  // Athena: bytes per query from the partitions and columns it reads, 10 MB minimum.
  const tableBytesPerHour = {
    spans: keptSpans * f.parquetBytesPerSpan * 3600,
    traces: kept * f.parquetBytesPerTrace * 3600,
    edges: kept * f.parquetEdgesBytesPerTrace * 3600,
  };
  const daysPerMonth = 730 / 24;
  let scannedBytes = 0;
  for (const q of d.queries) {
    const hours = Math.min(q.hours, traffic.analyticsRetentionDays * 24);
    const bytes = Math.max(10 * MIB, tableBytesPerHour[q.table] * hours * q.columnShare);
    scannedBytes += q.perDay * daysPerMonth * bytes;
  }

  // CloudWatch: access logs, Lambda logs (REPORT lines and EMF metrics), custom metrics, alarms.
  const logBytes = perMonth(
    requests * (d.accessLogBytesPerRequest + d.ingestLogBytesPerInvocation) +
      samplerInvocations * d.samplerLogBytesPerInvocation,
  );
  const logStoredGb = (logBytes / GIB) * d.logCompression * (d.logRetentionDays / daysPerMonth);

  const lines: CostLine[] = [
    {
      component: 'API Gateway (REST)',
      usd: tieredCost(perMonth(requests), prices.apiGatewayRestRequests.tiers),
      usage: `${millions(perMonth(requests))} requests`,
    },
    lambdaLine('ingest', gbSeconds.ingest, requests, ingestSeconds),
    lambdaLine('sampler', gbSeconds.sampler, samplerInvocations, samplerSeconds),
    lambdaLine('compaction', gbSeconds.compaction, compactionInvocations, compactionSeconds),
    kinesisLine,
    {
      component: 'DynamoDB writes',
      usd: perMonth(kept) * writeUnits * prices.dynamoDbWriteRequestUnit.usd,
      usage: `${millions(perMonth(kept))} kept traces x ${writeUnits.toFixed(2)} WRU`,
    },
    {
      component: 'DynamoDB storage',
      usd: dynamoStoredGb * prices.dynamoDbStorageGbMonth.usd,
      usage: `${fmt(dynamoStoredGb)} GB (${traffic.traceRetentionDays} days)`,
    },
    {
      component: 'S3 requests',
      usd: perMonth(puts) * prices.s3PutRequest.usd + perMonth(gets) * prices.s3GetRequest.usd,
      usage: `${millions(perMonth(puts))} PUT, ${millions(perMonth(gets))} GET`,
    },
    {
      component: 'S3 storage',
      usd: tieredCost(s3StoredGb, prices.s3StorageGbMonth.tiers),
      usage: `${fmt(s3StoredGb)} GB Parquet (${traffic.analyticsRetentionDays} days)`,
    },
    {
      component: 'Athena',
      usd: (scannedBytes / TIB) * prices.athenaTbScanned.usd,
      usage: `${fmt(scannedBytes / GIB)} GB scanned by ${d.queries.length} query kinds`,
    },
    {
      component: 'CloudWatch logs',
      usd:
        (logBytes / GIB) * prices.cloudWatchLogsIngestGb.usd +
        logStoredGb * prices.cloudWatchLogsStorageGbMonth.usd,
      usage: `${fmt(logBytes / GIB)} GB ingested`,
    },
    {
      component: 'CloudWatch metrics, alarms',
      usd: d.customMetrics * prices.cloudWatchMetricMonth.usd + d.alarms * prices.cloudWatchAlarmMonth.usd,
      usage: `${d.customMetrics} metrics, ${d.alarms} alarms`,
    },
  ];
  const totalUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  const spansPerMonthMillions = perMonth(spans) / 1e6;
  return {
    traffic,
    lines,
    totalUsd,
    perMillionSpansUsd: totalUsd / spansPerMonthMillions,
    otherKinesis,
    xray: {
      everyTrace: xrayCost(traces, 1, d.queries, prices, spansPerMonthMillions),
      sameKeepRate: xrayCost(traces, traffic.keepRate, d.queries, prices, spansPerMonthMillions),
    },
    derived: {
      requestsPerSecond: requests,
      tracesPerSecond: traces,
      keptTracesPerSecond: kept,
      keptSpansPerSecond: keptSpans,
      shards: load.shards,
      kinesisRecordsPerSecond: load.recordsPerSecond,
      kinesisBytesPerSecond: load.bytesPerSecond,
      samplerInvocationsPerSecond: samplerInvocations,
      dynamoWriteUnitsPerKeptTrace: writeUnits,
      lambdaGbSecondsPerMonth: totalGbSeconds,
    },
  };
}

/** X-Ray keeps 30 days of traces: a query cannot scan further back. */
const XRAY_RETENTION_HOURS = 30 * 24;

/**
 * The same traffic on AWS X-Ray: traces recorded (all of them, or head-sampled at the same rate,
 * which unlike tail sampling cannot favour errors), and the same query mix, each query scanning
 * the traces of its time range and retrieving the traces a user opens.
 */
export function xrayCost(
  tracesPerSecond: number,
  recordedShare: number,
  queries: readonly AthenaQuery[],
  prices: Prices,
  spansPerMonthMillions: number,
): XRayCost {
  const recordedPerSecond = tracesPerSecond * recordedShare;
  const daysPerMonth = 730 / 24;
  let scanned = 0;
  let retrieved = 0;
  for (const q of queries) {
    const inRange = recordedPerSecond * 3600 * Math.min(q.hours, XRAY_RETENTION_HOURS);
    scanned += q.perDay * daysPerMonth * inRange;
    retrieved += q.perDay * daysPerMonth * Math.min(q.tracesOpened, inRange);
  }
  const recorded = perMonth(recordedPerSecond);
  const recordingUsd = recorded * prices.xrayTraceRecorded.usd;
  const queriesUsd = retrieved * prices.xrayTraceRetrieved.usd + scanned * prices.xrayTraceScanned.usd;
  return {
    tracesRecorded: recorded,
    tracesRetrieved: retrieved,
    tracesScanned: scanned,
    recordingUsd,
    queriesUsd,
    usd: recordingUsd + queriesUsd,
    perMillionSpansUsd: (recordingUsd + queriesUsd) / spansPerMonthMillions,
  };
}
