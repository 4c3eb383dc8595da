/**
 * Sampler stage: Kinesis records (as ingest writes them from the reference workload) -> decisions ->
 * the kept traces' DynamoDB items and Parquet files, through the sampler core exactly as the handler
 * runs it, with the default sampling configuration (send delay 5 s, trace timeout 30 s, batching
 * window 10 s):
 *
 *  - each record arrives when its export request was sent (the end of the request's last span: a
 *    batch span processor exports when its batch fills), and the event source mapping is replayed:
 *    a batch is what arrived within one batching window, or 1,000 records (the CDK's batch size),
 *    and the records the sampler puts (wake-ups) arrive in the stream when it puts them;
 *  - traces not ready wait in the shard's pending set: the real state store (TSP1 objects and the
 *    JSON state document) over an in-memory bucket, read again in front of each batch;
 *  - kept traces go through the real trace store (enrichment, DynamoDB items, Parquet encoding,
 *    manifests) whose DynamoDB and S3 clients are no-op stand-ins that answer at once.
 *
 * Left out: the network, and the AWS SDK's work on a request (serialization, signing, checksums),
 * since the clients' `send` is replaced; the handler's decoding of the Kinesis event (base64); a
 * new container's read of its pending set (the container stays warm). The previous configuration
 * (send delay 0, a sink that counts, 100 records a batch 1 ms apart) is measured beside it.
 *
 * Also the memory of a batch that holds one 50,000-span trace next to ordinary traffic: kept (so
 * decoded in full and encoded by the sink: the worst case), and without its root (so it stays
 * pending): the heap it leaves behind, its pending object, and what carrying it costs the next batch.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { packScannedRequest, packSpans } from '../lambdas/ingest/records.ts';
import type { Accounting } from '../lambdas/sampler/accounting.ts';
import type { StreamRecord } from '../lambdas/sampler/batch.ts';
import {
  createRuntime,
  type SamplerDeps,
  type SamplerRuntime,
  sampleBatch,
} from '../lambdas/sampler/sampler.ts';
import { pendingPrefix, s3StateStore } from '../lambdas/sampler/state/state-store.ts';
import { parseConfig, type TracesiftConfigInput } from '../lambdas/shared/config/index.ts';
import { silentLogger } from '../lambdas/shared/log.ts';
import { Metrics } from '../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest, scanTraceRequest } from '../lambdas/shared/otlp/index.ts';
import { decodeRecord } from '../lambdas/shared/record/index.ts';
import { ShardDirectory } from '../lambdas/shared/routing/index.ts';
import { NOTHING_OVER_LIMIT, type TraceSink } from '../lambdas/shared/sampling/kept-trace.ts';
import { EMPTY_SCOPE, makeResource, type Span, SpanKind, StatusCode } from '../lambdas/shared/span/model.ts';
import { createTraceStore } from '../lambdas/storage/index.ts';
import { evenShardMap } from '../workload/shards.ts';
import type { Workload } from '../workload/workload.ts';
import { walkSpans } from './baselines.ts';
import { type BenchResult, collector, cpuMs, figure, median, pairedRatio, rate } from './harness.ts';

const SHARD = 'shardId-000000000000';
const STREAM = 'bench';
const BUCKET = 'bench';
const MAX_RECORD_BYTES = 1024 * 1024 - 1024;
/** The event source mapping's batch size, the CDK default (lib/sampler.ts). */
const BATCH_RECORDS = 1000;
/** A replay that has not drained its stream after this many invocations is broken. */
const MAX_INVOCATIONS = 100_000;
const HUGE_TRACE_SPANS = 50_000;

/** A record as the stream holds it, before the mapping gives it a sequence number. */
export interface Arrival {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly arrivalMs: number;
}

/** The event source mapping's batching: up to `batchRecords` records, or one window's arrivals. */
export interface Mapping {
  readonly batchRecords: number;
  readonly windowMs: number;
}

/** The simulated time: the arrival time of the records and "now" of each invocation. */
interface Clock {
  now: number;
}

/**
 * The workload's records as ingest writes them to one shard, in request order, each arriving when
 * its request was exported: at the end of the request's last span.
 */
export function packedRequests(workload: Workload): Arrival[] {
  const routing = { shardMap: evenShardMap(1), lanes: 1, maxRecordBytes: MAX_RECORD_BYTES };
  const arrivals: Arrival[] = [];
  for (const request of workload.requests) {
    const arrivalMs = lastEndMs(decodeTraceRequest(request.protobuf));
    for (const record of packScannedRequest(scanTraceRequest(request.protobuf), routing).records) {
      arrivals.push({ data: record.data, partitionKey: record.partitionKey, arrivalMs });
    }
  }
  return arrivals;
}

/** The same records in the order they arrive (each service's requests interleave with the others'). */
export function byArrival(records: readonly Arrival[]): Arrival[] {
  return [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
}

function lastEndMs(spans: readonly Span[]): number {
  let end = 0n;
  for (const span of spans) if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
  return Number(end / 1_000_000n);
}

/** The previous benchmark's timeline: the records in request order, 1 ms apart from `startMs`. */
export function backToBack(records: readonly Arrival[], startMs: number): Arrival[] {
  return records.map((record, i) => ({ ...record, arrivalMs: startMs + i }));
}

/**
 * One shard: the workload's records, and the records the sampler puts (wake-ups), which arrive when
 * they are put. Sequence numbers are given in arrival order as the mapping reads the records.
 */
export class ShardStream {
  private readonly records: readonly Arrival[];
  private readonly put: Arrival[] = [];
  private next = 0;
  private nextPut = 0;
  private sequence = 0;

  public constructor(records: readonly Arrival[]) {
    this.records = records;
  }

  public append(record: Arrival): void {
    this.put.push(record);
  }

  /** Arrival time of the earliest record not read yet; undefined when the shard is drained. */
  public headArrival(): number | undefined {
    const a = this.records[this.next]?.arrivalMs;
    const b = this.put[this.nextPut]?.arrivalMs;
    if (a === undefined) return b;
    return b === undefined ? a : Math.min(a, b);
  }

  /** Up to `max` records that arrived by `untilMs`, in arrival order. */
  public take(untilMs: number, max: number): StreamRecord[] {
    const out: StreamRecord[] = [];
    while (out.length < max) {
      const record = this.shift(untilMs);
      if (!record) break;
      out.push({ ...record, sequenceNumber: String(++this.sequence).padStart(20, '0') });
    }
    return out;
  }

  private shift(untilMs: number): Arrival | undefined {
    const a = this.records[this.next];
    const b = this.put[this.nextPut];
    const first = a && (!b || a.arrivalMs <= b.arrivalMs) ? a : b;
    if (!first || first.arrivalMs > untilMs) return undefined;
    if (first === a) this.next++;
    else this.nextPut++;
    return first;
  }
}

/** What one replay did, summed over its invocations. */
export interface ReplayStats {
  invocations: number;
  records: number;
  /** Spans taken in: the stream's, plus those read again from the pending set. */
  spansIn: number;
  keptSpans: number;
  droppedSpans: number;
  /** Spans left in the pending set by the last invocation. */
  pendingAtEnd: number;
  /** CPU time spent inside the sink's writes (DynamoDB items, Parquet encoding, manifests). */
  sinkMs: number;
}

function emptyStats(): ReplayStats {
  return {
    invocations: 0,
    records: 0,
    spansIn: 0,
    keptSpans: 0,
    droppedSpans: 0,
    pendingAtEnd: 0,
    sinkMs: 0,
  };
}

function addOutcome(stats: ReplayStats, accounting: Accounting, records: number): void {
  stats.invocations++;
  stats.records += records;
  stats.spansIn += accounting.spansIn;
  for (const n of accounting.keptSpans.values()) stats.keptSpans += n;
  for (const n of accounting.droppedSpans.values()) stats.droppedSpans += n;
  stats.pendingAtEnd = accounting.pending;
}

/** The sampler of one warm container, its stand-ins, and the clock they share. */
export interface SamplerRig {
  readonly deps: SamplerDeps;
  readonly runtime: SamplerRuntime;
  readonly clock: Clock;
  readonly stream: ShardStream;
  readonly bucket: FakeBucket;
  readonly stats: ReplayStats;
}

/**
 * The event source mapping over one shard until it is drained: each batch opens at its first
 * record (or when the previous invocation ended), and goes when full or when the window has passed.
 */
export async function replay(rig: SamplerRig, mapping: Mapping): Promise<ReplayStats> {
  for (let head = rig.stream.headArrival(); head !== undefined; head = rig.stream.headArrival()) {
    if (rig.stats.invocations >= MAX_INVOCATIONS) throw new Error('the replay does not drain its stream');
    const opened = Math.max(rig.clock.now, head);
    const records = rig.stream.take(opened + mapping.windowMs, mapping.batchRecords);
    const last = records.at(-1) as StreamRecord;
    rig.clock.now =
      records.length === mapping.batchRecords ? Math.max(opened, last.arrivalMs) : opened + mapping.windowMs;
    await invoke(rig, records);
  }
  return rig.stats;
}

async function invoke(rig: SamplerRig, records: readonly StreamRecord[]): Promise<void> {
  const outcome = await sampleBatch({ shardId: SHARD, records }, rig.deps, rig.runtime);
  addOutcome(rig.stats, outcome.accounting, records.length);
}

type Command = { readonly constructor: { readonly name: string }; readonly input: Record<string, unknown> };

/** A Kinesis client that lists one shard and appends every PutRecords entry to the shard's stream. */
function fakeKinesis(stream: ShardStream, clock: Clock): KinesisClient {
  const shardMap = evenShardMap(1);
  let sequence = 0;
  const send = async (command: Command) => {
    if (command.constructor.name === 'PutRecordsCommand') {
      const entries = (command.input.Records ?? []) as { Data: Uint8Array; PartitionKey: string }[];
      for (const e of entries)
        stream.append({ data: e.Data, partitionKey: e.PartitionKey, arrivalMs: clock.now });
      return {
        FailedRecordCount: 0,
        Records: entries.map(() => ({ SequenceNumber: String(++sequence), ShardId: SHARD })),
      };
    }
    return {
      Shards: shardMap.shards.map((s) => ({
        ShardId: s.shardId,
        HashKeyRange: { StartingHashKey: String(s.startingHashKey), EndingHashKey: String(s.endingHashKey) },
        SequenceNumberRange: { StartingSequenceNumber: '1' },
      })),
    };
  };
  return { send } as unknown as KinesisClient;
}

/**
 * An S3 bucket in memory that answers as S3 does: a missing key is NoSuchKey, every write gets a new
 * ETag, and a conditional write (If-Match, If-None-Match) that does not hold is PreconditionFailed.
 * It keeps the sampler's state and the trace store's manifests; Parquet data files are not kept.
 */
export interface FakeBucket {
  readonly client: S3Client;
  readonly objects: Map<string, { readonly body: Uint8Array | string; readonly etag: string }>;
}

function fakeS3(): FakeBucket {
  const objects: FakeBucket['objects'] = new Map();
  let writes = 0;
  const put = (input: Record<string, unknown>) => {
    const key = input.Key as string;
    const current = objects.get(key);
    const match = input.IfMatch as string | undefined;
    if ((match !== undefined && current?.etag !== match) || (input.IfNoneMatch === '*' && current)) {
      throw Object.assign(new Error(`PreconditionFailed: ${key}`), { name: 'PreconditionFailed' });
    }
    const etag = `"${++writes}"`;
    if (input.ContentType !== 'application/vnd.apache.parquet') {
      objects.set(key, { body: input.Body as Uint8Array | string, etag });
    }
    return { ETag: etag };
  };
  const send = async (command: Command) => {
    const key = command.input.Key as string;
    switch (command.constructor.name) {
      case 'PutObjectCommand':
        return put(command.input);
      case 'GetObjectCommand': {
        const object = objects.get(key);
        if (!object) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
        return { ETag: object.etag, Body: bodyOf(object.body) };
      }
      case 'DeleteObjectCommand':
        objects.delete(key);
        return {};
      case 'ListObjectsV2Command': {
        const prefix = (command.input.Prefix as string | undefined) ?? '';
        return { Contents: [...objects.keys()].filter((k) => k.startsWith(prefix)).map((Key) => ({ Key })) };
      }
      default:
        throw new Error(`fake S3: ${command.constructor.name} not expected`);
    }
  };
  return { client: { send } as unknown as S3Client, objects };
}

function bodyOf(body: Uint8Array | string) {
  return {
    transformToString: async () => (typeof body === 'string' ? body : new TextDecoder().decode(body)),
    transformToByteArray: async () => (typeof body === 'string' ? new TextEncoder().encode(body) : body),
  };
}

/**
 * A DynamoDB client that accepts every write (batches, the dependency marker and counters) and finds
 * nothing stored (every kept trace is new).
 */
function fakeDynamoDb(): DynamoDBClient {
  const send = async (command: Command) => {
    switch (command.constructor.name) {
      case 'BatchWriteItemCommand':
        return { UnprocessedItems: {} };
      case 'BatchGetItemCommand':
        return { Responses: {}, UnprocessedKeys: {} };
      case 'QueryCommand':
        return { Items: [] };
      case 'PutItemCommand':
      case 'UpdateItemCommand':
        return {};
      default:
        throw new Error(`fake DynamoDB: ${command.constructor.name} not expected`);
    }
  };
  return { send } as unknown as DynamoDBClient;
}

/** `real`: the trace store over no-op DynamoDB and S3 clients; `counting`: a sink that only counts. */
export type SinkKind = 'real' | 'counting';

/** A sampler as the handler builds it (one warm container), over the stand-ins, at `startMs`. */
export function samplerRig(
  configInput: TracesiftConfigInput,
  sinkKind: SinkKind,
  records: readonly Arrival[],
  startMs: number,
): SamplerRig {
  const config = parseConfig(configInput);
  const clock: Clock = { now: startMs };
  const now = () => clock.now;
  const stream = new ShardStream(records);
  const kinesis = fakeKinesis(stream, clock);
  const bucket = fakeS3();
  const metrics = new Metrics({ sink: () => {} });
  const store = createTraceStore({
    dynamodb: fakeDynamoDb(),
    s3: bucket.client,
    tableName: 'bench',
    bucketName: BUCKET,
    config,
    metrics,
    logger: silentLogger,
    now,
  });
  const stats = emptyStats();
  const deps: SamplerDeps = {
    kinesis,
    streamName: STREAM,
    now,
    shards: new ShardDirectory(kinesis, { streamName: STREAM, ttlMs: 3_600_000, now }),
    sink: timedSink(sinkKind === 'real' ? store : { write: async () => NOTHING_OVER_LIMIT }, stats),
    lookup: store,
    stateStore: s3StateStore(bucket.client, BUCKET, STREAM),
    config,
    metrics,
    logger: silentLogger,
  };
  return { deps, runtime: createRuntime(config), clock, stream, bucket, stats };
}

/** The sink, with the CPU time spent in its writes added to `stats.sinkMs`. */
function timedSink(sink: TraceSink, stats: ReplayStats): TraceSink {
  return {
    write: async (traces, batch, signal) => {
      const started = cpuMs();
      try {
        return await sink.write(traces, batch, signal);
      } finally {
        stats.sinkMs += cpuMs() - started;
      }
    },
  };
}

/** Bytes of the pending objects in the bucket (one after a commit: the replaced one is deleted). */
export function pendingObjectBytes(bucket: FakeBucket): number {
  let bytes = 0;
  for (const [key, { body }] of bucket.objects)
    if (key.startsWith(pendingPrefix(STREAM))) bytes += body.length;
  return bytes;
}

/** The two configurations timed: the defaults with everything in the loop, and the previous one. */
interface Scenario {
  readonly config: TracesiftConfigInput;
  readonly sink: SinkKind;
  readonly records: readonly Arrival[];
  readonly mapping: Mapping;
}

/** `packed`: the workload's records in request order (packedRequests). */
function scenarios(packed: readonly Arrival[]): { current: Scenario; previous: Scenario } {
  const exported = byArrival(packed);
  const windowMs = parseConfig({}).window.batchingWindowSeconds * 1000;
  const current: Scenario = {
    config: {},
    sink: 'real',
    records: exported,
    mapping: { batchRecords: BATCH_RECORDS, windowMs },
  };
  const previous: Scenario = {
    config: { sampling: { sendDelaySeconds: 0 } },
    sink: 'counting',
    records: backToBack(packed, (exported[0] as Arrival).arrivalMs),
    mapping: { batchRecords: 100, windowMs },
  };
  return { current, previous };
}

async function timedReplay(scenario: Scenario): Promise<{ ms: number; stats: ReplayStats }> {
  const start = (scenario.records[0] as Arrival).arrivalMs;
  const rig = samplerRig(scenario.config, scenario.sink, scenario.records, start);
  const started = cpuMs();
  const stats = await replay(rig, scenario.mapping);
  return { ms: cpuMs() - started, stats };
}

/** Every accepted span decided once, nothing left pending: else the replay measured something else. */
function checkDecidedAll(stats: ReplayStats, spans: number, name: string): void {
  if (stats.keptSpans + stats.droppedSpans !== spans || stats.pendingAtEnd !== 0) {
    throw new Error(
      `sampler bench (${name}): ${stats.keptSpans + stats.droppedSpans} of ${spans} spans decided, ` +
        `${stats.pendingAtEnd} left pending`,
    );
  }
}

interface ThroughputTimes {
  readonly current: number[];
  /** CPU time of the current configuration's runs spent in the sink. */
  readonly sink: number[];
  readonly previous: number[];
  readonly floor: number[];
}

/**
 * Both configurations and the floor, round-robin run by run so that the ratios compare runs that
 * saw the same machine. The floor: every record's payload decompressed and walked to each span.
 */
async function timeThroughput(
  packed: readonly Arrival[],
  spans: number,
  runs: number,
): Promise<{ times: ThroughputTimes; stats: ReplayStats }> {
  const { current, previous } = scenarios(packed);
  const floor = (): void => {
    for (const record of current.records) walkSpans(decodeRecord(record.data).payload);
  };
  await timedReplay(current);
  await timedReplay(previous);
  floor();
  const times: ThroughputTimes = { current: [], sink: [], previous: [], floor: [] };
  let stats = emptyStats();
  for (let i = 0; i < runs; i++) {
    const now = await timedReplay(current);
    checkDecidedAll(now.stats, spans, 'default configuration');
    times.current.push(now.ms);
    times.sink.push(now.stats.sinkMs);
    stats = now.stats;
    const before = await timedReplay(previous);
    checkDecidedAll(before.stats, spans, 'previous configuration');
    times.previous.push(before.ms);
    const started = cpuMs();
    floor();
    times.floor.push(cpuMs() - started);
  }
  return { times, stats };
}

/**
 * bench/cost/figures.ts reads the sampler's CPU per span from the first sampler row whose metric
 * starts with "spans/s per core", and adds the pending re-reads and the storage work to it: that is
 * the sampler-alone row, so the headline (which holds both) is named otherwise.
 */
const ACCEPTED_METRIC = 'accepted spans/s per core: default config, pending buffer, real sink encoding';
const SAMPLER_ALONE_METRIC = 'spans/s per core, sampler alone (accepted + re-read spans, sink CPU taken out)';
const PREVIOUS_METRIC =
  'previous configuration (send delay 0, counting sink, 100-record batches): spans/s per core';

async function throughput(packed: readonly Arrival[], spans: number, runs: number): Promise<BenchResult[]> {
  const { times, stats } = await timeThroughput(packed, spans, runs);
  const samplerAlone = times.current.map((ms, i) => ms - (times.sink[i] ?? 0));
  return [
    rate('sampler', ACCEPTED_METRIC, spans, times.current, { op: '>=', value: 300_000 }),
    rate('sampler', SAMPLER_ALONE_METRIC, stats.spansIn, samplerAlone),
    figure(
      'sampler',
      'spans re-read from the pending set per accepted span',
      stats.spansIn / spans - 1,
      'spans',
    ),
    share(
      'sampler',
      'sink share of that CPU (DynamoDB items, Parquet, manifests)',
      times.sink,
      times.current,
    ),
    figure('sampler', 'kept spans per accepted span', (stats.keptSpans / spans) * 100, '%'),
    figure('sampler', 'invocations (10 s window or 1,000 records)', stats.invocations, 'invocations'),
    figure('sampler', 'records per invocation, mean', stats.records / stats.invocations, 'records'),
    rate(
      'baseline',
      'sampler floor: zstd decompress + bare walk of the records, spans/s',
      spans,
      times.floor,
    ),
    pairedRatio('ratio', 'sampler time (defaults, real sink) / its floor time', times.current, times.floor),
    rate('sampler', PREVIOUS_METRIC, spans, times.previous),
    pairedRatio('ratio', 'previous configuration time / its floor time', times.previous, times.floor),
  ];
}

/** `parts` over `wholes` run by run, in percent, with its median. */
function share(
  stage: string,
  metric: string,
  parts: readonly number[],
  wholes: readonly number[],
): BenchResult {
  const runs = parts.map((part, i) => (part / (wholes[i] ?? Number.NaN)) * 100);
  return { stage, metric, value: median(runs), unit: '%', runs };
}

/**
 * A 50,000-span trace with an error (so it is kept once decided). With its root, span 0 is the
 * root; without it, its 50,000 spans are all children of a root that never comes.
 */
function hugeTrace(withRoot: boolean): Span[] {
  const traceId = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
  const resource = makeResource({ 'service.name': 'batch-jobs', 'host.name': 'worker-17' });
  const start = 1_764_000_000_000_000_000n;
  const first = withRoot ? 0 : 1;
  return Array.from({ length: HUGE_TRACE_SPANS }, (_, k): Span => {
    const i = first + k;
    return {
      traceId,
      spanId: (i + 1).toString(16).padStart(16, '0'),
      parentSpanId: i === 0 ? '' : '0000000000000001',
      traceState: '',
      flags: 1,
      name: i === 0 ? 'nightly-reconcile' : `process item ${i % 500}`,
      kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
      startTimeUnixNano: start + BigInt(i) * 1_000_000n,
      endTimeUnixNano: start + BigInt(i) * 1_000_000n + 900_000n,
      attributes: {
        'app.item.id': `item-${i}`,
        'app.item.bytes': (i * 7919) % 65_536,
        'db.system.name': 'postgresql',
      },
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: i === 49_999 ? StatusCode.ERROR : StatusCode.UNSET, message: '' },
      resource,
      scope: EMPTY_SCOPE,
    };
  });
}

/** The huge trace's records, arriving with the first record of `traffic`, then `traffic`. */
function withHugeTrace(withRoot: boolean, traffic: readonly Arrival[]): Arrival[] {
  const arrivalMs = (traffic[0] as Arrival).arrivalMs;
  const routing = { shardMap: evenShardMap(1), lanes: 1, maxRecordBytes: MAX_RECORD_BYTES };
  const huge = packSpans(hugeTrace(withRoot), routing).records.map((r) => ({
    data: r.data,
    partitionKey: r.partitionKey,
    arrivalMs,
  }));
  return [...huge, ...traffic];
}

interface Heap {
  readonly used: number;
  /** JS heap plus array buffers (record bytes live in array buffers). */
  readonly all: number;
}

function heap(): Heap {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { used: heapUsed, all: heapUsed + arrayBuffers };
}

/** The heap after a full collection, once the finalizers that release array buffers have run. */
async function settledHeap(gc: () => void): Promise<Heap> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  gc();
  return heap();
}

function bucketBytes(bucket: FakeBucket): number {
  let bytes = 0;
  for (const { body } of bucket.objects.values()) bytes += body.length;
  return bytes;
}

const MiB = 2 ** 20;

/**
 * One batch with the 50,000-span trace (root included) and the first 100 records of ordinary
 * traffic, default configuration: the trace is decided at the span limit and kept for its error,
 * so it is decoded in full and encoded by the real sink.
 */
async function keptHugeTrace(exported: readonly Arrival[], runs: number): Promise<BenchResult[]> {
  const gc = collector();
  const arrivals = withHugeTrace(true, exported.slice(0, 100));
  const heapGrowth: number[] = [];
  const times: number[] = [];
  let spans = 0;
  for (let run = 0; run < runs; run++) {
    const rig = samplerRig({}, 'real', arrivals, (arrivals[0] as Arrival).arrivalMs);
    const records = rig.stream.take(Number.POSITIVE_INFINITY, arrivals.length);
    rig.clock.now = (records.at(-1) as StreamRecord).arrivalMs;
    const before = await settledHeap(gc);
    const started = cpuMs();
    await invoke(rig, records);
    times.push(cpuMs() - started);
    // Measured before collecting: everything the batch allocated, retained or not, is an upper bound of its peak.
    heapGrowth.push((heap().used - before.used) / MiB);
    spans = rig.stats.spansIn;
  }
  return [
    figure('sampler', 'spans in the batch with a 50,000-span trace', spans, 'spans'),
    rate('sampler', 'spans/s for that batch (the big trace kept: decoded, real sink encoding)', spans, times),
    {
      ...figure(
        'sampler',
        'heap allocated by that batch (upper bound of its peak)',
        median(heapGrowth),
        'MiB',
      ),
      runs: heapGrowth,
    },
  ];
}

/** The big trace waits: under the span limit (its 7.9 MiB of spans are under the 8 MiB byte limit). */
const PENDING_CONFIG: TracesiftConfigInput = { sampling: { maxSpansPerTrace: 2 * HUGE_TRACE_SPANS } };

interface PendingRun {
  readonly allocatedMiB: number;
  readonly retainedMiB: number;
  readonly pendingBytes: number;
  readonly pendingSpans: number;
  /** CPU of the next invocation (one batching window later), ms. */
  readonly nextMs: number;
  readonly pendingSpansAfterNext: number;
}

/**
 * Batch 1: the rootless trace and the first 100 records of ordinary traffic; batch 2: what arrives
 * within the next batching window, with the trace still pending (its timeout is 30 s away).
 */
async function pendingRun(arrivals: readonly Arrival[], first: number, gc: () => void): Promise<PendingRun> {
  const rig = samplerRig(PENDING_CONFIG, 'real', arrivals, (arrivals[0] as Arrival).arrivalMs);
  const batch = rig.stream.take(Number.POSITIVE_INFINITY, first);
  rig.clock.now = (batch.at(-1) as StreamRecord).arrivalMs;
  const before = await settledHeap(gc);
  await invoke(rig, batch);
  const allocatedMiB = (heap().used - before.used) / MiB;
  // What the batch left in the container; the bucket's copies are S3's, not the sampler's.
  const retainedMiB = ((await settledHeap(gc)).all - before.all - bucketBytes(rig.bucket)) / MiB;
  const pendingBytes = pendingObjectBytes(rig.bucket);
  const pendingSpans = rig.stats.pendingAtEnd;
  rig.clock.now += rig.deps.config.window.batchingWindowSeconds * 1000;
  const next = rig.stream.take(rig.clock.now, Number.POSITIVE_INFINITY);
  const started = cpuMs();
  await invoke(rig, next);
  const nextMs = cpuMs() - started;
  return {
    allocatedMiB,
    retainedMiB,
    pendingBytes,
    pendingSpans,
    nextMs,
    pendingSpansAfterNext: rig.stats.pendingAtEnd,
  };
}

async function pendingHugeTrace(exported: readonly Arrival[], runs: number): Promise<BenchResult[]> {
  const gc = collector();
  const traffic = exported.slice(0, 100);
  const later = exported.slice(100);
  const withTrace = withHugeTrace(false, traffic);
  const huge = withTrace.length - traffic.length;
  const withIt: PendingRun[] = [];
  const without: PendingRun[] = [];
  // Unmeasured: the first such batch grows buffers the process then keeps (reput.ts's shared writer).
  await pendingRun([...withTrace, ...later], huge + traffic.length, gc);
  for (let run = 0; run < runs; run++) {
    withIt.push(await pendingRun([...withTrace, ...later], huge + traffic.length, gc));
    without.push(await pendingRun(exported, traffic.length, gc));
  }
  const last = withIt.at(-1) as PendingRun;
  if (last.pendingSpansAfterNext < HUGE_TRACE_SPANS) {
    throw new Error(
      `sampler bench: the rootless trace was decided (${last.pendingSpansAfterNext} spans pending)`,
    );
  }
  const row = (
    metric: string,
    runs: readonly PendingRun[],
    pick: (r: PendingRun) => number,
    unit: string,
  ) => {
    const values = runs.map(pick);
    return { ...figure('sampler', metric, median(values), unit), runs: values };
  };
  return [
    figure(
      'sampler',
      'spans pending after a batch with a rootless 50,000-span trace',
      last.pendingSpans,
      'spans',
    ),
    row(
      'heap allocated by the batch that pends it (upper bound of its peak)',
      withIt,
      (r) => r.allocatedMiB,
      'MiB',
    ),
    row(
      'memory it leaves in the container (full GC: JS heap + array buffers)',
      withIt,
      (r) => r.retainedMiB,
      'MiB',
    ),
    figure('sampler', 'its pending object (TSP1)', last.pendingBytes, 'B'),
    figure(
      'sampler',
      'the same pending object without that trace',
      (without.at(-1) as PendingRun).pendingBytes,
      'B',
    ),
    row('CPU of the next batch, carrying that trace', withIt, (r) => r.nextMs, 'ms'),
    row('CPU of the same next batch without it', without, (r) => r.nextMs, 'ms'),
  ];
}

export async function benchSampler(workload: Workload, runs = 5): Promise<BenchResult[]> {
  const packed = packedRequests(workload);
  const exported = byArrival(packed);
  return [
    ...(await throughput(packed, workload.spanCount, runs)),
    ...(await keptHugeTrace(exported, runs)),
    ...(await pendingHugeTrace(exported, runs)),
  ];
}
