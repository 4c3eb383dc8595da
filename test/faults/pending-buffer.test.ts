/**
 * Faults of the sampler's pending buffer (lambdas/sampler/pend.ts): traces not ready yet wait in
 * their shard's pending set on S3, committed by the state document that names it. The state store
 * is the real one (s3StateStore) on the S3 stand-in with faults injected in front of its client;
 * kept traces go to the real trace store on the DynamoDB and S3 stand-ins. Each faulty run is
 * compared with a clean run of the same workload: the same kept span count, the same DynamoDB
 * items with the same spans, the same Parquet span rows, nothing left pending, and the pipeline's
 * accounting (accepted + copies re-put by failed invocations = kept + dropped + dead-lettered +
 * duplicates) exact. The quiet-shard cases keep every trace (in-memory stores), so what is stored
 * must be exactly what was sent.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { s3StateStore } from '../../lambdas/sampler/state/state-store.ts';
import { decodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import { RecordOrigin } from '../../lambdas/shared/record/index.ts';
import { createTraceStore } from '../../lambdas/storage/index.ts';
import { createTraceTable } from '../../local/trace-table.ts';
import { generateWorkload, type Workload } from '../../workload/workload.ts';
import {
  type CallFault,
  type FaultPipeline,
  type FaultPipelineOptions,
  injectFaults,
  invokeWithin,
  type PipelineAccounting,
  recordFigures,
  serviceError,
  startFaultPipeline,
  streamCopies,
  streamRecordsByOrigin,
} from '../support/fault-pipeline.ts';
import { memoryTraceStore } from '../support/sampler.ts';
import {
  fixtureClock,
  indexedServices,
  keptTraceItems,
  type StorageStandIns,
  startStorageStandIns,
  storedSpanIds,
  tableItems,
  tableRows,
  testConfig,
  writesKeptTraces,
} from '../support/storage.ts';

// Whole pipelines per test: minutes of margin on a loaded 2-core machine (never a timed assertion).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const kinesis = mockClient(KinesisClient);
let standIns: StorageStandIns;
let runs = 0;

beforeAll(async () => {
  standIns = await startStorageStandIns();
});
afterAll(async () => {
  await standIns.close();
});
afterEach(() => kinesis.reset());

const workload = generateWorkload({ traces: 40, seed: 21, batchSize: 16, bigTraceRate: 0 });
const CONFIG = { sampling: { baselineProbability: 0.5 } };
const STREAM = 'traces';

type Plan = (command: string, input: Record<string, unknown>) => CallFault | undefined;

interface Faults {
  /** In front of the trace store's DynamoDB client. */
  readonly dynamodb?: Plan;
  /** In front of the trace store's S3 client. */
  readonly s3?: Plan;
  /** In front of the state store's S3 client (state documents and pending objects). */
  readonly state?: Plan;
}

interface RunHooks {
  readonly options?: Partial<FaultPipelineOptions>;
  /** Runs after each delivery round of the export phase (round counts from 0). */
  readonly afterRound?: (pipeline: FaultPipeline, round: number) => void | Promise<void>;
  /** Set to the pipeline as soon as it is started (for invoke wrappers that need it). */
  readonly started?: (pipeline: FaultPipeline) => void;
}

interface RunResult {
  readonly pipeline: FaultPipeline;
  readonly account: PipelineAccounting;
  /** `trace_id/part` of every item. */
  /** Keys of the kept traces' items (the search index's items depend on batching: see `indexed`). */
  readonly itemKeys: string[];
  /** The services the search index lists per trace. */
  readonly indexed: Map<string, string[]>;
  /** Span ids stored per trace id, as trace-by-id reads them. */
  readonly spansByTrace: Map<string, string[]>;
  /** Distinct `trace_id/span_id` of the Parquet span rows, sorted. */
  readonly spanRows: string[];
  /** Spans the shards' last state documents still name as pending, and the keys they name. */
  readonly pendingSpansAtEnd: number;
  readonly pendingKeysAtEnd: string[];
}

/** Exports the workload, drains the stream through the sampler into a fresh table and bucket. */
async function run(
  faults: Faults = {},
  hooks: RunHooks = {},
  traffic: Workload = workload,
): Promise<RunResult> {
  const tableName = `pending-${++runs}`;
  const bucketName = `pending-${runs}`;
  const clean = { dynamodb: standIns.dynamo.client(), s3: standIns.s3.client() };
  await createTraceTable(clean.dynamodb, tableName);
  await clean.s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  const config = testConfig(CONFIG);
  const store = createTraceStore({
    dynamodb: faults.dynamodb ? injectFaults(standIns.dynamo.client(), faults.dynamodb) : clean.dynamodb,
    s3: faults.s3 ? injectFaults(standIns.s3.client(), faults.s3) : clean.s3,
    tableName,
    bucketName,
    config,
    retry: { sleep: async () => {} },
    now: fixtureClock,
  });
  const stateStore = s3StateStore(
    faults.state ? injectFaults(standIns.s3.client(), faults.state) : standIns.s3.client(),
    bucketName,
    STREAM,
  );
  kinesis.reset();
  const pipeline = startFaultPipeline({
    kinesis,
    sink: store,
    config: CONFIG,
    batchSize: 40,
    stateStore,
    ...hooks.options,
  });
  hooks.started?.(pipeline);
  // Traffic and delivery interleave as in production: a round of batches every 3 requests, a
  // second apart, so traces wait in the pending sets while fresh records keep arriving.
  let round = 0;
  for (const [i, request] of traffic.requests.entries()) {
    expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
    if (i % 3 === 2) {
      pipeline.advance(1_000);
      await pipeline.deliverRound();
      await hooks.afterRound?.(pipeline, round++);
    }
  }
  await pipeline.drain();
  const account = pipeline.accounting();
  const all = await tableItems(clean.dynamodb, tableName);
  const items = keptTraceItems(all);
  const spansByTrace = storedSpanIds(all);
  const rows = await tableRows(clean.s3, bucketName, 'spans');
  const { spans, keys } = await pendingAtEnd(pipeline);
  return {
    pipeline,
    account,
    itemKeys: items.map((i) => `${i.trace_id?.S}/${i.part?.S}`),
    spansByTrace,
    indexed: indexedServices(all),
    spanRows: [...new Set(rows.map((row) => `${row.trace_id}/${row.span_id}`))].sort(),
    pendingSpansAtEnd: spans,
    pendingKeysAtEnd: keys,
  };
}

/** What the last state document of each shard names as pending (read through a clean store). */
async function pendingAtEnd(pipeline: FaultPipeline): Promise<{ spans: number; keys: string[] }> {
  let spans = 0;
  const keys: string[] = [];
  for (const shardId of pipeline.stream.shardIds) {
    // A closed parent's document keeps naming its last set: its children adopted those traces.
    if (pipeline.stream.closed(shardId)) continue;
    const document = await pipeline.stateStore.load(shardId);
    spans += document?.pending?.spans ?? 0;
    if (document?.pending?.key !== undefined) keys.push(document.pending.key);
  }
  return { spans, keys };
}

const sampler = { Function: 'sampler' };
const metric = (result: RunResult, name: string, dimensions: Record<string, string> = {}): number =>
  result.pipeline.metrics.sum(name, { ...sampler, ...dimensions });

function expectBalanced(account: PipelineAccounting): void {
  expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(
    account.accepted + account.reputByFailedInvocations,
  );
}

let control: RunResult;

beforeAll(async () => {
  control = await run();
});

function expectSameAsControl(result: RunResult): void {
  const { account } = result;
  expectBalanced(account);
  expect(metric(result, 'ConservationViolations')).toBe(0);
  expect(metric(result, 'PendingSpansLost')).toBe(0);
  expect(result.pipeline.failed).toEqual([]);
  expect(account.accepted).toBe(workload.spanCount);
  expect(account.kept).toBe(control.account.kept);
  // Each trace decided once, as in the clean run (no decision made again after a redelivery).
  expect(metric(result, 'TracesKept')).toBe(metric(control, 'TracesKept'));
  expect(metric(result, 'TracesDropped')).toBe(metric(control, 'TracesDropped'));
  expect(result.itemKeys).toEqual(control.itemKeys);
  expect(result.spansByTrace).toEqual(control.spansByTrace);
  expect(result.indexed).toEqual(control.indexed);
  expect([...control.indexed.keys()]).toEqual([...control.spansByTrace.keys()].sort());
  expect(result.spanRows).toEqual(control.spanRows);
  expect(result.pendingSpansAtEnd).toBe(0);
  expect(result.pendingKeysAtEnd).toEqual([]);
}

function figures(name: string, result: RunResult, extra: Record<string, unknown> = {}): void {
  recordFigures(name, {
    ...result.account,
    spansPending: metric(result, 'SpansPending'),
    spansDeferred: metric(result, 'SpansDeferred'),
    stateSaveFailures: metric(result, 'StateSaveFailures'),
    recordsAlreadyFolded: metric(result, 'RecordsAlreadyFolded'),
    invocations: result.pipeline.stats.invocations,
    functionErrors: result.pipeline.stats.functionErrors,
    bisections: result.pipeline.stats.bisections,
    ...extra,
  });
}

const isDocumentPut = (command: string, key: string): boolean =>
  command === 'PutObjectCommand' && key.startsWith(`state/sampler/${STREAM}/`);
const isPendingPut = (command: string, key: string): boolean =>
  command === 'PutObjectCommand' && key.startsWith(`state/pending/${STREAM}/`);

describe('the clean run every fault run is compared with', () => {
  it('keeps and drops traces, stores every kept span once and leaves nothing pending', () => {
    expect(control.account.reputByFailedInvocations).toBe(0);
    expect(control.account.duplicates).toBe(0);
    expect(control.account.kept).toBeGreaterThan(0);
    expect(control.account.dropped).toBeGreaterThan(0);
    expect(control.account.kept + control.account.dropped).toBe(workload.spanCount);
    const storedSpans = [...control.spansByTrace.values()].reduce((n, ids) => n + ids.length, 0);
    expect(storedSpans).toBe(control.account.kept);
    expect(control.spanRows).toHaveLength(control.account.kept);
    expect(control.pendingSpansAtEnd).toBe(0);
    expect(control.pendingKeysAtEnd).toEqual([]);
  });

  it('writes each accepted span to the stream once: pending traces wait on S3, only wake-up records come back', () => {
    // Assess: traces did wait in the pending sets, none went back to the stream
    expect(metric(control, 'SpansPending')).toBeGreaterThan(0);
    expect(metric(control, 'SpansDeferred')).toBe(0);
    expect(metric(control, 'SpansForwarded')).toBe(0);
    expect(metric(control, 'StateSaveFailures')).toBe(0);
    const byOrigin = streamRecordsByOrigin(control.pipeline.stream);
    expect([...byOrigin.keys()].sort()).toEqual([RecordOrigin.INGEST, RecordOrigin.WAKE_UP]);
    expect(byOrigin.get(RecordOrigin.INGEST)?.spans).toBe(control.account.accepted);
    expect(byOrigin.get(RecordOrigin.WAKE_UP)?.spans).toBe(0);
    expect(byOrigin.get(RecordOrigin.WAKE_UP)?.records).toBeGreaterThan(0);
    expect(streamCopies(control.pipeline.stream)).toBe(control.account.accepted);
    figures('pending buffer: clean run', control, {
      streamCopiesPerAcceptedSpan: streamCopies(control.pipeline.stream) / control.account.accepted,
      ingestRecords: byOrigin.get(RecordOrigin.INGEST)?.records,
      wakeUpRecords: byOrigin.get(RecordOrigin.WAKE_UP)?.records,
    });
  });
});

describe('fault: a crash before the reference write (the state document save fails)', () => {
  it('puts the deferred traces back to the stream and stores what the clean run stores', async () => {
    // Prepare: the first state document PUT right after a pending object PUT fails, once
    let afterPendingPut = false;
    let failures = 0;
    const state: Plan = (command, input) => {
      const key = String(input.Key);
      if (isPendingPut(command, key)) {
        afterPendingPut = true;
        return undefined;
      }
      if (!isDocumentPut(command, key)) return undefined;
      const fail = afterPendingPut && failures === 0;
      afterPendingPut = false;
      if (!fail) return undefined;
      failures++;
      return { kind: 'error', error: serviceError('InternalError', 500) };
    };

    // Act
    const result = await run({ state });

    // Assess
    expect(failures).toBe(1);
    expect(metric(result, 'StateSaveFailures')).toBe(1);
    expect(metric(result, 'SpansDeferred')).toBeGreaterThan(0);
    expect(result.pipeline.stats.functionErrors).toBe(0);
    expectSameAsControl(result);
    figures('pending buffer: state document save fails once', result);
  });
});

/** The shard id and last sequence number of a delivered batch. */
function batchEnd(event: KinesisStreamEvent): { shardId: string; last: string } {
  const last = event.Records[event.Records.length - 1];
  if (!last) throw new Error('an empty batch');
  return { shardId: last.eventID.slice(0, last.eventID.indexOf(':')), last: last.kinesis.sequenceNumber };
}

describe('fault: a crash after the reference write (the container dies before the checkpoint)', () => {
  it.each([
    ['bisected halves', true],
    ['the same batch', false],
  ])(
    'recognises the redelivered records as folded in (%s), decides nothing twice',
    async (name, bisectOnError) => {
      // Prepare: the 2nd and 5th invocations that commit a pending set covering their whole batch
      // complete, then their container dies before the mapping checkpoints: a function error, and
      // the retry lands in a new container
      let pipeline: FaultPipeline | undefined;
      let commits = 0;
      const crashed: number[] = [];
      const invoke: FaultPipelineOptions['invoke'] = async (handler, event) => {
        const response = await invokeWithin(handler, event, 60_000);
        const { shardId, last } = batchEnd(event);
        const document = await pipeline?.stateStore.load(shardId);
        if (document?.pending?.key === undefined || document.pending.coveredSequence !== last)
          return response;
        commits++;
        if (commits !== 2 && commits !== 5) return response;
        crashed.push(event.Records.length);
        pipeline?.coldStart();
        throw Object.assign(new Error('Runtime exited without providing a reason'), {
          name: 'RuntimeExited',
        });
      };

      // Act
      const result = await run(
        {},
        {
          options: { invoke, bisectOnError },
          started: (p) => {
            pipeline = p;
          },
        },
      );

      // Assess: every record of the crashed batches came back and was skipped as already folded
      expect(crashed).toHaveLength(2);
      expect(result.pipeline.stats.functionErrors).toBe(2);
      expect(metric(result, 'RecordsAlreadyFolded')).toBe(crashed.reduce((sum, n) => sum + n, 0));
      expect(metric(result, 'SpansDeferred')).toBe(0);
      expectSameAsControl(result);
      figures(`pending buffer: crash after the commit, redelivered as ${name}`, result);
    },
  );
});

describe('fault: a sink failure retried as bisected halves', () => {
  it('starts each half from the set committed last and stores what the clean run stores', async () => {
    // Prepare: 12 throttled writes of trace items in a row, more than the table's 8 attempts (the
    // search index's writes, made at the same time, are let through)
    let calls = 0;
    const dynamodb: Plan = (command, input) =>
      command === 'BatchWriteItemCommand' && writesKeptTraces(input) && calls++ < 12
        ? { kind: 'error', error: serviceError('ThrottlingException', 400) }
        : undefined;

    // Act
    const result = await run({ dynamodb }, { options: { bisectOnError: true } });

    // Assess
    expect(metric(result, 'BatchFailures', { Error: 'SinkWriteError' })).toBe(1);
    expect(result.pipeline.stats.bisections).toBe(1);
    expectSameAsControl(result);
    figures('pending buffer: sink failure, bisected', result);
  });
});

describe('fault: S3 errors and slowness on the pending objects', () => {
  it('falls back to the stream while pending writes fail, and stores what the clean run stores', async () => {
    // Prepare: the first 8 pending object PUTs fail (500 and 503 alternating); every state call is
    // delayed 0-24 ms (deterministic)
    let pendingPuts = 0;
    let calls = 0;
    const state: Plan = (command, input) => {
      const delay: CallFault = { kind: 'delay', ms: (calls++ * 7) % 25 };
      if (!isPendingPut(command, String(input.Key))) return delay;
      const put = pendingPuts++;
      if (put >= 8) return delay;
      return {
        kind: 'error',
        error: put % 2 === 0 ? serviceError('InternalError', 500) : serviceError('SlowDown', 503),
      };
    };

    // Act
    const result = await run({ state });

    // Assess
    expect(pendingPuts).toBeGreaterThan(8);
    expect(metric(result, 'StateSaveFailures')).toBe(8);
    expect(metric(result, 'SpansDeferred')).toBeGreaterThan(0);
    expect(metric(result, 'SpansPending')).toBeGreaterThan(0);
    expectSameAsControl(result);
    figures('pending buffer: pending object PUTs fail, state calls slow', result);
  });
});

describe('fault: a container change mid-run, with traces pending', () => {
  it('restores the pending sets in the new container and stores what the clean run stores', async () => {
    // Prepare: a cold start after every second delivery round; pending object reads are counted
    let pendingReads = 0;
    const state: Plan = (command, input) => {
      if (command === 'GetObjectCommand' && String(input.Key).startsWith(`state/pending/${STREAM}/`))
        pendingReads++;
      return undefined;
    };

    // Act
    const result = await run(
      { state },
      {
        afterRound: (pipeline, round) => {
          if (round % 2 === 1) pipeline.coldStart();
        },
      },
    );

    // Assess
    expect(pendingReads).toBeGreaterThan(0);
    expect(metric(result, 'SpansDeferred')).toBe(0);
    expectSameAsControl(result);
    figures('pending buffer: cold starts between rounds', result, { pendingReads });
  });
});

describe('fault: a fallback to the stream, then a container change before the next commit', () => {
  // A fallback empties the set in memory and puts its traces back to the stream; the document in S3
  // must stop naming the set it handled (pend.ts forgetHandledSet), or a container starting before
  // the shard's next commit would read those spans a second time.
  it('restores no set the fallback already handled', async () => {
    // Prepare: the first pending object PUT of a shard whose document names a pending set fails;
    // the container that fell back to the stream is replaced right after that invocation
    let pipeline: FaultPipeline | undefined;
    const named = new Map<string, boolean>();
    let lastPendingOf: string | undefined;
    let failures = 0;
    let coldStartNext = false;
    const state: Plan = (command, input) => {
      const key = String(input.Key);
      if (isPendingPut(command, key)) {
        const stateId = key.split('/')[3] as string;
        if (failures === 0 && named.get(stateId) === true) {
          failures++;
          coldStartNext = true;
          return { kind: 'error', error: serviceError('InternalError', 500) };
        }
        lastPendingOf = stateId;
        return undefined;
      }
      if (isDocumentPut(command, key)) {
        const stateId = (key.split('/').pop() as string).replace('.json', '');
        named.set(stateId, lastPendingOf === stateId);
        lastPendingOf = undefined;
      }
      return undefined;
    };
    const invoke: FaultPipelineOptions['invoke'] = async (handler, event) => {
      const response = await invokeWithin(handler, event, 60_000);
      if (coldStartNext) {
        coldStartNext = false;
        pipeline?.coldStart();
      }
      return response;
    };

    // Act
    const result = await run(
      { state },
      {
        options: { invoke },
        started: (p) => {
          pipeline = p;
        },
      },
    );

    // Assess
    expect(failures).toBe(1);
    expect(metric(result, 'StateSaveFailures')).toBe(1);
    figures('pending buffer: fallback then a container change', result, {
      spansIn: metric(result, 'SpansIn'),
    });
    expectSameAsControl(result);
  });
});

/** A pipeline keeping every trace (so stored = sent), its in-memory stores, and what was sent. */
function keepingAll() {
  const store = memoryTraceStore();
  const pipeline = startFaultPipeline({
    kinesis,
    sink: { ...store.sink, ...store.lookup },
    config: { sampling: { baselineProbability: 1 } },
  });
  const stored = (): Set<string> => {
    const out = new Set<string>();
    for (const [traceId, trace] of store.traces)
      for (const spanId of trace.spans.keys()) out.add(`${traceId}/${spanId}`);
    return out;
  };
  return { pipeline, stored };
}

const keysOf = (traffic: Workload): Set<string> =>
  new Set(
    traffic.requests.flatMap((r) => decodeTraceRequest(r.protobuf).map((s) => `${s.traceId}/${s.spanId}`)),
  );

describe('fault: a shard goes quiet with traces pending', () => {
  const few = generateWorkload({ traces: 6, seed: 8, batchSize: 64, bigTraceRate: 0 });

  it('is woken by its wake-up records until every pending trace is decided', async () => {
    // Prepare: a handful of whole traces, then no more traffic
    const { pipeline, stored } = keepingAll();
    for (const request of few.requests)
      expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);

    // Act
    const rounds = await pipeline.drain();

    // Assess: the traces waited (their send delay), the stream brought the shards back, all kept
    const account = pipeline.accounting();
    expect(rounds).toBeGreaterThan(1);
    expect(pipeline.metrics.sum('SpansPending', sampler)).toBeGreaterThan(0);
    expect(streamRecordsByOrigin(pipeline.stream).get(RecordOrigin.WAKE_UP)?.records).toBeGreaterThan(0);
    expect(pipeline.metrics.sum('TracesKept', sampler)).toBe(few.truth.length);
    expect(account.kept).toBe(few.spanCount);
    expectBalanced(account);
    expect(stored()).toEqual(keysOf(few));
    expect(await pendingAtEnd(pipeline)).toEqual({ spans: 0, keys: [] });
    recordFigures('pending buffer: quiet shard', {
      ...account,
      rounds,
      wakeUpRecords: streamRecordsByOrigin(pipeline.stream).get(RecordOrigin.WAKE_UP)?.records,
    });
  });

  // The saved document carries this invocation's wake-up flag, not the one before: a new container
  // that believed a consumed wake-up still outstanding would write none, and a quiet shard would
  // never decide the next traces it pends.
  it('is woken in a new container too', async () => {
    // Prepare: a first handful decided to the end, then a new container, then a second handful
    const { pipeline, stored } = keepingAll();
    for (const request of few.requests)
      expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
    await pipeline.drain();
    const flags = await Promise.all(
      pipeline.stream.shardIds.map(
        async (id) => (await pipeline.stateStore.load(id))?.wakeUpOutstanding === true,
      ),
    );
    const more = generateWorkload({ traces: 6, seed: 9, batchSize: 64, bigTraceRate: 0 });

    // Act
    pipeline.coldStart();
    pipeline.advance(60_000);
    for (const request of more.requests)
      expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
    await pipeline.drain();

    // Assess: every trace decided and stored; the stream was read to its end after the first
    // handful, so no document could claim a wake-up outstanding then
    recordFigures('pending buffer: quiet shard after a container change', {
      wakeUpFlagsAfterFirstDrain: flags,
      pendingAtEnd: await pendingAtEnd(pipeline),
    });
    expect(stored()).toEqual(new Set([...keysOf(few), ...keysOf(more)]));
    expect(await pendingAtEnd(pipeline)).toEqual({ spans: 0, keys: [] });
    expect(flags).toEqual(pipeline.stream.shardIds.map(() => false));
    expectBalanced(pipeline.accounting());
  });
});

describe('fault: a reshard with traces pending', () => {
  it("has the children adopt the parent's pending traces and stores what the clean run stores", async () => {
    // Prepare: shard 0 is split after the first delivery round that leaves it traces pending
    let children: string[] = [];
    const afterRound = async (pipeline: FaultPipeline): Promise<void> => {
      if (children.length > 0) return;
      const pending = (await pipeline.stateStore.load('shardId-000000000000'))?.pending?.spans ?? 0;
      if (pending > 0) children = pipeline.stream.split('shardId-000000000000');
    };

    // Act
    const result = await run({}, { afterRound });

    // Assess: both children read records and adopted what hashed into their ranges
    expect(children).toHaveLength(2);
    expect(metric(result, 'PendingTracesAdopted')).toBeGreaterThan(0);
    for (const child of children)
      expect(result.pipeline.stream.records.get(child)?.length).toBeGreaterThan(0);
    figures('pending buffer: reshard with traces pending', result, {
      adopted: metric(result, 'PendingTracesAdopted'),
      forwarded: metric(result, 'SpansForwarded'),
    });
    expectSameAsControl(result);
  });

  // A child adopts its share of the parent's pending set only when it is first invoked, and the
  // parent's last wake-up goes to one child: that child wakes its sibling (pend.ts adoptPending),
  // or with no more traffic the sibling's share would never be decided.
  it("decides the parent's pending traces when no more traffic comes", async () => {
    // Prepare: a handful of whole traces read once by shard 0 (pending, a wake-up outstanding)
    const few = generateWorkload({ traces: 12, seed: 8, batchSize: 64, bigTraceRate: 0 });
    const { pipeline, stored } = keepingAll();
    for (const request of few.requests)
      expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
    pipeline.advance(1_000);
    await pipeline.deliverRound();
    const pendingBefore = (await pipeline.stateStore.load('shardId-000000000000'))?.pending?.spans ?? 0;

    // Act: shard 0 is split, then no more traffic
    const children = pipeline.stream.split('shardId-000000000000');
    await pipeline.drain();

    // Assess
    const records = children.map((child) => pipeline.stream.records.get(child)?.length ?? 0);
    recordFigures('pending buffer: quiet reshard', {
      pendingBefore,
      childRecords: records,
      adopted: pipeline.metrics.sum('PendingTracesAdopted', sampler),
      accepted: pipeline.accounting().accepted,
      kept: pipeline.accounting().kept,
    });
    expect(pendingBefore).toBeGreaterThan(0);
    expect(stored()).toEqual(keysOf(few));
    expectBalanced(pipeline.accounting());
  });
});
