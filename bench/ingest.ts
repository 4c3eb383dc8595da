/**
 * Ingest stage: request body -> encoded Kinesis records (scan/decode, group by trace, route, pack,
 * compress), per core, for protobuf and JSON bodies; plus bytes per span and records per 1,000
 * spans on the wire, and the baselines measured on the same bodies in the same run.
 */
import { zstdCompressSync } from 'node:zlib';
import { packScannedRequest, packSpans, type Routing } from '../lambdas/ingest/records.ts';
import { decodeTraceRequest } from '../lambdas/shared/otlp/decode.ts';
import { decodeTraceRequestJson } from '../lambdas/shared/otlp/json.ts';
import { scanTraceRequest } from '../lambdas/shared/otlp/scan.ts';
import { MAX_HASH_KEY } from '../lambdas/shared/routing/hash-key.ts';
import { ShardMap } from '../lambdas/shared/routing/shard-map.ts';
import { type BenchResult, figure, rate, timeRuns } from './harness.ts';
import type { Workload } from './workload.ts';

/** Open shards splitting the hash key space evenly, as CreateStream does. */
export function evenShardMap(count: number): ShardMap {
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  return new ShardMap(
    Array.from({ length: count }, (_, i) => ({
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      startingHashKey: width * BigInt(i),
      endingHashKey: i === count - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n,
    })),
  );
}

const textDecoder = new TextDecoder();

export function benchIngest(workload: Workload, runs = 5): BenchResult[] {
  const spans = workload.spanCount;
  const routing = (shards: number): Routing => ({
    shardMap: evenShardMap(shards),
    lanes: 1,
    maxRecordBytes: 1024 * 1024 - 1024,
  });
  const results: BenchResult[] = [];
  const four = routing(4);

  results.push(
    rate(
      'ingest',
      'protobuf spans/s per core (body -> records, 4 shards)',
      spans,
      timeRuns(() => {
        for (const r of workload.requests) packScannedRequest(scanTraceRequest(r.protobuf), four);
      }, runs),
      { op: '>=', value: 250_000 },
    ),
  );
  results.push(
    rate(
      'ingest',
      'JSON spans/s per core (body -> records, 4 shards)',
      spans,
      timeRuns(
        () => {
          for (const r of workload.requests)
            packSpans(decodeTraceRequestJson(textDecoder.decode(r.json)), four);
        },
        Math.max(3, runs - 2),
      ),
    ),
  );
  // Baselines: what the same bodies cost to merely parse, and to merely compress.
  results.push(
    rate(
      'ingest',
      'baseline: JSON.parse only, spans/s',
      spans,
      timeRuns(() => {
        for (const r of workload.requests) JSON.parse(textDecoder.decode(r.json));
      }, runs),
    ),
  );
  results.push(
    rate(
      'ingest',
      'baseline: full protobuf decode to spans, spans/s',
      spans,
      timeRuns(() => {
        for (const r of workload.requests) decodeTraceRequest(r.protobuf);
      }, runs),
    ),
  );
  results.push(
    rate(
      'ingest',
      'baseline: zstd-3 of the protobuf bodies only, spans/s',
      spans,
      timeRuns(() => {
        for (const r of workload.requests) zstdCompressSync(r.protobuf);
      }, runs),
    ),
  );

  for (const shards of [1, 4, 16]) {
    let bytes = 0;
    let records = 0;
    for (const r of workload.requests) {
      const pack = packScannedRequest(scanTraceRequest(r.protobuf), routing(shards));
      records += pack.records.length;
      for (const record of pack.records) bytes += record.data.length + record.partitionKey.length;
    }
    results.push(
      figure(
        'ingest',
        `Kinesis bytes per span (${shards} shard${shards > 1 ? 's' : ''})`,
        bytes / spans,
        'B',
        {
          op: '<=',
          value: 60,
        },
      ),
    );
    results.push(
      figure('ingest', `records per 1,000 spans (${shards} shards)`, (records / spans) * 1000, ''),
    );
  }
  const bodyBytes = workload.requests.reduce((sum, r) => sum + r.protobuf.length, 0);
  results.push(figure('ingest', 'OTLP protobuf request bytes per span (input)', bodyBytes / spans, 'B'));
  return results;
}
