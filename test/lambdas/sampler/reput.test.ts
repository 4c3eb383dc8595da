import { describe, expect, it } from 'vitest';
import { assembleBatch, type TraceAssembly } from '../../../lambdas/sampler/batch.ts';
import { RecordTooLargeError } from '../../../lambdas/sampler/errors.ts';
import { carryOf, type OutgoingTrace, packTraces, payloadOfSpans } from '../../../lambdas/sampler/reput.ts';
import { decodeTraceRequest, encodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { decodeRecord, encodeRecord, RecordOrigin } from '../../../lambdas/shared/record/index.ts';
import { laneOf, traceHashKey, traceHashKeyOfHex } from '../../../lambdas/shared/routing/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { seededRandom } from '../../../workload/random.ts';
import { evenShardMap } from '../../../workload/shards.ts';
import { idOf, resourceOf, spanOf, streamRecordOf, traceOf } from '../../support/sampler.ts';

const LIMITS = { maxSpansPerInvocation: 1_000_000, maxPayloadBytes: 64 * 1024 * 1024 };

function traceIdOfIndex(i: number): string {
  return `${(i * 2654435761).toString(16).padStart(16, 'f')}${idOf(i, 8)}`.slice(-32);
}

/** Assembles spans that arrived in several records (to exercise copying from several payloads). */
function assemble(recordsOfSpans: readonly (readonly Span[])[]): TraceAssembly[] {
  const records = recordsOfSpans.map((spans, i) =>
    streamRecordOf(
      encodeRecord(
        { origin: RecordOrigin.INGEST, spanCount: spans.length, traces: [] },
        encodeTraceRequest(spans),
      ),
      i + 1,
      1_000 + i,
    ),
  );
  return [...assembleBatch(records, LIMITS).traces.values()];
}

function outgoing(trace: TraceAssembly, deferrals = 1): OutgoingTrace {
  return { trace, hashKey: traceHashKey(trace.idBytes, trace.idAt), carry: carryOf(trace, deferrals) };
}

/** Incompressible text: zstd cannot shrink it, so record sizes are predictable. */
function noise(length: number, seed: number): string {
  const next = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256))).toString('base64');
}

const sortById = (spans: readonly Span[]): Span[] =>
  [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));

describe('payloadOfSpans', () => {
  it('rebuilds the spans verbatim, with their resources, from several records', () => {
    // Prepare: one trace across two services and two records
    const a = traceOf('aaaaaaaaaaaaaaaa1111111111111111', { service: 'frontend' });
    const b = traceOf('aaaaaaaaaaaaaaaa1111111111111111', { service: 'orders' }).map((s, i) => ({
      ...s,
      spanId: `bbbbbbbbbbbbbb0${i}`,
      parentSpanId: (a[0] as Span).spanId,
      resource: resourceOf('orders', { 'k8s.pod.name': 'orders-1' }),
    }));
    const [trace] = assemble([a, b]);

    // Act
    const spans = decodeTraceRequest(payloadOfSpans((trace as TraceAssembly).spans));

    // Assess
    expect(sortById(spans)).toEqual(sortById([...a, ...b]));
  });

  it('writes an empty request for no spans', () => {
    expect(decodeTraceRequest(payloadOfSpans([]))).toEqual([]);
  });
});

describe('packTraces', () => {
  it('routes each trace to its shard and lane with its carry, as ingest does', () => {
    // Prepare: 40 traces over 4 shards and 2 lanes
    const spans = Array.from({ length: 40 }, (_, i) => traceOf(traceIdOfIndex(i))).flat();
    const traces = assemble([spans]).map((t) => outgoing(t, 2));
    const shardMap = evenShardMap(4);

    // Act
    const records = packTraces(traces, RecordOrigin.DEFERRED, {
      shardMap,
      lanes: 2,
      maxRecordBytes: 1024 * 1024,
    });

    // Assess: every record holds traces of one shard and one lane, named by its hash key and partition key
    const seen = new Set<string>();
    for (const record of records) {
      const { header, payload } = decodeRecord(record.data);
      expect(header.origin).toBe(RecordOrigin.DEFERRED);
      const ids = new Set(decodeTraceRequest(payload).map((s) => s.traceId));
      expect(header.traces.map((c) => c.traceId).sort()).toEqual([...ids].sort());
      expect(header.spanCount).toBe(record.spanCount);
      const shard = shardMap.shardOf(BigInt(record.explicitHashKey));
      expect(record.expectedShardId).toBe(shard.shardId);
      for (const id of ids) {
        const hash = traceHashKeyOfHex(id);
        expect(shardMap.shardOf(hash).shardId).toBe(shard.shardId);
        expect(record.partitionKey).toBe(`lane-${laneOf(hash, 2)}`);
        seen.add(id);
      }
      for (const carry of header.traces) {
        expect(carry.deferrals).toBe(2);
        expect(carry.firstArrivalMs).toBe(1_000);
      }
    }
    expect(seen.size).toBe(40);
  });

  it('without a shard map, groups by lane and routes by the first trace', () => {
    const traces = assemble([Array.from({ length: 6 }, (_, i) => traceOf(traceIdOfIndex(i))).flat()]).map(
      (t) => outgoing(t),
    );
    const records = packTraces(traces, RecordOrigin.FORWARDED, {
      shardMap: undefined,
      lanes: 1,
      maxRecordBytes: 1024 * 1024,
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.expectedShardId).toBeUndefined();
    expect(decodeRecord(records[0]?.data as Uint8Array).header.origin).toBe(RecordOrigin.FORWARDED);
  });

  it('splits records that exceed the size limit, by trace and then within a trace', () => {
    // Prepare: two big traces with incompressible attributes, each larger than the 64 KiB limit
    const random = (n: number): string => noise(n, n);
    const big = (id: string): Span[] =>
      Array.from({ length: 60 }, (_, i) =>
        spanOf({
          traceId: id,
          spanId: `${id.slice(0, 12)}${(i + 1).toString(16).padStart(4, '0')}`,
          attributes: { blob: random(2_000 + i) },
        }),
      );
    const traces = assemble([[...big(traceIdOfIndex(1)), ...big(traceIdOfIndex(2))]]).map((t) => outgoing(t));

    // Act
    const records = packTraces(traces, RecordOrigin.DEFERRED, {
      shardMap: undefined,
      lanes: 1,
      maxRecordBytes: 64 * 1024,
    });

    // Assess: several records, each within the limit, holding all 120 spans exactly once
    expect(records.length).toBeGreaterThan(2);
    const ids = new Set<string>();
    for (const record of records) {
      expect(record.data.length).toBeLessThanOrEqual(64 * 1024);
      for (const span of decodeTraceRequest(decodeRecord(record.data).payload))
        ids.add(`${span.traceId}/${span.spanId}`);
    }
    expect(ids.size).toBe(120);
  });

  it('fails with RecordTooLargeError for a single span no record can hold', () => {
    const random = noise(1_100_000, 7);
    const [trace] = assemble([
      [spanOf({ traceId: traceIdOfIndex(3), spanId: '1111111111111111', attributes: { blob: random } })],
    ]);
    expect(() =>
      packTraces([outgoing(trace as TraceAssembly)], RecordOrigin.DEFERRED, {
        shardMap: undefined,
        lanes: 1,
        maxRecordBytes: 64 * 1024,
      }),
    ).toThrow(RecordTooLargeError);
  });
});
