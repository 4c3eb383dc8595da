/**
 * Ingest stage: request body -> encoded Kinesis records (scan/decode, group by trace, route, pack,
 * compress), per core, for protobuf, OTLP JSON and Zipkin v2 JSON bodies (the same traces as an
 * OpenTelemetry Zipkin exporter writes them); plus bytes per span and records per 1,000 spans on
 * the wire, and the baselines measured on the same bodies in the same run.
 */
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { packExportRequest } from '../lambdas/ingest/ingest.ts';
import { packScannedRequest, type Routing } from '../lambdas/ingest/records.ts';
import type { BodyFormat } from '../lambdas/ingest/request.ts';
import { TraceRateLimiter } from '../lambdas/ingest/trace-rate.ts';
import { parseConfig, type TracesiftConfig } from '../lambdas/shared/config/index.ts';
import { Metrics } from '../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest, scanTraceRequest } from '../lambdas/shared/otlp/index.ts';
import { evenShardMap } from '../workload/shards.ts';
import type { Workload } from '../workload/workload.ts';
import { zipkinBodyOf } from '../workload/zipkin.ts';
import { walkSpans } from './baselines.ts';
import { type BenchResult, figure, pairedRatio, rate, timeInterleaved } from './harness.ts';

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

  const metrics = new Metrics({ sink: () => {} });
  const zipkin = workload.requests.map((r) => zipkinBodyOf(decodeTraceRequest(r.protobuf)));
  const bodiesOf: Record<BodyFormat, readonly Uint8Array[]> = {
    protobuf: workload.requests.map((r) => r.protobuf),
    json: workload.requests.map((r) => r.json),
    zipkin,
  };
  const pack = (format: BodyFormat, config: TracesiftConfig) => () => {
    // The rate metered as in production, with a burst no replay of the workload exhausts (the runs
    // send the same traces over and over, which a real limit would rightly refuse).
    const traceRate = new TraceRateLimiter(
      { ...config.ingest.traceRate, burstBytes: Number.MAX_SAFE_INTEGER },
      () => 0,
    );
    for (const body of bodiesOf[format]) {
      packExportRequest({ format, body, wireBytes: body.length }, four, { config, metrics, traceRate });
    }
  };
  const defaults = parseConfig({});
  // Redaction by key costs a string decode per attribute key; by value, a full rewrite of every span.
  const byKey = parseConfig({ redaction: { keys: [{ key: 'authorization|password' }] } });
  const byValue = parseConfig({
    redaction: { values: [{ name: 'email', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+' }] },
  });
  // Stages and their floors (the same bodies merely walked, decoded, parsed or compressed) timed
  // round-robin, so each ratio compares runs that saw the same machine.
  const t = timeInterleaved(
    {
      protobuf: pack('protobuf', defaults),
      json: pack('json', defaults),
      zipkin: pack('zipkin', defaults),
      keyRedaction: pack('protobuf', byKey),
      valueRedaction: pack('protobuf', byValue),
      walk: () => {
        for (const r of workload.requests) walkSpans(r.protobuf);
      },
      decode: () => {
        for (const r of workload.requests) decodeTraceRequest(r.protobuf);
      },
      parse: () => {
        for (const r of workload.requests) JSON.parse(textDecoder.decode(r.json));
      },
      parseZipkin: () => {
        for (const body of zipkin) JSON.parse(textDecoder.decode(body));
      },
      zstd: () => {
        for (const r of workload.requests) zstdCompressSync(r.protobuf);
      },
      gzip: () => {
        for (const r of workload.requests) gzipSync(r.protobuf);
      },
    },
    runs,
  );
  const walkPlusZstd = t.walk.map((ms, i) => ms + (t.zstd[i] ?? Number.NaN));
  results.push(
    rate('ingest', 'protobuf spans/s per core (body -> records, 4 shards)', spans, t.protobuf, {
      op: '>=',
      value: 500_000, // issue 18 (250,000 before it)
    }),
    rate('ingest', 'JSON spans/s per core (body -> records, 4 shards)', spans, t.json),
    rate('ingest', 'Zipkin JSON spans/s per core (body -> records, 4 shards)', spans, t.zipkin),
    rate('ingest', 'protobuf spans/s with key redaction rules', spans, t.keyRedaction),
    rate('ingest', 'protobuf spans/s with value redaction rules (full rewrite)', spans, t.valueRedaction),
    rate('baseline', 'bare protobuf walk to every span (no decode), spans/s', spans, t.walk),
    rate('baseline', 'full protobuf decode to spans (project decoder), spans/s', spans, t.decode),
    rate('baseline', 'JSON.parse of the JSON bodies only, spans/s', spans, t.parse),
    rate('baseline', 'JSON.parse of the Zipkin bodies only, spans/s', spans, t.parseZipkin),
    rate('baseline', 'zstd (level 3) of the protobuf bodies, spans/s', spans, t.zstd),
    rate('baseline', 'gzip (level 6) of the protobuf bodies, spans/s', spans, t.gzip),
    // Ingest walks the body, compresses each shard's slice and frames records: its time over
    // walk + zstd is the overhead of everything else (grouping, routing, packing).
    pairedRatio('ratio', 'ingest protobuf time / bare walk time', t.protobuf, t.walk),
    pairedRatio('ratio', 'ingest protobuf time / (walk + zstd) time', t.protobuf, walkPlusZstd),
    pairedRatio('ratio', 'ingest protobuf time / full decode time', t.protobuf, t.decode),
    pairedRatio('ratio', 'ingest JSON time / JSON.parse time', t.json, t.parse),
    pairedRatio('ratio', 'ingest Zipkin JSON time / JSON.parse time', t.zipkin, t.parseZipkin),
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
  // Size floors: each request body compressed whole. Records pack one shard's traces of a request,
  // so with more shards each compresses a smaller slice and approaches nothing better than this.
  let bodyBytes = 0;
  const zipkinBytes = zipkin.reduce((sum, body) => sum + body.length, 0);
  let zstdBytes = 0;
  let gzipBytes = 0;
  for (const r of workload.requests) {
    bodyBytes += r.protobuf.length;
    zstdBytes += zstdCompressSync(r.protobuf).length;
    gzipBytes += gzipSync(r.protobuf).length;
  }
  results.push(
    figure('ingest', 'OTLP protobuf request bytes per span (input)', bodyBytes / spans, 'B'),
    figure('ingest', 'Zipkin JSON request bytes per span (input)', zipkinBytes / spans, 'B'),
    figure('baseline', 'zstd-3 of whole protobuf bodies, bytes per span', zstdBytes / spans, 'B'),
    figure('baseline', 'gzip-6 of whole protobuf bodies, bytes per span', gzipBytes / spans, 'B'),
  );
  const kinesis4 = results.find((r) => r.metric === 'Kinesis bytes per span (4 shards)');
  if (kinesis4)
    results.push(
      figure(
        'ratio',
        'Kinesis bytes (4 shards) / zstd of whole bodies',
        kinesis4.value / (zstdBytes / spans),
        'x',
      ),
    );
  return results;
}
