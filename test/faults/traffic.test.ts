/**
 * Faults that come with the traffic itself: a poison record in a shard, exporters retrying the
 * same spans, clocks skewed between services, a root span that never arrives, a trace of 100,000
 * spans. Real ingest and sampler handlers over the in-memory stream and the event source mapping
 * stand-in; kept traces go to the in-memory store. Each test checks the accounting,
 *
 *   accepted = kept + dropped + dead-lettered + duplicates
 *
 * in span copies (an exporter retry puts the same span in the stream twice: the copy is removed as
 * a duplicate, or counted again under its trace's decision when it comes after it), and that every
 * distinct span sent is stored (baseline 1) or accounted for.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { jsonLogger } from '../../lambdas/shared/log.ts';
import { decodeTraceRequest, encodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import { decodeRecord, decodeRecordHeader } from '../../lambdas/shared/record/index.ts';
import type { Span } from '../../lambdas/shared/span/model.ts';
import { generateWorkload } from '../../workload/workload.ts';
import { recordFigures, startFaultPipeline } from '../support/fault-pipeline.ts';
import { idOf, memoryTraceStore, spanOf, traceIds } from '../support/sampler.ts';

// Whole pipelines per test: minutes of margin on a loaded 2-core machine (never a timed assertion).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());

const workload = generateWorkload({ traces: 80, seed: 33, batchSize: 32, bigTraceRate: 0 });
const keyOf = (s: Pick<Span, 'traceId' | 'spanId'>): string => `${s.traceId}/${s.spanId}`;
const sentSpans = new Set(workload.requests.flatMap((r) => decodeTraceRequest(r.protobuf).map(keyOf)));
const spanNames = [
  ...new Set(workload.requests.flatMap((r) => decodeTraceRequest(r.protobuf).map((s) => s.name))),
];

function keepingAll(config: Record<string, unknown> = {}, batchSize = 100, logs: string[] = []) {
  const store = memoryTraceStore();
  const pipeline = startFaultPipeline({
    kinesis,
    sink: { ...store.sink, ...store.lookup },
    config: { sampling: { baselineProbability: 1, ...config } },
    batchSize,
    logger: jsonLogger('fault', 'debug', (line) => logs.push(line)),
  });
  const stored = (): Set<string> => {
    const out = new Set<string>();
    for (const [traceId, trace] of store.traces)
      for (const spanId of trace.spans.keys()) out.add(`${traceId}/${spanId}`);
    return out;
  };
  return { store, pipeline, stored };
}

/** Exports every body, a delivery round (one second later) after every `every` requests. */
async function exportInterleaved(
  pipeline: ReturnType<typeof startFaultPipeline>,
  bodies: readonly Uint8Array[],
  every = 4,
): Promise<void> {
  for (const [i, body] of bodies.entries()) {
    expect((await pipeline.export(body)).statusCode).toBe(200);
    if (i % every === every - 1) {
      pipeline.advance(1_000);
      await pipeline.deliverRound();
    }
  }
}

describe('fault: a poison record in a shard', () => {
  it('sends only the poison, with its payload, to the on-failure destination; the shard flows on', async () => {
    // Prepare: the workload is in the stream; then a record in the middle of shard 0 is corrupted
    const logs: string[] = [];
    const { pipeline, stored } = keepingAll({}, 100, logs);
    for (const request of workload.requests) await pipeline.export(request.protobuf);
    const shard = pipeline.stream.records.get(pipeline.stream.shardIds[0] as string) ?? [];
    const victim = shard[Math.floor(shard.length / 2)];
    if (!victim) throw new Error('shard 0 holds no records');
    const original = victim.Data as Uint8Array;
    const poisonSpans = decodeTraceRequest(decodeRecord(original).payload).map(keyOf);
    const { bodyStart } = decodeRecordHeader(original);
    const corrupted = Uint8Array.from(original, (byte, i) => (i >= bodyStart ? byte ^ 0x5a : byte));
    victim.Data = corrupted;
    const after = shard.slice(shard.indexOf(victim) + 1);

    // Act
    await pipeline.drain();

    // Assess
    expect(pipeline.failed).toHaveLength(1);
    const [failed] = pipeline.failed;
    expect(failed?.records.map((r) => r.kinesis.sequenceNumber)).toEqual([victim.SequenceNumber]);
    expect(Buffer.from(failed?.records[0]?.kinesis.data ?? '', 'base64')).toEqual(Buffer.from(corrupted));
    expect(after.length).toBeGreaterThan(0);
    expect(pipeline.stream.pending()).toBe(0);
    const expected = new Set([...sentSpans].filter((k) => !poisonSpans.includes(k)));
    expect(stored()).toEqual(expected);
    // Logged, without its payload or the content of any span
    expect(logs.some((line) => line.includes('poison record'))).toBe(true);
    const contents = [Buffer.from(corrupted).toString('base64').slice(0, 40), ...spanNames];
    expect(logs.filter((line) => contents.some((content) => line.includes(content)))).toEqual([]);
    const account = pipeline.accounting();
    expect(account.deadLettered).toBe(poisonSpans.length);
    expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(account.accepted);
    // The metric counts the poison's spans once, as the destination holds them, over every attempt
    const spansDeadLetteredMetric = pipeline.metrics.sum('SpansDeadLettered', { Function: 'sampler' });
    expect(spansDeadLetteredMetric).toBe(poisonSpans.length);
    expect(pipeline.metrics.sum('PoisonRecords', { Function: 'sampler' })).toBeGreaterThan(1);
    const sampler = { Function: 'sampler' };
    expect(
      pipeline.metrics.sum('SpansKept', sampler) +
        pipeline.metrics.sum('SpansDropped', sampler) +
        spansDeadLetteredMetric +
        pipeline.metrics.sum('DuplicateSpans', sampler),
    ).toBe(pipeline.metrics.sum('SpansAccepted', { Function: 'ingest' }));
    recordFigures('poison record', {
      ...account,
      spansDeadLetteredMetric,
      recordsAfterPoison: after.length,
      attempts: failed?.attempts,
      bisections: pipeline.stats.bisections,
    });
  });
});

describe('fault: exporter retries deliver the same spans again', () => {
  it('stores each span once whether the copy meets the original or comes after its decision', async () => {
    // Prepare: every request sent three times: at once, and again after the trace was decided
    const { pipeline, stored } = keepingAll();
    const bodies = workload.requests.map((r) => r.protobuf);

    // Act
    await exportInterleaved(pipeline, [...bodies.flatMap((b) => [b, b])]);
    pipeline.advance(40_000);
    await pipeline.drain();
    await exportInterleaved(pipeline, bodies);
    await pipeline.drain();

    // Assess
    const account = pipeline.accounting();
    expect(account.accepted).toBe(3 * sentSpans.size);
    expect(account.duplicates).toBeGreaterThan(0);
    expect(pipeline.metrics.sum('LateSpans', { Function: 'sampler' })).toBeGreaterThan(0);
    expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(account.accepted);
    expect(stored()).toEqual(sentSpans);
    recordFigures('exporter retries x3', {
      ...account,
      lateCopies: pipeline.metrics.sum('LateSpans', { Function: 'sampler' }),
    });
  });
});

describe('fault: clock skew between services', () => {
  it('decides by arrival time whatever the span clocks say, and stores the spans as sent', async () => {
    // Prepare: roots from a correct clock; children from hosts a year ahead, at the epoch, 10 years back
    const { pipeline, stored, store } = keepingAll();
    const now = pipeline.now();
    const skews = [365 * 86_400_000, -now, -10 * 365 * 86_400_000, 2 * 3_600_000];
    const ids = traceIds(40, 91);
    const spans = ids.flatMap((traceId, t) => {
      const rootId = idOf(t * 10, 8);
      const skew = skews[t % skews.length] as number;
      return [
        spanOf({ traceId, spanId: rootId, startMs: now, durationMs: 50, service: 'frontend' }),
        ...[1, 2, 3].map((c) =>
          spanOf({
            traceId,
            spanId: idOf(t * 10 + c, 8),
            parentSpanId: rootId,
            startMs: Math.max(0, now + skew),
            durationMs: c === 3 ? -5 : 5,
            service: `skewed-${t % skews.length}`,
          }),
        ),
      ];
    });

    // Act: children first, the roots a second later, then the stream drained
    const children = spans.filter((s) => s.parentSpanId !== '');
    const roots = spans.filter((s) => s.parentSpanId === '');
    await pipeline.export(encodeTraceRequest(children));
    pipeline.advance(1_000);
    await pipeline.export(encodeTraceRequest(roots));
    const rounds = await pipeline.drain(1_000);

    // Assess: every trace was decided on its root within the send delay, none waited for a timeout
    const sampling = pipeline.config.sampling;
    expect(pipeline.metrics.sum('TracesReady', { Readiness: 'root' })).toBe(ids.length);
    expect(pipeline.metrics.sum('TracesReady', { Readiness: 'timeout' })).toBe(0);
    expect(rounds).toBeLessThanOrEqual(sampling.sendDelaySeconds + 2);
    expect(stored()).toEqual(new Set(spans.map(keyOf)));
    const storedSpan = store.traces.get(ids[2] as string)?.spans.get(idOf(2 * 10 + 1, 8));
    expect(storedSpan?.startTimeUnixNano).toBe(
      spans.find((s) => s.spanId === idOf(21, 8))?.startTimeUnixNano,
    );
    const account = pipeline.accounting();
    expect(account.kept + account.dropped + account.deadLettered).toBe(account.accepted);
    recordFigures('clock skew', { ...account, traces: ids.length, rounds });
  });
});

describe('fault: a root span that never arrives', () => {
  it('decides the rootless trace at its timeout and accounts for every span', async () => {
    // Prepare: half the traces lose their root; baseline 0 so only the error policy keeps anything
    const { pipeline, store } = keepingAll({ baselineProbability: 0 });
    const ids = traceIds(20, 5);
    const spans = ids.flatMap((traceId, t) => {
      const rootId = idOf(t * 10, 8);
      const children = [1, 2].map((c) =>
        spanOf({
          traceId,
          spanId: idOf(t * 10 + c, 8),
          parentSpanId: rootId,
          status: t % 4 === 1 && c === 1 ? 2 : 0,
        }),
      );
      return t % 2 === 0 ? [spanOf({ traceId, spanId: rootId }), ...children] : children;
    });

    // Act
    await pipeline.export(encodeTraceRequest(spans));
    const rounds = await pipeline.drain(1_000);

    // Assess
    const sampling = pipeline.config.sampling;
    expect(pipeline.metrics.sum('TracesReady', { Readiness: 'timeout' })).toBe(ids.length / 2);
    expect(rounds).toBeGreaterThanOrEqual(sampling.traceTimeoutSeconds);
    expect(rounds).toBeLessThanOrEqual(sampling.traceTimeoutSeconds + 2);
    const errorTraces = ids.filter((_, t) => t % 4 === 1);
    expect([...store.traces.keys()].sort()).toEqual([...errorTraces].sort());
    const account = pipeline.accounting();
    expect(account.dropped).toBeGreaterThan(0);
    expect(account.kept + account.dropped + account.deadLettered).toBe(account.accepted);
    expect(account.accepted).toBe(spans.length);
    recordFigures('root never arrives', { ...account, rounds });
  });
});

describe('fault: a trace of 100,000 spans', () => {
  it('is stored to its span cap under one decision, the rest counted dropped, every invocation inside its span budget', async () => {
    // Prepare: one trace, its children exported 512 at a time, the root last
    const maxSpansPerInvocation = 20_000;
    const { pipeline, store } = keepingAll({ maxSpansPerInvocation });
    const [traceId] = traceIds(1, 100) as [string];
    const rootId = idOf(0, 8);
    const count = 100_000;
    const bodies: Uint8Array[] = [];
    let batch: Span[] = [];
    for (let i = 1; i < count; i++) {
      batch.push(spanOf({ traceId, spanId: idOf(i, 8), parentSpanId: rootId, name: `step ${i % 50}` }));
      if (batch.length === 512) {
        bodies.push(encodeTraceRequest(batch));
        batch = [];
      }
    }
    batch.push(spanOf({ traceId, spanId: rootId, name: 'POST /batch' }));
    bodies.push(encodeTraceRequest(batch));

    // Act
    await exportInterleaved(pipeline, bodies, 60);
    await pipeline.drain(1_000);

    // Assess: the earliest spans up to the trace's cap, once, under one decision; the rest dropped
    // by the cap (a stored trace never grows past what trace-by-id can return)
    const cap = parseConfig({}).sampling.maxSpansPerTrace;
    const trace = store.traces.get(traceId);
    expect(trace?.spans.size).toBe(cap);
    expect(pipeline.metrics.sum('SpansDropped', { Function: 'sampler', Policy: 'trace-cap' })).toBe(
      count - cap,
    );
    expect(store.traces.size).toBe(1);
    const decisions = new Set(store.writes.flatMap((w) => w.traces.map((t) => JSON.stringify(t.decision))));
    expect(decisions.size).toBe(1);
    // Bounded: records beyond an invocation's span budget went back to the stream undecoded, and no
    // write to the store carried more than one budget of spans
    const spansIn = pipeline.metrics.lines
      .filter((line) => line.Function === 'sampler' && typeof line.SpansIn === 'number')
      .map((line) => line.SpansIn as number);
    const largestWrite = Math.max(
      ...store.writes.map((w) => w.traces.reduce((n, t) => n + t.spans.length, 0)),
    );
    expect(largestWrite).toBeLessThanOrEqual(maxSpansPerInvocation);
    expect(pipeline.metrics.sum('RecordsPassedThrough', { Function: 'sampler' })).toBeGreaterThan(0);
    expect(pipeline.metrics.sum('TracesReady', { Readiness: 'span-limit' })).toBe(1);
    const account = pipeline.accounting();
    expect(account.kept + account.dropped + account.deadLettered + account.duplicates).toBe(account.accepted);
    expect(account.accepted).toBe(count);
    expect(account.reputByFailedInvocations).toBe(0);
    recordFigures('100,000-span trace', {
      ...account,
      requests: bodies.length,
      writes: store.writes.length,
      largestWrite,
      largestInvocationWithPassThrough: Math.max(...spansIn),
      invocations: pipeline.stats.invocations,
      recordsPassedThrough: pipeline.metrics.sum('RecordsPassedThrough', { Function: 'sampler' }),
    });
  });
});
