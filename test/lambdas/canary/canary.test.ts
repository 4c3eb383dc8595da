/** The synthetic canary over a scripted endpoint: what it sends, how it reads back, what it counts. */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCanaryHandler } from '../../../lambdas/canary/app.ts';
import { CANARY_SERVICE, type CanaryDeps, canaryTrace, runCanary } from '../../../lambdas/canary/canary.ts';
import { CanaryRejectedError } from '../../../lambdas/canary/errors.ts';
import { passes, randomnessOfTraceId, thresholdOfProbability } from '../../../lambdas/sampler/probability.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../../lambdas/shared/metrics/index.ts';
import { decodeTraceRequest, encodeTracesDataJson } from '../../../lambdas/shared/otlp/index.ts';
import { bytesOfHex } from '../../../lambdas/shared/span/ids.ts';
import { StatusCode } from '../../../lambdas/shared/span/model.ts';

const T0 = 1_795_521_600_000;
const ENDPOINT = 'https://api.example/prod/';
/** The query API: another REST API, with no trailing slash (both forms are stage URLs). */
const QUERY_ENDPOINT = 'https://query.example/prod';

interface Script {
  /** Status of the export. */
  readonly exportStatus?: number;
  /** Reads answered 404 before the trace is there; never there when undefined. */
  readonly readsBeforeFound?: number;
}

function rig(script: Script) {
  let clock = T0;
  let reads = 0;
  const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
  let exported: Uint8Array | undefined;
  const emf: Array<Record<string, unknown>> = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    requests.push({ url, init });
    clock += 100;
    if (init?.method === 'POST') {
      exported = new Uint8Array(gunzipSync(init.body as Uint8Array));
      return new Response('', { status: script.exportStatus ?? 200 });
    }
    reads++;
    if (script.readsBeforeFound === undefined || reads <= script.readsBeforeFound)
      return new Response('{"message":"not found"}', { status: 404 });
    const spans = decodeTraceRequest(exported as Uint8Array);
    return new Response(JSON.stringify(encodeTracesDataJson(spans)), { status: 200 });
  }) as typeof fetch;
  let bytes = 0;
  const deps: CanaryDeps = {
    ingest: { endpoint: ENDPOINT, apiKey: async () => 'canary-key' },
    query: { endpoint: QUERY_ENDPOINT, apiKey: async () => 'canary-read-key' },
    fetch: fakeFetch,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    randomBytes: (n) => Uint8Array.from({ length: n }, () => ++bytes % 256),
    metrics: new Metrics({
      dimensions: { Function: 'canary' },
      sink: (line) => emf.push(parseEmfLine(line) ?? {}),
    }),
    logger: silentLogger,
    readDeadlineMs: 10_000,
    pollIntervalMs: 1_000,
  };
  const metric = (name: string) =>
    emf.reduce((n, line) => n + (typeof line[name] === 'number' ? (line[name] as number) : 0), 0);
  return { deps, requests, metric, exported: () => exported };
}

describe('the canary', () => {
  it('exports its trace as an exporter does, then reads it back and counts the latency', async () => {
    // Prepare
    const { deps, requests, metric, exported } = rig({ readsBeforeFound: 2 });

    // Act
    const outcome = await createCanaryHandler(deps)({}, {} as never);

    // Assess: one gzip protobuf export with the ingest key, reads through the query API with the
    // read key until complete (100 ms a request, 1 s apart)
    const [post, ...reads] = requests;
    expect(post?.url).toBe(`${ENDPOINT}v1/traces`);
    expect(post?.init?.headers).toMatchObject({ 'content-encoding': 'gzip', 'x-api-key': 'canary-key' });
    expect(reads.map((r) => r.url)).toEqual(Array(3).fill(`${QUERY_ENDPOINT}/v1/traces/${outcome.traceId}`));
    expect(reads.map((r) => r.init?.headers)).toEqual(
      Array(3).fill(expect.objectContaining({ 'x-api-key': 'canary-read-key' })),
    );
    expect(decodeTraceRequest(exported() as Uint8Array).map((s) => s.traceId)).toEqual([
      outcome.traceId,
      outcome.traceId,
    ]);
    expect(outcome.readLatencyMs).toBe(3 * 100 + 2 * 1_000);
    expect([metric('CanaryTracesSent'), metric('CanaryTracesFound'), metric('CanaryTracesLost')]).toEqual([
      1, 1, 0,
    ]);
    expect(metric('CanaryReadLatency')).toBe(outcome.readLatencyMs);
  });

  it('counts the trace lost when it is not readable by the deadline', async () => {
    // Prepare
    const { deps, metric } = rig({});

    // Act
    const outcome = await runCanary(deps);
    deps.metrics.flush();

    // Assess
    expect(outcome.readLatencyMs).toBeUndefined();
    expect([metric('CanaryTracesSent'), metric('CanaryTracesFound'), metric('CanaryTracesLost')]).toEqual([
      1, 0, 1,
    ]);
  });

  it('fails, counting nothing sent, when the endpoint refuses the export; metrics still flushed', async () => {
    // Prepare
    const { deps, metric, requests } = rig({ exportStatus: 403 });

    // Act
    const failure = await createCanaryHandler(deps)({}, {} as never).catch((error: Error) => error);

    // Assess
    expect(failure).toBeInstanceOf(CanaryRejectedError);
    expect((failure as CanaryRejectedError).status).toBe(403);
    expect(requests).toHaveLength(1);
    expect(metric('CanaryTracesSent')).toBe(0);
  });

  it.each([1, 0.05, 1e-6, 2 ** -50])(
    'sends a trace any baseline probability keeps (p = %d), never an error',
    (p) => {
      // Act
      const spans = canaryTrace(T0, (n) => new Uint8Array(n));

      // Assess
      const threshold = thresholdOfProbability(p);
      const randomness = randomnessOfTraceId(bytesOfHex(spans[0]?.traceId as string) as Uint8Array, 0);
      expect(threshold && passes(randomness, threshold)).toBe(true);
      expect(spans.map((s) => s.resource.serviceName)).toEqual([CANARY_SERVICE, CANARY_SERVICE]);
      expect(spans.every((s) => s.status.code !== StatusCode.ERROR)).toBe(true);
      expect(spans.every((s) => !/^0+$/.test(s.spanId))).toBe(true);
      expect(spans[1]?.parentSpanId).toBe(spans[0]?.spanId);
    },
  );
});
