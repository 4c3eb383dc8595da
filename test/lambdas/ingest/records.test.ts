import { describe, expect, it } from 'vitest';
import { packScannedRequest, packSpans } from '../../../lambdas/ingest/records.ts';
import { decodeTraceRequest, scanTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { decodeRecord, RecordOrigin } from '../../../lambdas/shared/record/index.ts';
import { laneOf, traceHashKeyOfHex } from '../../../lambdas/shared/routing/index.ts';
import { evenShardMap } from '../../../workload/shards.ts';
import { generateWorkload } from '../../../workload/workload.ts';

const workload = generateWorkload({ seed: 3, traces: 300 });
const request = workload.requests[0];
if (!request) throw new Error('no requests');
const shardMap = evenShardMap(4);

function spansOf(records: ReturnType<typeof packScannedRequest>['records']) {
  return records.flatMap((record) => {
    const { header, payload } = decodeRecord(record.data);
    const spans = decodeTraceRequest(payload);
    expect(header).toEqual({ origin: RecordOrigin.INGEST, spanCount: spans.length, traces: [] });
    expect(record.spanCount).toBe(spans.length);
    return spans.map((span) => ({ span, record }));
  });
}

describe('packing spans into records', () => {
  it('puts each span in exactly one record whose shard owns its trace', () => {
    // Act
    const pack = packScannedRequest(scanTraceRequest(request.protobuf), {
      shardMap,
      lanes: 1,
      maxRecordBytes: 1 << 20,
    });

    // Assess
    const packed = spansOf(pack.records);
    expect(packed.map((p) => p.span).sort(bySpanId)).toEqual(
      decodeTraceRequest(request.protobuf).sort(bySpanId),
    );
    for (const { span, record } of packed) {
      const owner = shardMap.shardOf(traceHashKeyOfHex(span.traceId)).shardId;
      expect(record.expectedShardId).toBe(owner);
      expect(shardMap.shardOf(BigInt(record.explicitHashKey)).shardId).toBe(owner);
    }
    expect(pack.records.length).toBeLessThanOrEqual(4);
    expect(pack.traceCount).toBe(new Set(packed.map((p) => p.span.traceId)).size);
  });

  it('keeps all records of a trace on one lane and names the lane in the partition key', () => {
    const pack = packScannedRequest(scanTraceRequest(request.protobuf), {
      shardMap,
      lanes: 3,
      maxRecordBytes: 1 << 20,
    });
    for (const { span, record } of spansOf(pack.records)) {
      expect(record.partitionKey).toBe(`lane-${laneOf(traceHashKeyOfHex(span.traceId), 3)}`);
    }
  });

  it('splits a shard’s records to fit the record size limit, never losing a span', () => {
    // Act: a limit far below one request's compressed size
    const pack = packScannedRequest(scanTraceRequest(request.protobuf), {
      shardMap,
      lanes: 1,
      maxRecordBytes: 2048,
    });

    // Assess
    expect(pack.records.length).toBeGreaterThan(4);
    for (const record of pack.records) expect(record.data.length).toBeLessThanOrEqual(2048);
    expect(spansOf(pack.records)).toHaveLength(request.spanCount);
    expect(pack.oversizedSpans).toBe(0);
  });

  it('reports a span too large for any record instead of writing it', () => {
    // Prepare: one span with an incompressible 8 KiB attribute, against a 2 KiB record limit
    const [span] = decodeTraceRequest(request.protobuf);
    if (!span) throw new Error('no span');
    const noise = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)).toString('latin1');
    const big = { ...span, attributes: { ...span.attributes, blob: noise } };

    // Act
    const pack = packSpans([big, { ...span, spanId: '00000000000000aa' }], {
      shardMap,
      lanes: 1,
      maxRecordBytes: 2048,
    });

    // Assess
    expect(pack.oversizedSpans).toBe(1);
    expect(spansOf(pack.records).map((p) => p.span.spanId)).toEqual(['00000000000000aa']);
  });

  it('without a shard map gives each trace its own records, routed by its own hash', () => {
    const pack = packScannedRequest(scanTraceRequest(request.protobuf), {
      shardMap: undefined,
      lanes: 1,
      maxRecordBytes: 1 << 20,
    });
    const packed = spansOf(pack.records);
    expect(pack.records.length).toBe(pack.traceCount);
    for (const { span, record } of packed) {
      expect(record.explicitHashKey).toBe(traceHashKeyOfHex(span.traceId).toString());
      expect(record.expectedShardId).toBeUndefined();
    }
  });

  it('packs JSON-decoded spans the same way as protobuf', () => {
    const spans = decodeTraceRequest(request.protobuf);
    const fromJson = packSpans(spans, { shardMap, lanes: 1, maxRecordBytes: 1 << 20 });
    const fromProtobuf = packScannedRequest(scanTraceRequest(request.protobuf), {
      shardMap,
      lanes: 1,
      maxRecordBytes: 1 << 20,
    });
    const shardsOf = (r: typeof fromJson) =>
      r.records.map((x) => `${x.expectedShardId}:${x.spanCount}`).sort();
    expect(shardsOf(fromJson)).toEqual(shardsOf(fromProtobuf));
  });
});

function bySpanId(a: { spanId: string }, b: { spanId: string }): number {
  return a.spanId < b.spanId ? -1 : 1;
}
