/**
 * No one gets in without the key, and nothing secret is logged: the whole local pipeline (the API
 * Gateway stand-in in front of the real ingest and query handlers), every log line of every part
 * captured at debug level.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, kinesisClient, s3Client } from '../../lambdas/shared/aws/clients.ts';
import { parseConfig } from '../../lambdas/shared/config/load.ts';
import { jsonLogger } from '../../lambdas/shared/log.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { LOCAL_REGION } from '../../local/standins/kinesis.ts';
import { S3RVER_CREDENTIALS } from '../../local/standins/s3.ts';
import { protobufBody, sdkSpans } from '../support/otel-sdk.ts';

const API_KEY = 'tsk-local-4f1d9a7c2e5b8d3a6f0c1e9b';
/** Same length as the key, one character different: a timing-safe compare must still refuse it. */
const NEAR_KEY = `${API_KEY.slice(0, -1)}c`;
const OTHER_KEY = 'tsk-guess-0000000000000000';
/** Planted in span names and attributes: must reach the stream, never a log line. */
const PAYLOAD_MARKER = 'payload-marker-7d3e';

let dataDir: string;
let pipeline: LocalPipeline;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tracesift-auth-'));
  pipeline = await startLocalPipeline({
    dataDir,
    fresh: true,
    port: 0,
    apiKey: API_KEY,
    config: parseConfig({}),
    shardCount: 1,
    logger: jsonLogger('local', 'debug', (line) => logs.push(line)),
    metricSink: () => {},
  });
});

afterAll(async () => {
  await pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const spans = await sdkSpans(2, { service: PAYLOAD_MARKER });
const body = protobufBody(spans);
const traceId = spans[0]?.spanContext().traceId as string;

function ingest(key: string | undefined, payload: Uint8Array = body): Promise<Response> {
  return fetch(pipeline.endpoints.traces, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(key === undefined ? {} : { 'x-api-key': key }) },
    body: payload,
  });
}

function query(key: string | undefined): Promise<Response> {
  return fetch(`${pipeline.endpoints.traceById}/${traceId}`, {
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
}

describe('API keys on the local endpoints', () => {
  it.each([
    ['no key', undefined],
    ['an empty key', ''],
    ['a wrong key', OTHER_KEY],
    ['a key one character off', NEAR_KEY],
    ['the key with a suffix', `${API_KEY}x`],
  ])('refuses ingest and query with %s (403), writing nothing', async (_, key) => {
    // Prepare
    const before = pipeline.poller.stats.recordsDelivered;

    // Act
    const responses = await Promise.all([ingest(key), query(key)]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([403, 403]);
    expect(await Promise.all(responses.map((r) => r.json()))).toEqual([
      { message: 'Forbidden' },
      { message: 'Forbidden' },
    ]);
    expect(pipeline.poller.stats.recordsDelivered).toBe(before);
  });

  it('accepts ingest and query with the key', async () => {
    const accepted = await ingest(API_KEY);
    expect(accepted.status).toBe(200);
    const looked = await query(API_KEY);
    // Not sampled yet (or not kept): the query answers, it does not refuse.
    expect([200, 404]).toContain(looked.status);
  });

  it('answers HEAD on a trace as the function does, not with the 403 of an undefined method', async () => {
    // Act: an id never sent, with the key and without
    const url = `${pipeline.endpoints.traceById}/${'ab'.repeat(16)}`;
    const withKey = await fetch(url, { method: 'HEAD', headers: { 'x-api-key': API_KEY } });
    const withoutKey = await fetch(url, { method: 'HEAD' });

    // Assess
    expect([withKey.status, withoutKey.status]).toEqual([404, 403]);
    expect(await withKey.text()).toBe('');
  });
});

describe('logs', () => {
  it('never hold a presented key, right or wrong, nor payload content', async () => {
    // Prepare: refusals, an accepted request, a malformed body carrying the marker
    await ingest(OTHER_KEY);
    await ingest(NEAR_KEY);
    await ingest(API_KEY);
    await ingest(API_KEY, Buffer.from(`\u0012${PAYLOAD_MARKER}`));
    await fetch(pipeline.endpoints.traces, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"${PAYLOAD_MARKER}","traceId":7}]}]}]}`,
    });

    // Assess: the refusals were logged (so the check sees real log lines), without the keys
    const refusals = logs.filter((line) => line.includes('request without a valid API key'));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(logs.some((line) => line.includes('"keyPresent":false'))).toBe(true);
    for (const secret of [API_KEY, NEAR_KEY, OTHER_KEY, API_KEY.slice(4, 20), PAYLOAD_MARKER]) {
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe('a malformed path', () => {
  it.each([
    ['a truncated escape', '/v1/traces/%E0%A4%A'],
    ['an invalid UTF-8 sequence', '/v1/traces/%E0%A4'],
    ['a lone percent sign', '/v1/traces/ab%zz'],
  ])('with %s is answered 400 before anything is logged, with or without the key', async (_, path) => {
    // Prepare
    const logged = logs.length;
    const url = `${pipeline.endpoints.otlpHttp}${path}`;

    // Act
    const responses = await Promise.all([
      fetch(url, { headers: { 'x-api-key': API_KEY } }),
      fetch(url, { headers: { 'x-api-key': OTHER_KEY } }),
    ]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([400, 400]);
    expect(await responses[0]?.json()).toEqual({ message: 'Malformed path: invalid percent-encoding' });
    expect(logs.slice(logged)).toEqual([]);
  });
});

describe('the stand-ins behind the API', () => {
  const credentials = () => pipeline.endpoints.credentials;
  const wrong = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('refuse a client with any other credential, as AWS refuses an unknown key', async () => {
    // Prepare
    const { endpoints } = pipeline;
    const region = LOCAL_REGION;
    const clients = (given: { accessKeyId: string; secretAccessKey: string }) => ({
      kinesis: kinesisClient({ endpoint: endpoints.kinesis, region, credentials: given, maxAttempts: 1 }),
      dynamodb: dynamoDbClient({ endpoint: endpoints.dynamodb, region, credentials: given, maxAttempts: 1 }),
      s3: s3Client({
        endpoint: endpoints.s3,
        region,
        credentials: given,
        forcePathStyle: true,
        maxAttempts: 1,
      }),
    });
    const near = { ...credentials(), accessKeyId: `${credentials().accessKeyId.slice(0, -1)}X` };

    for (const given of [wrong, S3RVER_CREDENTIALS, near]) {
      // Act
      const bad = clients(given);
      const outcomes = await Promise.allSettled([
        bad.kinesis.send(new ListShardsCommand({ StreamName: endpoints.streamName })),
        bad.dynamodb.send(new QueryCommand(traceQuery(endpoints.tableName))),
        bad.s3.send(new ListObjectsV2Command({ Bucket: endpoints.bucketName })),
      ]);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.name)).toEqual([
        'UnrecognizedClientException',
        'UnrecognizedClientException',
        'InvalidAccessKeyId',
      ]);
    }
  });

  it('serve the clients signed with their generated credential', async () => {
    // Prepare
    const { endpoints } = pipeline;
    const region = LOCAL_REGION;
    const given = credentials();

    // Act
    const [shards, items, objects] = await Promise.all([
      kinesisClient({ endpoint: endpoints.kinesis, region, credentials: given }).send(
        new ListShardsCommand({ StreamName: endpoints.streamName }),
      ),
      dynamoDbClient({ endpoint: endpoints.dynamodb, region, credentials: given }).send(
        new QueryCommand(traceQuery(endpoints.tableName)),
      ),
      s3Client({ endpoint: endpoints.s3, region, credentials: given, forcePathStyle: true }).send(
        new ListObjectsV2Command({ Bucket: endpoints.bucketName, MaxKeys: 1 }),
      ),
    ]);

    // Assess
    expect(shards.Shards).toHaveLength(1);
    expect(items.Items).toEqual([]);
    expect(objects.$metadata.httpStatusCode).toBe(200);
    expect(given.accessKeyId).toMatch(/^TSLOCAL[0-9A-F]{32}$/);
  });

  it('refuse unsigned requests', async () => {
    // Act
    const responses = await Promise.all([
      fetch(pipeline.endpoints.kinesis, {
        method: 'POST',
        headers: {
          'x-amz-target': 'Kinesis_20131202.ListStreams',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: '{}',
      }),
      fetch(pipeline.endpoints.dynamodb, {
        method: 'POST',
        headers: {
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          'content-type': 'application/x-amz-json-1.0',
        },
        body: '{}',
      }),
      fetch(`${pipeline.endpoints.s3}/${pipeline.endpoints.bucketName}`),
    ]);

    // Assess
    expect(responses.map((r) => r.status)).toEqual([400, 400, 403]);
  });
});

describe('the data directory', () => {
  it('keeps endpoints.json (API key, credential) and the data folders to their owner', () => {
    // Act
    const modeOf = (name: string) => statSync(join(dataDir, name)).mode & 0o777;

    // Assess
    expect(modeOf('endpoints.json')).toBe(0o600);
    for (const folder of ['kinesis', 'dynamodb', 's3', 'state'])
      expect([folder, modeOf(folder)]).toEqual([folder, 0o700]);
    expect(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')).toContain(
      pipeline.endpoints.credentials.accessKeyId,
    );
  });
});

/** A query that finds nothing in an empty table: a read that needs the credential. */
function traceQuery(tableName: string) {
  return {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'trace_id' },
    ExpressionAttributeValues: { ':pk': { S: 'none' } },
  };
}
