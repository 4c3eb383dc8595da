/**
 * Real OpenTelemetry exporters -> the local API Gateway stand-in -> the ingest handler -> kinesalite,
 * read back shard by shard.
 */
import { type KinesisClient, ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../lambdas/ingest/app.ts';
import { TraceRateLimiter } from '../../../lambdas/ingest/trace-rate.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest, encodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { decodeRecord } from '../../../lambdas/shared/record/index.ts';
import { ShardDirectory, ShardMap, traceHashKeyOfHex } from '../../../lambdas/shared/routing/index.ts';
import { type ApiGatewayStandIn, startApiGateway } from '../../../local/api-gateway.ts';
import { ensureStream, type KinesisStandIn, startKinesisStandIn } from '../../../local/standins/kinesis.ts';
import { readAllRecords } from '../../support/kinesis-stream.ts';
import { protobufBody, sdkSpans } from '../../support/otel-sdk.ts';

const API_KEY = 'test-key-0123456789';

let stream: KinesisStandIn;
let client: KinesisClient;
let gateway: ApiGatewayStandIn;
let streamName: string;
let directory: ShardDirectory;
let streamCounter = 0;

async function freshStream(shards: number): Promise<void> {
  streamName = `traces-${++streamCounter}`;
  await ensureStream(client, streamName, shards);
  directory = new ShardDirectory(client, { streamName, ttlMs: 3_600_000 });
}

beforeAll(async () => {
  stream = await startKinesisStandIn();
  client = stream.client();
  const ingest = (event: Parameters<ReturnType<typeof createIngestHandler>>[0]) =>
    createIngestHandler({
      kinesis: client,
      streamName,
      config: parseConfig({}),
      shards: directory,
      metrics: new Metrics({ sink: () => {} }),
      logger: silentLogger,
      traceRate: new TraceRateLimiter(parseConfig({}).ingest.traceRate, () => 0),
    })(event, {} as Context);
  gateway = await startApiGateway({
    port: 0,
    logger: silentLogger,
    routes: [{ method: 'ANY', path: '/v1/traces', apiKeys: [API_KEY], handler: ingest }],
  });
});

afterAll(async () => {
  await gateway.close();
  await stream.close();
});

function exportWith(
  exporter: { export: OtlpProtoExporter['export'] },
  spans: ReadableSpan[],
): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code)));
}

async function spansByShard(): Promise<Array<{ shardId: string; traceId: string; spanId: string }>> {
  const records = await readAllRecords(client, streamName);
  return records.flatMap((r) =>
    decodeTraceRequest(decodeRecord(r.data).payload).map((s) => ({
      shardId: r.shardId,
      traceId: s.traceId,
      spanId: s.spanId,
    })),
  );
}

describe('ingest into a Kinesis stand-in with the real OpenTelemetry exporters', () => {
  const exporters: Array<[string, () => { export: OtlpProtoExporter['export'] }]> = [
    [
      'protobuf',
      () => new OtlpProtoExporter({ url: `${gateway.url}/v1/traces`, headers: { 'x-api-key': API_KEY } }),
    ],
    [
      'protobuf + gzip',
      () =>
        new OtlpProtoExporter({
          url: `${gateway.url}/v1/traces`,
          headers: { 'x-api-key': API_KEY },
          compression: 'gzip' as never,
        }),
    ],
    [
      'JSON',
      () => new OtlpHttpJsonExporter({ url: `${gateway.url}/v1/traces`, headers: { 'x-api-key': API_KEY } }),
    ],
    [
      'JSON + gzip',
      () =>
        new OtlpHttpJsonExporter({
          url: `${gateway.url}/v1/traces`,
          headers: { 'x-api-key': API_KEY },
          compression: 'gzip' as never,
        }),
    ],
  ];

  it.each(exporters)(
    'stores every span once, each trace on the shard owning its hash (%s)',
    async (_, make) => {
      // Prepare
      await freshStream(3);
      const spans = [
        ...(await sdkSpans(40, { children: 4 })),
        ...(await sdkSpans(10, { service: 'payments', error: true })),
      ];

      // Act
      const code = await exportWith(make(), spans);

      // Assess
      expect(code).toBe(ExportResultCode.SUCCESS);
      const stored = await spansByShard();
      expect(stored.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
      const map = await directory.openShards();
      const shardsPerTrace = new Map<string, Set<string>>();
      for (const s of stored) {
        expect(s.shardId).toBe(map.shardOf(traceHashKeyOfHex(s.traceId)).shardId);
        shardsPerTrace.set(s.traceId, (shardsPerTrace.get(s.traceId) ?? new Set()).add(s.shardId));
      }
      expect([...shardsPerTrace.values()].every((set) => set.size === 1)).toBe(true);
      expect(new Set(stored.map((s) => s.shardId)).size).toBe(3);
    },
  );

  it('refuses an exporter without the API key, and stores nothing', async () => {
    await freshStream(1);
    const exporter = new OtlpProtoExporter({
      url: `${gateway.url}/v1/traces`,
      headers: { 'x-api-key': 'wrong' },
    });
    expect(await exportWith(exporter, await sdkSpans(2))).toBe(ExportResultCode.FAILED);
    expect(await readAllRecords(client, streamName)).toHaveLength(0);
    expect(gateway.stats.unauthorized).toBeGreaterThan(0);
  });
});

describe('ingest across a shard split', () => {
  it('notices the split from PutRecords and routes the next request by the new shards', async () => {
    // Prepare: a 2-shard stream whose shard map ingest has cached
    await freshStream(2);
    const spans = decodeTraceRequest(protobufBody(await sdkSpans(30, { children: 2 })));
    const thirds = [0, 1, 2].map((i) => spans.filter((_, j) => j % 3 === i));
    const post = (part: typeof spans) =>
      fetch(`${gateway.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'x-api-key': API_KEY },
        body: encodeTraceRequest(part),
      });
    expect((await post(thirds[0] ?? [])).status).toBe(200);

    // Act: split shard 0 at its middle, then two more requests carrying more spans of the same traces
    const before = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    const parent = before[0];
    const middle =
      (BigInt(parent?.HashKeyRange?.StartingHashKey ?? '0') +
        BigInt(parent?.HashKeyRange?.EndingHashKey ?? '0')) /
      2n;
    await client.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: parent?.ShardId,
        NewStartingHashKey: String(middle),
      }),
    );
    await waitForShards(client, streamName, 4);
    expect((await post(thirds[1] ?? [])).status).toBe(200);
    expect((await post(thirds[2] ?? [])).status).toBe(200);

    // Assess: nothing lost or duplicated; the third request was routed by the refreshed map
    const records = await readAllRecords(client, streamName);
    const stored = records.flatMap((r) =>
      decodeTraceRequest(decodeRecord(r.data).payload).map((s) => ({ r, s })),
    );
    expect(stored.map(({ s }) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    const open = new ShardMap(
      (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards?.filter(
        (s) => !s.SequenceNumberRange?.EndingSequenceNumber,
      ).map((s) => ({
        shardId: s.ShardId as string,
        startingHashKey: BigInt(s.HashKeyRange?.StartingHashKey ?? '0'),
        endingHashKey: BigInt(s.HashKeyRange?.EndingHashKey ?? '0'),
      })) ?? [],
    );
    const third = new Set((thirds[2] ?? []).map((s) => s.spanId));
    for (const { r, s } of stored) {
      if (third.has(s.spanId)) expect(r.shardId).toBe(open.shardOf(traceHashKeyOfHex(s.traceId)).shardId);
    }
  });
});

async function waitForShards(kinesis: KinesisClient, name: string, count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    if (Shards.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('split did not complete');
}
