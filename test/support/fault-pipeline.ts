/**
 * The pipeline for fault tests: the real ingest and sampler handlers over an in-memory Kinesis
 * stream (aws-sdk-client-mock), delivered by the local event source mapping stand-in
 * (local/poller.ts `deliverBatch`: bisect, partial batch responses, retries, on-failure
 * destination), a fake clock, and every EMF line of every handler captured for the accounting.
 *
 * Faults are injected at the edges a real deployment has them: PutRecords answers, SDK calls to the
 * DynamoDB and S3 stand-ins (`injectFaults`), and invocations that run out of time (`invokeWithin`).
 */
import { appendFileSync } from 'node:fs';
import {
  KinesisClient,
  type KinesisClientResolvedConfig,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type ListShardsCommandOutput,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsResultEntry,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import { createIngestHandler } from '../../lambdas/ingest/app.ts';
import { TraceRateLimiter } from '../../lambdas/ingest/trace-rate.ts';
import { createSamplerHandler } from '../../lambdas/sampler/app.ts';
import type { SamplerStateStore } from '../../lambdas/sampler/state/state-store.ts';
import {
  parseConfig,
  type TracesiftConfig,
  type TracesiftConfigInput,
} from '../../lambdas/shared/config/index.ts';
import { type Logger, silentLogger } from '../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../lambdas/shared/metrics/index.ts';
import { decodeRecordHeader } from '../../lambdas/shared/record/index.ts';
import { MAX_HASH_KEY, ShardDirectory } from '../../lambdas/shared/routing/index.ts';
import type { DecisionLookup, TraceSink } from '../../lambdas/shared/sampling/kept-trace.ts';
import { deliverBatch, emptyStats, type FailedBatch, type PollerStats } from '../../local/poller.ts';
import { listShardsOutput } from './kinesis-mock.ts';
import { memoryStateStore } from './sampler.ts';

export type KinesisMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, KinesisClientResolvedConfig>;

/** One PutRecords entry's fate, decided by a fault plan: undefined accepts it. */
export type EntryFault = 'ProvisionedThroughputExceededException' | 'InternalFailure' | undefined;

/**
 * A Kinesis stream in memory: PutRecords places each entry on the shard of its ExplicitHashKey with
 * the clock's arrival time; a fault plan can fail entries or whole calls.
 */
export class MemoryStream {
  public readonly shardIds: string[];
  public readonly records: Map<string, KinesisRecord[]>;
  /** Index of the next record not yet checkpointed, per shard. */
  public readonly cursors: Map<string, number>;
  public putCalls = 0;
  /**
   * Decides each entry's fate from the entry, its shard and how often the same record was offered
   * before; `callFault` fails a whole call (stream unavailable).
   */
  public entryFault: (entry: { shardId: string; attempt: number }) => EntryFault = () => undefined;
  public callFault: (call: number) => Error | undefined = () => undefined;
  /** While set, PutRecords calls wait for it (a stream that stops answering), then go through. */
  public stall: Promise<void> | undefined;
  private readonly width: bigint;
  /** Shards created by `split`, and the shards they closed (the stream is evenly split until then). */
  private readonly lineage = new Map<
    string,
    { start: bigint; end: bigint; parent?: string; ending?: string }
  >();
  private sequence = 0;
  private readonly offered = new WeakMap<object, number>();
  private readonly clock: () => number;

  public constructor(shardCount: number, clock: () => number) {
    this.clock = clock;
    this.width = (MAX_HASH_KEY + 1n) / BigInt(shardCount);
    this.shardIds = Array.from({ length: shardCount }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
    this.records = new Map(this.shardIds.map((id) => [id, []]));
    this.cursors = new Map(this.shardIds.map((id) => [id, 0]));
  }

  /**
   * Splits an open shard in two halves of its hash key range, as SplitShard does: the parent is
   * closed (no new records; its unread ones are still delivered), the children take every new
   * record of their ranges, and ListShards names their parent. Delivery reads a child only once its
   * parent is read to the end, as the event source mapping does.
   */
  public split(shardId: string): [string, string] {
    if (this.lineage.size === 0) {
      const listed = listShardsOutput(this.shardIds.length).Shards ?? [];
      for (const shard of listed) {
        this.lineage.set(shard.ShardId as string, {
          start: BigInt(shard.HashKeyRange?.StartingHashKey as string),
          end: BigInt(shard.HashKeyRange?.EndingHashKey as string),
        });
      }
    }
    const parent = this.lineage.get(shardId);
    if (!parent || parent.ending) throw new Error(`${shardId} is not an open shard`);
    parent.ending = String(this.sequence).padStart(24, '0');
    const middle = parent.start + (parent.end - parent.start + 1n) / 2n;
    const children = [
      { start: parent.start, end: middle - 1n },
      { start: middle, end: parent.end },
    ].map((range) => {
      const id = `shardId-${String(this.shardIds.length).padStart(12, '0')}`;
      this.shardIds.push(id);
      this.records.set(id, []);
      this.cursors.set(id, 0);
      this.lineage.set(id, { ...range, parent: shardId });
      return id;
    });
    return children as [string, string];
  }

  /** True for a shard `split` closed. */
  public closed(shardId: string): boolean {
    return this.lineage.get(shardId)?.ending !== undefined;
  }

  /** False for a child shard while its parent still has unread records. */
  public readable(shardId: string): boolean {
    const parent = this.lineage.get(shardId)?.parent;
    return parent === undefined || (this.unread(parent).length === 0 && this.readable(parent));
  }

  private listShards(): Partial<ListShardsCommandOutput> {
    if (this.lineage.size === 0) return listShardsOutput(this.shardIds.length);
    return {
      Shards: [...this.lineage].map(([id, shard]) => ({
        ShardId: id,
        ...(shard.parent ? { ParentShardId: shard.parent } : {}),
        HashKeyRange: { StartingHashKey: String(shard.start), EndingHashKey: String(shard.end) },
        SequenceNumberRange: {
          StartingSequenceNumber: '1',
          ...(shard.ending ? { EndingSequenceNumber: shard.ending } : {}),
        },
      })),
    };
  }

  private shardOf(hashKey: bigint): string {
    if (this.lineage.size === 0) {
      return this.shardIds[Math.min(this.shardIds.length - 1, Number(hashKey / this.width))] as string;
    }
    for (const [id, shard] of this.lineage) {
      if (!shard.ending && hashKey >= shard.start && hashKey <= shard.end) return id;
    }
    throw new Error(`no open shard holds hash key ${hashKey}`);
  }

  /** Answers ListShards and PutRecords of `mock` from this stream. */
  public install(mock: KinesisMock): void {
    mock.on(ListShardsCommand).callsFake(() => this.listShards());
    mock
      .on(PutRecordsCommand)
      .callsFake((input: PutRecordsCommandInput) =>
        this.stall ? this.stall.then(() => this.put(input)) : this.put(input),
      );
  }

  public put(input: PutRecordsCommandInput): Partial<PutRecordsCommandOutput> {
    const call = this.putCalls++;
    const thrown = this.callFault(call);
    if (thrown) throw thrown;
    let failed = 0;
    const results = (input.Records ?? []).map((entry): PutRecordsResultEntry => {
      const shardId = this.shardOf(BigInt(entry.ExplicitHashKey ?? '0'));
      const data = entry.Data as Uint8Array;
      const attempt = this.offered.get(data) ?? 0;
      this.offered.set(data, attempt + 1);
      const fault = this.entryFault({ shardId, attempt });
      if (fault) {
        failed++;
        return { ErrorCode: fault, ErrorMessage: 'injected' };
      }
      const sequenceNumber = String(++this.sequence).padStart(24, '0');
      this.append(shardId, entry.Data as Uint8Array, entry.PartitionKey ?? '', sequenceNumber);
      return { ShardId: shardId, SequenceNumber: sequenceNumber };
    });
    return { FailedRecordCount: failed, Records: results };
  }

  /** Writes a record directly (what a foreign or corrupting producer would do). */
  public append(shardId: string, data: Uint8Array, partitionKey: string, sequenceNumber?: string): void {
    (this.records.get(shardId) as KinesisRecord[]).push({
      Data: data,
      PartitionKey: partitionKey,
      SequenceNumber: sequenceNumber ?? String(++this.sequence).padStart(24, '0'),
      ApproximateArrivalTimestamp: new Date(this.clock()),
    });
  }

  /** Records written and not yet checkpointed (the iterator lag, in records). */
  public pending(): number {
    let total = 0;
    for (const id of this.shardIds) total += this.unread(id).length;
    return total;
  }

  public unread(shardId: string): KinesisRecord[] {
    return (this.records.get(shardId) as KinesisRecord[]).slice(this.cursors.get(shardId));
  }

  public checkpoint(shardId: string, sequenceNumber: string): void {
    const list = this.records.get(shardId) as KinesisRecord[];
    const at = list.findIndex((r) => r.SequenceNumber === sequenceNumber);
    if (at < 0) throw new Error(`checkpoint ${sequenceNumber} names no record of ${shardId}`);
    this.cursors.set(shardId, at + 1);
  }

  /** Every span-carrying record ever written, in shard order. */
  public all(): KinesisRecord[] {
    return this.shardIds.flatMap((id) => this.records.get(id) as KinesisRecord[]);
  }
}

/** EMF lines of every handler, summed by metric name and dimensions. */
export class CapturedMetrics {
  public readonly lines: Array<Record<string, unknown>> = [];

  public forFunction(name: string): Metrics {
    return new Metrics({
      dimensions: { Function: name },
      sink: (line) => this.lines.push(parseEmfLine(line) ?? {}),
    });
  }

  public sum(name: string, dimensions: Record<string, string> = {}): number {
    return this.lines
      .filter((line) => Object.entries(dimensions).every(([k, v]) => line[k] === v))
      .reduce((total, line) => total + (typeof line[name] === 'number' ? (line[name] as number) : 0), 0);
  }
}

export type SamplerInvoke = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

export interface FaultPipelineOptions {
  readonly kinesis: KinesisMock;
  readonly sink: TraceSink & DecisionLookup;
  readonly config?: TracesiftConfigInput;
  readonly shards?: number;
  /** Records per delivered batch (the mapping's BatchSize). */
  readonly batchSize?: number;
  readonly maxRetryAttempts?: number;
  readonly bisectOnError?: boolean;
  readonly logger?: Logger;
  /** Wraps each sampler invocation (e.g. with a deadline); the default calls the handler directly. */
  readonly invoke?: (handler: SamplerHandler, event: KinesisStreamEvent) => ReturnType<SamplerInvoke>;
  /** Where the sampler keeps its state and pending traces; default: a fresh in-memory store. */
  readonly stateStore?: SamplerStateStore;
}

export type SamplerHandler = ReturnType<typeof createSamplerHandler>;

export interface FaultPipeline {
  readonly stream: MemoryStream;
  readonly metrics: CapturedMetrics;
  readonly config: TracesiftConfig;
  readonly failed: FailedBatch[];
  readonly stats: PollerStats;
  /** The sampler's state store (the one passed in, or the in-memory default). */
  readonly stateStore: SamplerStateStore;
  now(): number;
  advance(ms: number): void;
  /** POSTs one OTLP/HTTP body to the ingest handler; answers the status and headers. */
  /**
   * POSTs one OTLP/HTTP body to the ingest handler, as API Gateway would: a function error (a throw,
   * or middy's TimeoutError at the deadline of `timeoutMs`) becomes a 502, and its name is kept in
   * `ingestErrors`.
   */
  export(
    body: Uint8Array,
    contentType?: string,
    timeoutMs?: number,
  ): Promise<{ statusCode: number; headers: Record<string, unknown> | undefined; body: Buffer }>;
  readonly ingestErrors: string[];
  /**
   * Exports like an OpenTelemetry OTLP/HTTP exporter: on 429, 502, 503 or 504 it waits Retry-After
   * (the fake clock) and sends the same body again, up to `maxAttempts` times.
   */
  exportRetrying(
    body: Uint8Array,
    contentType?: string,
    maxAttempts?: number,
  ): Promise<{ statusCode: number; attempts: number }>;
  /** A new sampler container: caches and statistics of the old one are gone (a cold start). */
  coldStart(): void;
  /** One pass over every shard: delivers up to batchSize unread records of each, with retries. */
  deliverRound(): Promise<void>;
  /** Delivers rounds, advancing the clock between them, until the stream is read to the end. */
  drain(stepMs?: number, maxRounds?: number): Promise<number>;
  /** The accounting identity's two sides, over every successful sampler invocation so far. */
  accounting(): PipelineAccounting;
}

export interface PipelineAccounting {
  /** Span copies ingest put into the stream (SpansAccepted, partial puts of failed requests included). */
  readonly accepted: number;
  readonly kept: number;
  readonly dropped: number;
  /** Spans of records handed to the on-failure destination, counted once per record. */
  readonly deadLettered: number;
  /** Extra copies of spans met again in the same invocation (exporter or Lambda retries). */
  readonly duplicates: number;
  /** Deferred and forwarded span copies counted by successful invocations. */
  readonly reput: number;
  /**
   * Span copies re-put to the stream by invocations that then failed (the sampler writes the stream
   * before the sink): counted by no metric, they come back and are counted again as they are read
   * (as duplicates, or kept or dropped under their trace's decision). Read from the stream's records.
   */
  readonly reputByFailedInvocations: number;
}

/** Statuses the OTLP/HTTP specification tells exporters to retry. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

const LAMBDA_CONTEXT = {
  functionName: 'sampler',
  awsRequestId: 'fault-test',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

export function startFaultPipeline(options: FaultPipelineOptions): FaultPipeline {
  let clock = Date.UTC(2026, 10, 24, 12, 0, 0);
  const now = (): number => clock;
  const sleep = async (ms: number): Promise<void> => {
    clock += ms;
  };
  const config = parseConfig(options.config ?? {});
  const stream = new MemoryStream(options.shards ?? 2, now);
  stream.install(options.kinesis);
  const client = new KinesisClient({ region: 'eu-west-1' });
  const metrics = new CapturedMetrics();
  const logger = options.logger ?? silentLogger;
  const failed: FailedBatch[] = [];
  const ingestErrors: string[] = [];
  const stats = emptyStats();
  const stateStore = options.stateStore ?? memoryStateStore();
  const directory = () => new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now });

  const ingest = createIngestHandler({
    kinesis: client,
    streamName: 'traces',
    config,
    shards: directory(),
    metrics: metrics.forFunction('ingest'),
    logger,
    now,
    sleep,
    traceRate: new TraceRateLimiter(config.ingest.traceRate, now),
  });
  const newSampler = (): SamplerHandler =>
    createSamplerHandler({
      kinesis: client,
      streamName: 'traces',
      shards: directory(),
      sink: options.sink,
      lookup: options.sink,
      stateStore,
      config,
      metrics: metrics.forFunction('sampler'),
      logger,
      now,
      sleep,
    });
  let sampler = newSampler();
  const invoke =
    options.invoke ?? ((handler, event) => handler(event, LAMBDA_CONTEXT) as ReturnType<SamplerInvoke>);

  const pipeline: FaultPipeline = {
    stream,
    metrics,
    config,
    failed,
    stats,
    stateStore,
    now,
    advance: (ms) => {
      clock += ms;
    },
    ingestErrors,
    async export(body, contentType = 'application/x-protobuf', timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      let result: Awaited<ReturnType<typeof ingest>>;
      try {
        result = await ingest(
          {
            httpMethod: 'POST',
            headers: { 'content-type': contentType },
            body: Buffer.from(body).toString('base64'),
            isBase64Encoded: true,
          } as never,
          { ...LAMBDA_CONTEXT, getRemainingTimeInMillis: () => Math.max(0, deadline - performance.now()) },
        );
      } catch (error) {
        ingestErrors.push((error as Error).name);
        return { statusCode: 502, headers: {}, body: Buffer.from('{"message": "Internal server error"}') };
      }
      return {
        statusCode: result.statusCode,
        headers: result.headers,
        body: Buffer.from(result.body, 'base64'),
      };
    },
    async exportRetrying(body, contentType = 'application/x-protobuf', maxAttempts = 10) {
      for (let attempt = 1; ; attempt++) {
        const result = await pipeline.export(body, contentType);
        if (!RETRYABLE_STATUS.has(result.statusCode) || attempt >= maxAttempts) {
          return { statusCode: result.statusCode, attempts: attempt };
        }
        clock += Number(result.headers?.['retry-after'] ?? 1) * 1000;
      }
    },
    coldStart() {
      sampler = newSampler();
    },
    async deliverRound() {
      for (const shardId of stream.shardIds) {
        if (!stream.readable(shardId)) continue;
        const batch = stream.unread(shardId).slice(0, options.batchSize ?? 100);
        await deliverBatch(
          shardId,
          batch,
          {
            handler: (event) => invoke(sampler, event),
            bisectOnError: options.bisectOnError ?? true,
            reportBatchItemFailures: true,
            maxRetryAttempts: options.maxRetryAttempts ?? 3,
            onFailure: async (batchFailed) => {
              failed.push(batchFailed);
            },
            eventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/traces',
            region: 'eu-west-1',
            stats,
            logger,
          },
          async (sequenceNumber) => stream.checkpoint(shardId, sequenceNumber),
        );
      }
    },
    async drain(stepMs = 2_000, maxRounds = 200) {
      let rounds = 0;
      while (stream.pending() > 0) {
        if (++rounds > maxRounds) throw new Error(`stream not drained after ${maxRounds} rounds`);
        clock += stepMs;
        await pipeline.deliverRound();
      }
      return rounds;
    },
    accounting() {
      const sampler = { Function: 'sampler' };
      const reput = (): number =>
        metrics.sum('SpansDeferred', sampler) + metrics.sum('SpansForwarded', sampler);
      const accepted = metrics.sum('SpansAccepted', { Function: 'ingest' });
      return {
        accepted,
        kept: metrics.sum('SpansKept', sampler),
        dropped: metrics.sum('SpansDropped', sampler),
        deadLettered: failed.reduce((sum, batch) => sum + announcedSpans(batch), 0),
        duplicates: metrics.sum('DuplicateSpans', sampler),
        reput: reput(),
        // Records the sampler wrote (deferred, forwarded, passed through) are every copy ingest did not write.
        reputByFailedInvocations: streamCopies(stream) - accepted - reput(),
      };
    },
  };
  return pipeline;
}

/** Span copies in every record of the stream, as their headers announce them. */
export function streamCopies(stream: MemoryStream): number {
  let total = 0;
  for (const record of stream.all()) total += announcedSpanCount(record.Data as Uint8Array);
  return total;
}

/** Spans the records of a failed batch announce in their headers (a poison payload cannot be read). */
function announcedSpans(batch: FailedBatch): number {
  let total = 0;
  for (const record of batch.records) {
    total += announcedSpanCount(Buffer.from(record.kinesis.data, 'base64'));
  }
  return total;
}

/** Records and span copies in the stream per record origin (RecordOrigin), as their headers announce them. */
export function streamRecordsByOrigin(stream: MemoryStream): Map<number, { records: number; spans: number }> {
  const out = new Map<number, { records: number; spans: number }>();
  for (const record of stream.all()) {
    const { header } = decodeRecordHeader(record.Data as Uint8Array);
    const entry = out.get(header.origin) ?? { records: 0, spans: 0 };
    out.set(header.origin, { records: entry.records + 1, spans: entry.spans + header.spanCount });
  }
  return out;
}

function announcedSpanCount(data: Uint8Array): number {
  try {
    return decodeRecordHeader(data).header.spanCount;
  } catch {
    return 0;
  }
}

/**
 * Invokes a handler as the Lambda runtime does with a function timeout of `timeoutMs`: the context
 * answers getRemainingTimeInMillis from that deadline (middy ends the invocation with a TimeoutError
 * just before it, leaving the handler's own promise running in the container), and an invocation
 * still unsettled at the deadline fails with "Task timed out".
 */
export async function invokeWithin(
  handler: SamplerHandler,
  event: KinesisStreamEvent,
  timeoutMs: number,
): Promise<KinesisStreamBatchResponse | undefined> {
  const deadline = performance.now() + timeoutMs;
  const context = {
    ...LAMBDA_CONTEXT,
    getRemainingTimeInMillis: () => Math.max(0, deadline - performance.now()),
  } as Context;
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(Object.assign(new Error(`Task timed out after ${timeoutMs} ms`), { name: 'TaskTimedOut' })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      handler(event, context) as Promise<KinesisStreamBatchResponse | undefined>,
      killed,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Appends a fault test's figures as one JSON line to the file named by TRACESIFT_FIGURES (unset: no
 * output), so RELIABILITY.md quotes what the suite measured rather than what someone remembers.
 */
export function recordFigures(test: string, figures: Record<string, unknown>): void {
  const path = process.env.TRACESIFT_FIGURES;
  if (!path) return;
  appendFileSync(path, `${JSON.stringify({ test, ...figures })}\n`);
}

/** What an injected fault does to one SDK call. */
export type CallFault =
  /** The call fails with this error before reaching the service (as if the SDK's retries ran out). */
  | { readonly kind: 'error'; readonly error: Error }
  /** The call reaches the service `ms` later (a slow response). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** The call waits until `until` resolves, then goes through (a frozen container thawing later). */
  | { readonly kind: 'stall'; readonly until: Promise<void> }
  /** The call goes through; `after` runs once it has completed (to wait for a stale write). */
  | { readonly kind: 'observe'; readonly after: () => void }
  /** BatchWriteItem: only the first `write` requests are written; the rest come back as UnprocessedItems. */
  | { readonly kind: 'unprocessed'; readonly write: number };

interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<{ output: object }>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<{ output: object }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Puts a fault plan in front of a real SDK client (pointed at a stand-in): `plan` sees each call's
 * command name and input and answers the fault to inject, or undefined to let it through.
 */
export function injectFaults<C>(
  client: C,
  plan: (command: string, input: Record<string, unknown>) => CallFault | undefined,
): C {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const fault = plan(context.commandName ?? '', args.input as Record<string, unknown>);
      if (!fault) return next(args);
      switch (fault.kind) {
        case 'error':
          throw fault.error;
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms));
          return next(args);
        case 'stall':
          await fault.until;
          return next(args);
        case 'observe': {
          const result = await next(args);
          fault.after();
          return result;
        }
        case 'unprocessed': {
          const input = args.input as { RequestItems: Record<string, unknown[]> };
          const [table, requests] = Object.entries(input.RequestItems)[0] as [string, unknown[]];
          const result = await next({
            ...args,
            input: { ...input, RequestItems: { [table]: requests.slice(0, fault.write) } },
          });
          const rest = requests.slice(fault.write);
          return {
            ...result,
            output: { ...result.output, UnprocessedItems: rest.length ? { [table]: rest } : {} },
          };
        }
      }
    },
    { step: 'initialize', name: 'injectFaults' },
  );
  return client;
}

/** An AWS service error as the SDK surfaces it (`name` is what retry logic looks at). */
export function serviceError(name: string, httpStatusCode: number, message = 'injected fault'): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}
