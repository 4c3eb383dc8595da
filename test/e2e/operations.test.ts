/**
 * What an operator runs against a pipeline, end to end on the local one with a baseline of 0.1%.
 *
 * The canary sends its trace through the OTLP endpoint and reads it back by id.
 *
 * Replay: the local pipeline's mapping stand-in writes a poison
 * batch to its on-failure destination in Lambda's format; a backlog batch of good records lands
 * there too (as records older than MaximumRecordAgeInSeconds would). The replay, with the deps the
 * `npm run replay -- --local` command builds, puts the good records back: their trace becomes
 * readable by id, complete; the poison stays out; a second replay changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrace } from '../../demo/trace-api.ts';
import { CANARY_SERVICE } from '../../lambdas/canary/canary.ts';
import { createCanaryFunction } from '../../lambdas/canary/wiring.ts';
import { kinesisClient } from '../../lambdas/shared/aws/clients.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { parseEmfLine } from '../../lambdas/shared/metrics/index.ts';
import { StatusCode } from '../../lambdas/shared/span/model.ts';
import { BUCKET_NAME, FAILED_BATCHES_PREFIX, STREAM_NAME } from '../../local/pipeline.ts';
import { LOCAL_REGION } from '../../local/standins/kinesis.ts';
import { invocationRecordOf, LAMBDA_DESTINATION_PREFIX } from '../../replay/invocation-record.ts';
import { replayFailedBatches } from '../../replay/replay.ts';
import { replayDepsOf } from '../../replay/targets.ts';
import {
  e2eConfig,
  pipelineS3,
  settle,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';
import { ingestRecords, kinesisEventOf, streamRecordOf, traceIds, traceOf } from '../support/sampler.ts';
import { bucketObjects } from '../support/storage.ts';
import { wallClockMs } from '../support/wall-clock.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-replay-e2e-'));
const DESTINATION = `${FAILED_BATCHES_PREFIX}${LAMBDA_DESTINATION_PREFIX}`;
const [TRACE] = traceIds(1, 61) as [string];
let local: TestPipeline;

beforeAll(async () => {
  local = await startTestPipeline(dataDir, e2eConfig({ sampling: { baselineProbability: 0.001 } }));
}, 60_000);

afterAll(async () => {
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the synthetic canary against the local pipeline', () => {
  it('finds its trace readable by id, kept at a baseline of 0.1%', async () => {
    // Act: the canary's own wiring, with the local pipeline's endpoints and keys
    const emf: string[] = [];
    const canary = createCanaryFunction(
      {
        ingest: { endpoint: local.pipeline.endpoints.otlpHttp, apiKey: async () => local.endpoints.apiKey },
        query: {
          endpoint: local.pipeline.endpoints.otlpHttp,
          apiKey: async () => local.endpoints.queryApiKey,
        },
        readDeadlineMs: 60_000,
        pollIntervalMs: 250,
      },
      {
        fetch,
        now: wallClockMs,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        randomBytes: (n) => new Uint8Array(randomBytes(n)),
      },
      { logger: silentLogger, metricSink: (line) => emf.push(line) },
    );
    const outcome = await canary({}, {} as Context);

    // Assess
    expect(outcome.readLatencyMs).toBeGreaterThan(0);
    expect(
      emf.map(parseEmfLine).some((line) => line?.CanaryTracesFound === 1 && line.Function === 'canary'),
    ).toBe(true);
    const trace = await fetchTrace(local.endpoints, outcome.traceId);
    expect(trace?.summary.sampling.policy).toBe('baseline');
    expect(trace?.spans.map((s) => s.resource.serviceName)).toEqual([CANARY_SERVICE, CANARY_SERVICE]);
  });
});

describe('npm run replay against the local pipeline', () => {
  it('puts a failed backlog back so its trace is kept; leaves the poison out; once', async () => {
    // Prepare: a poison record in the stream, which the mapping stand-in gives up on
    const s3 = pipelineS3(local.pipeline);
    const kinesis = kinesisClient({
      endpoint: local.pipeline.endpoints.kinesis,
      region: LOCAL_REGION,
      credentials: local.pipeline.endpoints.credentials,
    });
    await kinesis.send(
      new PutRecordCommand({
        StreamName: STREAM_NAME,
        Data: Uint8Array.of(9, 9, 9, 9, 9),
        PartitionKey: 'lane-0',
      }),
    );
    await settle(async () => (await bucketObjects(s3, BUCKET_NAME, DESTINATION)).size > 0, 30_000);
    // ... and a batch of a whole trace's records, as the mapping writes a backlog it aged out
    const now = wallClockMs();
    const base = BigInt(now - 60_000) * 1_000_000n - (traceOf(TRACE)[0]?.startTimeUnixNano ?? 0n);
    // An error trace, so the errors policy keeps it at this baseline
    const spans = traceOf(TRACE, { root: { status: StatusCode.ERROR } }).map((span) => ({
      ...span,
      startTimeUnixNano: span.startTimeUnixNano + base,
      endTimeUnixNano: span.endTimeUnixNano + base,
    }));
    const records = ingestRecords(spans).map((r, i) =>
      streamRecordOf(r.data, i + 1, now - 60_000, r.partitionKey),
    );
    const backlog = invocationRecordOf({
      condition: 'RecordAgeExceeded',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sampler',
      attempts: 1,
      error: 'Unhandled',
      timestamp: new Date(now).toISOString(),
      event: kinesisEventOf('shardId-000000000000', records),
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET_NAME,
        Key: `${DESTINATION}aged/shardId-000000000000/backlog`,
        Body: JSON.stringify(backlog),
      }),
    );
    const deps = replayDepsOf({ kind: 'local', dataDir }, wallClockMs);

    // Act
    const report = await replayFailedBatches(deps, { dryRun: false });
    let trace = await fetchTrace(local.endpoints, TRACE);
    await settle(async () => {
      trace = await fetchTrace(local.endpoints, TRACE);
      return trace !== undefined;
    }, 60_000);
    const again = await replayFailedBatches(deps, { dryRun: false });

    // Assess
    expect(report.failed).toEqual([]);
    const poisonBatch = report.replayed.find((b) => b.poison.length > 0);
    expect(poisonBatch?.recordsPut).toBe(0);
    expect(report.replayed.find((b) => b.condition === 'RecordAgeExceeded')?.spansPut).toBe(spans.length);
    expect(trace?.spans.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(again.replayed).toEqual([]);
    expect(again.alreadyReplayed).toBe(2);
  });
});
