/**
 * Sampler stage: Kinesis records (as ingest writes them from the reference workload) -> decisions,
 * through the sampler core exactly as the handler runs it: decompression, span index, assembly and
 * de-duplication, readiness, the default policy chain, full decoding of kept traces, and re-encoding
 * of deferred traces (traces whose root lies in a later batch), with the stream and the stores
 * replaced by in-memory stand-ins so that only the sampler's own work is timed.
 *
 * Also the memory of a batch that holds one 50,000-span trace (kept, so fully decoded: the worst
 * case) next to ordinary traffic.
 */

import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { packScannedRequest, packSpans } from '../lambdas/ingest/records.ts';
import type { StreamRecord } from '../lambdas/sampler/batch.ts';
import { createRuntime, type SamplerDeps, sampleBatch } from '../lambdas/sampler/sampler.ts';
import type { StateDocument } from '../lambdas/sampler/state/sampler-state.ts';
import { parseConfig } from '../lambdas/shared/config/load.ts';
import { silentLogger } from '../lambdas/shared/log.ts';
import { Metrics } from '../lambdas/shared/metrics/emf.ts';
import { scanTraceRequest } from '../lambdas/shared/otlp/scan.ts';
import { decodeRecord } from '../lambdas/shared/record/codec.ts';
import { ShardDirectory } from '../lambdas/shared/routing/shard-directory.ts';
import type { KeptTrace } from '../lambdas/shared/sampling/kept-trace.ts';
import { EMPTY_SCOPE, makeResource, type Span, SpanKind, StatusCode } from '../lambdas/shared/span/model.ts';
import { walkSpans } from './baselines.ts';
import {
  type BenchResult,
  collector,
  cpuMs,
  figure,
  median,
  pairedRatio,
  rate,
  timeRuns,
  timeRunsAsync,
} from './harness.ts';
import { evenShardMap } from './ingest.ts';
import type { Workload } from './workload.ts';

const SHARD = 'shardId-000000000000';
const RECORDS_PER_BATCH = 100;
const MAX_RECORD_BYTES = 1024 * 1024 - 1024;

/** A Kinesis client that lists one shard and accepts every PutRecords entry. */
function fakeKinesis(): KinesisClient {
  const shardMap = evenShardMap(1);
  let sequence = 0;
  const send = async (command: { constructor: { name: string }; input: { Records?: unknown[] } }) => {
    if (command.constructor.name === 'PutRecordsCommand') {
      return {
        FailedRecordCount: 0,
        Records: (command.input.Records ?? []).map(() => ({
          SequenceNumber: String(++sequence),
          ShardId: SHARD,
        })),
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

function depsFor(kept: { traces: number; spans: number }): SamplerDeps {
  const kinesis = fakeKinesis();
  const documents = new Map<string, StateDocument>();
  const pendingObjects = new Map<string, Uint8Array>();
  return {
    kinesis,
    streamName: 'bench',
    now: Date.now,
    shards: new ShardDirectory(kinesis, { streamName: 'bench', ttlMs: 3_600_000 }),
    sink: {
      write: async (traces: readonly KeptTrace[]) => {
        kept.traces += traces.length;
        for (const t of traces) kept.spans += t.spans.length;
      },
    },
    lookup: { keptDecisions: async () => new Map() },
    stateStore: {
      load: async (shardId) => documents.get(shardId),
      loadOthers: async () => [],
      save: async (document) => {
        documents.set(document.shardId, document);
      },
      savePending: async (stateId, covered, bytes) => {
        const key = `${stateId}/${covered ?? '0'}/${pendingObjects.size}`;
        pendingObjects.set(key, bytes);
        return key;
      },
      loadPending: async (key) => pendingObjects.get(key) ?? new Uint8Array(),
      removePending: async (key) => {
        pendingObjects.delete(key);
      },
    },
    // The default configuration, with the send delay at 0 so that every trace whose root is in the
    // batch is decided there (the rest are deferred, as in production).
    config: parseConfig({ sampling: { sendDelaySeconds: 0 } }),
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
  };
}

function batchesOf(records: readonly Uint8Array[], arrivalMs: number): StreamRecord[][] {
  const batches: StreamRecord[][] = [];
  for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
    batches.push(
      records.slice(i, i + RECORDS_PER_BATCH).map((data, k) => ({
        sequenceNumber: String(i + k + 1).padStart(20, '0'),
        partitionKey: 'lane-0',
        arrivalMs: arrivalMs + i + k,
        data,
      })),
    );
  }
  return batches;
}

/** A 50,000-span trace with an error (so it is kept and decoded in full). */
function hugeTrace(): Span[] {
  const traceId = '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e';
  const resource = makeResource({ 'service.name': 'batch-jobs', 'host.name': 'worker-17' });
  const start = 1_764_000_000_000_000_000n;
  return Array.from(
    { length: 50_000 },
    (_, i): Span => ({
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
    }),
  );
}

export async function benchSampler(workload: Workload, runs = 5): Promise<BenchResult[]> {
  const shardMap = evenShardMap(1);
  const records = workload.requests.flatMap(
    (r) =>
      packScannedRequest(scanTraceRequest(r.protobuf), {
        shardMap,
        lanes: 1,
        maxRecordBytes: MAX_RECORD_BYTES,
      }).records,
  );
  const batches = batchesOf(
    records.map((r) => r.data),
    1_764_000_000_000,
  );
  const results: BenchResult[] = [];

  const kept = { traces: 0, spans: 0 };
  const deps = depsFor(kept);
  const sample = async (): Promise<void> => {
    const runtime = createRuntime(deps.config);
    for (const records of batches) await sampleBatch({ shardId: SHARD, records }, deps, runtime);
  };
  // Floor: every record's payload decompressed and walked to each span, nothing decided. Timed
  // alternately with the sampler so that the ratio compares runs that saw the same machine.
  const floor = (): void => {
    for (const record of records) walkSpans(decodeRecord(record.data).payload);
  };
  await sample();
  floor();
  const sampleTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    sampleTimes.push(...(await timeRunsAsync(sample, 1, 0)));
    floorTimes.push(...timeRuns(floor, 1, 0));
  }
  results.push(
    rate(
      'sampler',
      'spans/s per core (records -> decisions, default policies)',
      workload.spanCount,
      sampleTimes,
      {
        op: '>=',
        value: 300_000,
      },
    ),
    figure('sampler', 'records per batch in that run', RECORDS_PER_BATCH, 'records'),
    rate(
      'baseline',
      'sampler floor: zstd decompress + bare walk of the records, spans/s',
      workload.spanCount,
      floorTimes,
    ),
    pairedRatio('ratio', 'sampler time / its floor time', sampleTimes, floorTimes),
  );

  // One batch: the 50,000-span trace and the first 100 records of ordinary traffic.
  const gc = collector();
  const huge = packSpans(hugeTrace(), { shardMap, lanes: 1, maxRecordBytes: MAX_RECORD_BYTES }).records;
  const [hugeBatch] = batchesOf(
    [...huge.map((r) => r.data), ...records.slice(0, 100).map((r) => r.data)],
    1_764_000_000_000,
  );
  const heapGrowth: number[] = [];
  const times: number[] = [];
  let hugeSpans = 0;
  for (let run = 0; run < runs; run++) {
    const bigKept = { traces: 0, spans: 0 };
    const bigDeps = depsFor(bigKept);
    const runtime = createRuntime(bigDeps.config);
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = cpuMs();
    const outcome = await sampleBatch(
      { shardId: SHARD, records: hugeBatch as StreamRecord[] },
      bigDeps,
      runtime,
    );
    times.push(cpuMs() - started);
    // Measured before collecting: everything the batch allocated, retained or not, is an upper bound of its peak.
    heapGrowth.push((process.memoryUsage().heapUsed - before) / 2 ** 20);
    hugeSpans = outcome.accounting.spansIn;
  }
  results.push(figure('sampler', 'spans in the batch with a 50,000-span trace', hugeSpans, 'spans'));
  results.push(
    rate('sampler', 'spans/s for that batch (the big trace kept, decoded in full)', hugeSpans, times),
  );
  results.push({
    ...figure('sampler', 'heap allocated by that batch (upper bound of its peak)', median(heapGrowth), 'MiB'),
    runs: heapGrowth,
  });
  return results;
}
