/**
 * Faults of the sampler's sinks, against the DynamoDB and S3 stand-ins through the real SDK clients
 * with faults injected in front of them: a crash after some sinks were written, DynamoDB throttling
 * and UnprocessedItems, S3 errors and slow responses, a Lambda timeout with a write that completes
 * after the retry. Each faulty run is compared with a clean run of the same workload: the same
 * DynamoDB items with the same spans, the same Parquet rows, no row twice, and the accounting
 * (accepted = kept + dropped + dead-lettered) holds.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { compactClosedHours } from '../../lambdas/compaction/compact.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { Metrics } from '../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest, encodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import { createTraceStore } from '../../lambdas/storage/index.ts';
import { createTraceTable } from '../../local/trace-table.ts';
import { generateWorkload } from '../../workload/workload.ts';
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
} from '../support/fault-pipeline.ts';
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

type Plan = (command: string, input: Record<string, unknown>) => CallFault | undefined;

interface RunResult {
  readonly pipeline: FaultPipeline;
  readonly account: PipelineAccounting;
  /** `trace_id/part` of the kept traces' items (the search index's items depend on batching: see `indexed`). */
  readonly itemKeys: string[];
  /** The services the search index lists per trace. */
  readonly indexed: Map<string, string[]>;
  /** Span ids stored per trace id, as trace-by-id reads them. */
  readonly spansByTrace: Map<string, string[]>;
  /** Parquet rows as queries read them right after the run, and after compacting the hour. */
  readonly spanRowsBefore: string[];
  readonly traceRowsBefore: string[];
  readonly spanRows: string[];
  readonly traceRows: string[];
  readonly bucketName: string;
}

/** Exports the workload, drains the stream through the sampler into a fresh table and bucket. */
async function run(
  faults: { dynamodb?: Plan; s3?: Plan } = {},
  options: Partial<FaultPipelineOptions> = {},
  afterDrain: (pipeline: FaultPipeline) => Promise<void> = async () => {},
): Promise<RunResult> {
  const tableName = `faults-${++runs}`;
  const bucketName = `faults-${runs}`;
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
  kinesis.reset();
  const pipeline = startFaultPipeline({ kinesis, sink: store, config: CONFIG, batchSize: 40, ...options });
  // Traffic and delivery interleave as in production: a round of batches every 3 requests, a
  // second apart, so traces become ready while fresh records keep arriving.
  for (const [i, request] of workload.requests.entries()) {
    expect((await pipeline.export(request.protobuf)).statusCode).toBe(200);
    if (i % 3 === 2) {
      pipeline.advance(1_000);
      await pipeline.deliverRound();
    }
  }
  await pipeline.drain();
  const account = pipeline.accounting();
  await afterDrain(pipeline);
  const all = await tableItems(clean.dynamodb, tableName);
  const items = keptTraceItems(all);
  const spansByTrace = storedSpanIds(all);
  const rowKey = (row: Record<string, unknown>): string => `${row.trace_id}/${row.span_id ?? ''}`;
  const rows = async (table: 'spans' | 'traces'): Promise<string[]> =>
    (await tableRows(clean.s3, bucketName, table)).map(rowKey).sort();
  const spanRowsBefore = await rows('spans');
  const traceRowsBefore = await rows('traces');
  await compactClosedHours({
    s3: clean.s3,
    bucketName,
    storage: config.storage,
    now: () => pipeline.now() + 3 * 3_600_000,
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
    retry: { sleep: async () => {} },
  });
  return {
    pipeline,
    account,
    itemKeys: items.map((i) => `${i.trace_id?.S}/${i.part?.S}`),
    spansByTrace,
    indexed: indexedServices(all),
    spanRowsBefore,
    traceRowsBefore,
    spanRows: await rows('spans'),
    traceRows: await rows('traces'),
    bucketName,
  };
}

/**
 * Fails the traces-table manifest PUT of the first batch of several records, once: by then its
 * DynamoDB items, its spans and edges files and their manifest lines are written (the three tables
 * are written concurrently, each data file before its manifest line).
 */
function crashAfterSpansWritten(): { plan: Plan; failures: () => number } {
  let failures = 0;
  let lastTracesFile = '';
  const plan: Plan = (command, input) => {
    if (command !== 'PutObjectCommand') return undefined;
    const key = String(input.Key);
    if (key.startsWith('data/traces/')) lastTracesFile = key;
    const [first, last] = (lastTracesFile.split('/').pop() ?? '').replace('.parquet', '').split('-');
    if (failures > 0 || !key.startsWith('tables/traces/') || first === last) return undefined;
    failures++;
    return { kind: 'error', error: serviceError('InternalError', 500) };
  };
  return { plan, failures: () => failures };
}

let control: RunResult;

beforeAll(async () => {
  control = await run();
});

function expectSameAsControl(result: RunResult): void {
  const { account } = result;
  expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(
    account.accepted + account.reputByFailedInvocations,
  );
  expect(result.pipeline.metrics.sum('ConservationViolations')).toBe(0);
  expect(account.accepted).toBe(workload.spanCount);
  expect(account.kept).toBe(control.account.kept);
  expect(result.itemKeys).toEqual(control.itemKeys);
  expect(result.spansByTrace).toEqual(control.spansByTrace);
  expect(result.indexed).toEqual(control.indexed);
  expect([...control.indexed.keys()]).toEqual([...control.spansByTrace.keys()].sort());
  // Nothing lost in Parquet and no row twice, before compaction (a retry's manifest write unlists
  // the files of the failed attempt it replaces) and after it.
  expect([...result.spanRowsBefore].sort()).toEqual(control.spanRows);
  expect([...result.traceRowsBefore].sort()).toEqual(control.traceRows);
  expect(result.traceRows).toEqual(control.traceRows);
  expect(new Set(result.traceRows).size).toBe(result.traceRows.length);
  expect(result.spanRows).toEqual(control.spanRows);
  expect(new Set(result.spanRows).size).toBe(result.spanRows.length);
}

/** Rows a query of the uncompacted hour reads more than once (see RELIABILITY.md, known limits). */
function duplicateRowsBefore(result: RunResult): number {
  return (
    result.spanRowsBefore.length -
    new Set(result.spanRowsBefore).size +
    result.traceRowsBefore.length -
    new Set(result.traceRowsBefore).size
  );
}

function figures(name: string, result: RunResult): void {
  recordFigures(name, {
    ...result.account,
    sinkFailures: result.pipeline.metrics.sum('BatchFailures', { Function: 'sampler' }),
    invocations: result.pipeline.stats.invocations,
    retries: result.pipeline.stats.retries,
    bisections: result.pipeline.stats.bisections,
    items: result.itemKeys.length,
    spanRows: result.spanRows.length,
    duplicateRowsBeforeCompaction: duplicateRowsBefore(result),
  });
}

describe('the clean run every fault run is compared with', () => {
  it('kept and dropped traces, stored every kept span once', () => {
    expect(control.account.reputByFailedInvocations).toBe(0);
    expect(control.account.duplicates).toBe(0);
    expect(control.account.kept).toBeGreaterThan(0);
    expect(control.account.dropped).toBeGreaterThan(0);
    expect(control.account.kept + control.account.dropped).toBe(workload.spanCount);
    const storedSpans = [...control.spansByTrace.values()].reduce((n, ids) => n + ids.length, 0);
    expect(storedSpans).toBe(control.account.kept);
    expect(control.spanRows).toHaveLength(control.account.kept);
  });
});

describe('fault: sampler crash after writing some sinks, then redelivery', () => {
  it.each([
    ['the same batch (no bisect)', false],
    ['bisected halves (BisectBatchOnFunctionError)', true],
  ])('leaves no duplicate item or Parquet row when redelivered as %s', async (name, bisectOnError) => {
    // Prepare: DynamoDB and the spans table are written, then the traces manifest PUT fails, once
    const { plan: s3, failures } = crashAfterSpansWritten();

    // Act
    const result = await run({ s3 }, { bisectOnError });

    // Assess
    expect(failures()).toBe(1);
    expect(
      result.pipeline.metrics.sum('BatchFailures', { Function: 'sampler', Error: 'SinkWriteError' }),
    ).toBe(1);
    expect(result.pipeline.stats.bisections).toBe(bisectOnError ? 1 : 0);
    expectSameAsControl(result);
    if (!bisectOnError) {
      // The same batch again writes the same object keys: exact even before compaction.
      expect(result.spanRowsBefore).toEqual(control.spanRows);
      expect(result.traceRowsBefore).toEqual(control.traceRows);
    }
    figures(`sampler crash mid-sink, redelivered as ${name}`, result);
  });
});

describe('fault: DynamoDB throttling and UnprocessedItems', () => {
  it('retries unprocessed items and throttled calls inside the sink', async () => {
    // Prepare: the first 3 BatchWriteItem calls are throttled, then every other call writes only 5 items
    let calls = 0;
    const dynamodb: Plan = (command) => {
      if (command !== 'BatchWriteItemCommand') return undefined;
      const call = calls++;
      if (call < 3)
        return { kind: 'error', error: serviceError('ProvisionedThroughputExceededException', 400) };
      return call % 2 === 0 ? { kind: 'unprocessed', write: 5 } : undefined;
    };

    // Act
    const result = await run({ dynamodb });

    // Assess
    expect(result.pipeline.metrics.sum('BatchFailures', { Function: 'sampler' })).toBe(0);
    expectSameAsControl(result);
    figures('DynamoDB throttling and UnprocessedItems', result);
  });

  it('fails the batch when throttling outlasts the retries, and stores it on redelivery', async () => {
    // Prepare: 12 throttled writes of trace items in a row, more than the table's 8 attempts (the
    // search index's writes, made at the same time, are let through)
    let calls = 0;
    const dynamodb: Plan = (command, input) =>
      command === 'BatchWriteItemCommand' && writesKeptTraces(input) && calls++ < 12
        ? { kind: 'error', error: serviceError('ThrottlingException', 400) }
        : undefined;

    // Act
    const result = await run({ dynamodb });

    // Assess
    expect(
      result.pipeline.metrics.sum('BatchFailures', { Function: 'sampler', Error: 'SinkWriteError' }),
    ).toBe(1);
    expectSameAsControl(result);
    figures('DynamoDB throttling beyond the retries', result);
  });
});

describe('fault: S3 errors and slow responses', () => {
  it('stores everything once despite 500/503 errors on PUTs', async () => {
    // Prepare: every 4th PutObject fails, alternating InternalError and SlowDown, for the first 40
    // PUTs, but never one of the 8 PUTs after a failed one: those are its batch's retry (at most 6
    // writes; shards are delivered one at a time), so the errors are transient. Without the gap,
    // PUTs interleaving in another order could fail one record on every attempt, and the event
    // source mapping would rightly send it to the on-failure destination after maxRetryAttempts.
    let puts = 0;
    let sparedUntil = 0;
    const s3: Plan = (command) => {
      if (command !== 'PutObjectCommand') return undefined;
      const put = puts++;
      if (put >= 40 || put % 4 !== 3 || put < sparedUntil) return undefined;
      sparedUntil = put + 9;
      return {
        kind: 'error',
        error: put % 8 === 3 ? serviceError('InternalError', 500) : serviceError('SlowDown', 503),
      };
    };

    // Act
    const result = await run({ s3 });

    // Assess
    expect(result.pipeline.metrics.sum('BatchFailures', { Function: 'sampler' })).toBeGreaterThan(0);
    expectSameAsControl(result);
    figures('S3 500/503 errors', result);
  });

  it('stores everything once when S3 answers slowly and out of order', async () => {
    // Prepare: each call delayed 0-24 ms (deterministic), so concurrent PUTs complete out of order
    let calls = 0;
    const s3: Plan = () => ({ kind: 'delay', ms: (calls++ * 7) % 25 });

    // Act
    const result = await run({ s3 });

    // Assess
    expect(calls).toBeGreaterThan(0);
    expectSameAsControl(result);
    figures('S3 slow responses', result);
  });
});

describe('fault: a Lambda timeout', () => {
  it('fails a batch whose S3 write outlasts the deadline; the retry stores it and the stale attempt, once thawed, lists nothing', async () => {
    // Prepare: the first traces-table data PUT stalls past the invocation's deadline; once it is
    // released, any traces manifest PUT is the stale invocation's, and is counted
    let release: () => void = () => {};
    const thaw = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stalledKey: string | undefined;
    let released = false;
    let staleManifestPuts = 0;
    const s3: Plan = (command, input) => {
      if (command !== 'PutObjectCommand') return undefined;
      const key = String(input.Key);
      if (released && key.startsWith('tables/traces/')) staleManifestPuts++;
      if (stalledKey || !key.startsWith('data/traces/')) return undefined;
      stalledKey = key;
      return { kind: 'stall', until: thaw };
    };
    const errors: string[] = [];
    const invoke: FaultPipelineOptions['invoke'] = async (handler, event) => {
      try {
        return await invokeWithin(handler, event, 400);
      } catch (error) {
        errors.push((error as Error).name);
        throw error;
      }
    };

    // Act: once the retry has stored the batch, the stalled PUT goes through (the container
    // thaws); the stale attempt gets the time it needs to reach its manifest write, if it would
    const result = await run({ s3 }, { invoke }, async () => {
      released = true;
      release();
      await new Promise((resolve) => setTimeout(resolve, 500));
    });

    // Assess: middy ended the invocation on the context's deadline, the mapping retried it, and
    // the aborted attempt stopped before listing its file (sampler.ts / parquet-store.ts signal)
    expect(stalledKey).toBeDefined();
    expect(errors).toEqual(['TimeoutError']);
    expect(result.pipeline.stats.functionErrors).toBe(1);
    expect(staleManifestPuts).toBe(0);
    expectSameAsControl(result);
    figures('Lambda timeout with a stale write', result);
  });
});

describe('fault: a second container (fresh runtime) gets a trace again', () => {
  const sent = workload.requests.flatMap((r) => decodeTraceRequest(r.protobuf));
  const roots = sent.filter((span) => span.parentSpanId === '');

  /** After the clean run: a cold start, the given bodies exported, the stream drained again. */
  async function resend(bodies: () => Uint8Array[]): Promise<RunResult> {
    return run({}, {}, async (pipeline) => {
      pipeline.coldStart();
      pipeline.advance(120_000);
      for (const body of bodies()) expect((await pipeline.export(body)).statusCode).toBe(200);
      await pipeline.drain();
      const account = pipeline.accounting();
      expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(
        account.accepted + account.reputByFailedInvocations,
      );
    });
  }

  it('the roots again (an exporter retry after a restart): stored traces stay whole, Parquet lists nothing twice', async () => {
    // Act
    const result = await resend(() => roots.map((root) => encodeTraceRequest([root])));
    // Assess
    expect(result.spansByTrace).toEqual(control.spansByTrace);
    expect(result.spanRows).toEqual(control.spanRows);
    expect(result.traceRows).toEqual(control.traceRows);
    expect(result.spanRowsBefore).toEqual(control.spanRows);
    expect(result.traceRowsBefore).toEqual(control.traceRows);
  });

  it('the whole traces again: stored once, as in the clean run', async () => {
    // Act
    const result = await resend(() => workload.requests.map((r) => r.protobuf));
    // Assess
    expect(result.spansByTrace).toEqual(control.spansByTrace);
    expect(result.spanRowsBefore).toEqual(control.spanRows);
    expect(result.spanRows).toEqual(control.spanRows);
    expect(result.traceRows).toEqual(control.traceRows);
  });

  it('a late child: joins its trace when it was kept, is dropped with it when it was not', async () => {
    // Prepare: a new child under the root of one kept and one dropped trace
    const keptRoot = roots.find((r) => control.spansByTrace.has(r.traceId));
    const droppedRoot = roots.find((r) => !control.spansByTrace.has(r.traceId));
    if (!keptRoot || !droppedRoot) throw new Error('the clean run needs a kept and a dropped trace');
    const childOf = (root: (typeof roots)[number]) => ({
      ...root,
      spanId: `${root.spanId.slice(0, 12)}cafe`,
      parentSpanId: root.spanId,
      name: 'late child',
    });
    // Act
    const result = await resend(() => [encodeTraceRequest([childOf(keptRoot), childOf(droppedRoot)])]);
    // Assess
    const expected = new Map(control.spansByTrace);
    expected.set(
      keptRoot.traceId,
      [...(control.spansByTrace.get(keptRoot.traceId) ?? []), childOf(keptRoot).spanId].sort(),
    );
    expect(result.spansByTrace).toEqual(expected);
    expect(result.spanRows).toEqual(
      [...control.spanRows, `${keptRoot.traceId}/${childOf(keptRoot).spanId}`].sort(),
    );
    expect(result.traceRows).toEqual(control.traceRows);
  });
});
