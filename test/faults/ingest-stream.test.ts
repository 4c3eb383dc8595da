/**
 * Faults of the stream during ingest: PutRecords entries throttled or failing, the whole stream
 * unavailable. Each run exports a workload the way an OTLP exporter does (retrying 429/503 after
 * Retry-After), drains the stream through the sampler, and checks the accounting:
 *
 *   accepted = kept + dropped + dead-lettered + duplicates
 *
 * where accepted counts the span copies ingest put into the stream (a request answered 429/503 may
 * have put some of its records before the deadline; the exporter's retry puts them again, and the
 * sampler removes the extra copies as duplicates), and every distinct span sent is stored once.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import { generateWorkload } from '../../workload/workload.ts';
import { recordFigures, startFaultPipeline } from '../support/fault-pipeline.ts';
import { memoryTraceStore } from '../support/sampler.ts';

// Whole pipelines per test: minutes of margin on a loaded 2-core machine (never a timed assertion).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());

const workload = generateWorkload({ traces: 120, seed: 8, batchSize: 64, bigTraceRate: 0 });
const sentSpans = new Set(
  workload.requests.flatMap((r) => decodeTraceRequest(r.protobuf).map((s) => `${s.traceId}/${s.spanId}`)),
);

function pipelineKeepingAll(config: Record<string, unknown> = {}) {
  const store = memoryTraceStore();
  const pipeline = startFaultPipeline({
    kinesis,
    sink: { ...store.sink, ...store.lookup },
    config: { sampling: { baselineProbability: 1 }, ingest: { putDeadlineMs: 2_000 }, ...config },
    batchSize: 500,
  });
  return { store, pipeline };
}

function storedSpans(store: ReturnType<typeof memoryTraceStore>): Set<string> {
  const out = new Set<string>();
  for (const [traceId, trace] of store.traces)
    for (const spanId of trace.spans.keys()) out.add(`${traceId}/${spanId}`);
  return out;
}

describe('fault: Kinesis PutRecords partial failures during ingest', () => {
  it('retries only the failed entries: every request 200, every span in the stream once, all stored', async () => {
    // Prepare: every record is throttled on its first offer; shard 1's fail once more internally
    const { store, pipeline } = pipelineKeepingAll();
    pipeline.stream.entryFault = ({ shardId, attempt }) =>
      attempt === 0
        ? 'ProvisionedThroughputExceededException'
        : attempt === 1 && shardId === pipeline.stream.shardIds[1]
          ? 'InternalFailure'
          : undefined;

    // Act
    const statuses = [];
    for (const request of workload.requests)
      statuses.push((await pipeline.export(request.protobuf)).statusCode);
    await pipeline.drain();

    // Assess
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(pipeline.metrics.sum('PutRetries', { Function: 'ingest' })).toBeGreaterThan(0);
    const account = pipeline.accounting();
    expect(account.accepted).toBe(sentSpans.size);
    expect(account.duplicates).toBe(0);
    expect(account.kept + account.dropped + account.deadLettered).toBe(account.accepted);
    expect(storedSpans(store)).toEqual(sentSpans);
    recordFigures('partial PutRecords failures', {
      requests: statuses.length,
      putRetries: pipeline.metrics.sum('PutRetries', { Function: 'ingest' }),
      ...account,
    });
  });
});

describe('fault: Kinesis throttling outlasting the put deadline', () => {
  it('answers 429 with Retry-After; the exporter retries; copies put before the 429 are deduplicated', async () => {
    // Prepare: shard 1 is hot for 20 s: its records are throttled, shard 0's land
    const { store, pipeline } = pipelineKeepingAll();
    const hotUntil = pipeline.now() + 20_000;
    pipeline.stream.entryFault = ({ shardId }) =>
      shardId === pipeline.stream.shardIds[1] && pipeline.now() < hotUntil
        ? 'ProvisionedThroughputExceededException'
        : undefined;

    // Act
    const outcomes = [];
    for (const request of workload.requests) outcomes.push(await pipeline.exportRetrying(request.protobuf));
    await pipeline.drain();

    // Assess
    expect(outcomes.every((o) => o.statusCode === 200)).toBe(true);
    expect(outcomes.some((o) => o.attempts > 1)).toBe(true);
    expect(pipeline.metrics.sum('Responses429', { Function: 'ingest' })).toBeGreaterThan(0);
    const account = pipeline.accounting();
    expect(account.accepted).toBeGreaterThan(sentSpans.size);
    expect(account.duplicates).toBe(account.accepted - sentSpans.size);
    expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(account.accepted);
    expect(storedSpans(store)).toEqual(sentSpans);
    recordFigures('throttling past the deadline', {
      requests: outcomes.length,
      responses429: pipeline.metrics.sum('Responses429', { Function: 'ingest' }),
      exporterRetries: outcomes.reduce((sum, o) => sum + o.attempts - 1, 0),
      ...account,
    });
  });
});

describe('fault: the stream unavailable', () => {
  it('answers 503 with Retry-After while every call fails, puts nothing, and loses nothing once it is back', async () => {
    // Prepare: every PutRecords call fails outright for 20 s
    const { store, pipeline } = pipelineKeepingAll();
    const downUntil = pipeline.now() + 20_000;
    pipeline.stream.callFault = () =>
      pipeline.now() < downUntil
        ? Object.assign(new Error('stream unavailable'), { name: 'ServiceUnavailable' })
        : undefined;

    // Act
    const first = await pipeline.export((workload.requests[0] as { protobuf: Uint8Array }).protobuf);
    const outcomes = [];
    for (const request of workload.requests) outcomes.push(await pipeline.exportRetrying(request.protobuf));
    await pipeline.drain();

    // Assess
    expect(first.statusCode).toBe(503);
    expect(first.headers?.['retry-after']).toBe(String(pipeline.config.ingest.retryAfterSeconds));
    expect(JSON.stringify(first.body.toString('latin1'))).toMatch(/unavailable/);
    expect(outcomes.every((o) => o.statusCode === 200)).toBe(true);
    const account = pipeline.accounting();
    expect(account.accepted).toBe(sentSpans.size);
    expect(account.kept + account.dropped + account.deadLettered).toBe(account.accepted);
    expect(storedSpans(store)).toEqual(sentSpans);
    recordFigures('stream unavailable', {
      requests: outcomes.length,
      responses503: pipeline.metrics.sum('Responses503', { Function: 'ingest' }),
      exporterRetries: outcomes.reduce((sum, o) => sum + o.attempts - 1, 0),
      ...account,
    });
  });
});

describe('fault: the ingest Lambda times out', () => {
  it('ends the invocation at the deadline (502, retried by the exporter); the late put is de-duplicated', async () => {
    // Prepare: PutRecords stops answering until released; the function has 300 ms
    const { store, pipeline } = pipelineKeepingAll();
    let release: () => void = () => {};
    pipeline.stream.stall = new Promise<void>((resolve) => {
      release = resolve;
    });
    const [first, ...rest] = workload.requests;
    const body = (first as { protobuf: Uint8Array }).protobuf;

    // Act: the stalled invocation times out; the stream answers again (the stale put lands); the
    // exporter retries the 502 and sends the rest
    const timedOut = await pipeline.export(body, 'application/x-protobuf', 300);
    pipeline.stream.stall = undefined;
    release();
    await new Promise((resolve) => setImmediate(resolve));
    const retried = await pipeline.exportRetrying(body);
    for (const request of rest) await pipeline.exportRetrying(request.protobuf);
    await pipeline.drain();

    // Assess
    expect(timedOut.statusCode).toBe(502);
    expect(pipeline.ingestErrors).toEqual(['TimeoutError']);
    expect(retried.statusCode).toBe(200);
    const account = pipeline.accounting();
    const firstSpans = decodeTraceRequest(body).length;
    expect(account.accepted).toBe(sentSpans.size + firstSpans);
    expect(account.duplicates).toBe(firstSpans);
    expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(account.accepted);
    expect(storedSpans(store)).toEqual(sentSpans);
    recordFigures('ingest Lambda timeout', { ...account, lateCopies: firstSpans });
  });
});
