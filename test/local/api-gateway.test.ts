/**
 * No one gets in without the key, and nothing secret is logged: the whole local pipeline (the API
 * Gateway stand-in in front of the real ingest and query handlers), every log line of every part
 * captured at debug level.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/shared/config/load.ts';
import { jsonLogger } from '../../lambdas/shared/log.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
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
