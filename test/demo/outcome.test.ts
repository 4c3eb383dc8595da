/** Ground truth beside decisions: the comparison, the report, and the wait for decisions. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoEndpoints } from '../../demo/endpoints.ts';
import { collectDecisions, compareOutcome, formatOutcome } from '../../demo/outcome.ts';
import { AcceptedSpans } from '../../demo/telemetry.ts';
import type { FetchedSummary } from '../../demo/trace-api.ts';
import type { SentRequest } from '../../demo/workload.ts';
import { decodeTraceRequest, encodeTracesDataJson } from '../../lambdas/shared/otlp/index.ts';
import { protobufBody, sdkSpans } from '../support/otel-sdk.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');

/** A ReadableSpan stand-in with the fields AcceptedSpans reads. */
function fakeSpan(traceId: string, spanId: string, error = false, kind = 1): ReadableSpan {
  return {
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    status: { code: error ? 2 : 0 },
    kind,
  } as unknown as ReadableSpan;
}

function summary(policy: string, spanCount: number, probability = 1): FetchedSummary {
  return {
    rootService: 'frontend',
    rootName: 'POST /checkout',
    durationNano: '1',
    spanCount,
    errorCount: 0,
    services: ['frontend'],
    sampling: { policy, probability, adjustedCount: 1 / probability, reason: policy },
  };
}

const sent = (traceId: string, fault: SentRequest['fault'], status = 200): SentRequest => ({
  traceId,
  tenant: 'acme',
  fault,
  status,
  durationMs: 1,
});

describe('compareOutcome', () => {
  it('sorts accepted traces into error, slow and normal and counts what was kept by policy', () => {
    // Prepare: 1 error trace (kept), 1 slow (kept by latency, with the async hop), 3 normal
    // (one kept by the baseline but missing a span), and one export the endpoint refused
    const accepted = new AcceptedSpans();
    const ok = { code: ExportResultCode.SUCCESS };
    accepted.record([fakeSpan(id(1), 'a'), fakeSpan(id(1), 'b', true)], ok);
    accepted.record([fakeSpan(id(2), 'c'), fakeSpan(id(2), 'd', false, 4)], ok);
    accepted.record(
      [fakeSpan(id(3), 'e'), fakeSpan(id(3), 'f'), fakeSpan(id(4), 'g'), fakeSpan(id(5), 'h')],
      ok,
    );
    accepted.record([fakeSpan(id(6), 'i')], { code: ExportResultCode.FAILED });
    const kept = new Map([
      [id(1), summary('errors', 2)],
      [id(2), summary('latency', 2)],
      [id(3), summary('baseline', 1, 0.25)],
    ]);
    const requests = [
      sent(id(1), 'error', 500),
      sent(id(2), 'slow'),
      sent(id(3), 'none'),
      sent(id(4), 'none'),
      sent(id(5), 'none'),
    ];

    // Act
    const outcome = compareOutcome(requests, accepted, kept);

    // Assess
    expect(outcome.categories).toEqual([
      { category: 'error', traces: 1, spans: 2, kept: 1, byPolicy: new Map([['errors', 1]]) },
      { category: 'slow', traces: 1, spans: 2, kept: 1, byPolicy: new Map([['latency', 1]]) },
      { category: 'normal', traces: 3, spans: 4, kept: 1, byPolicy: new Map([['baseline', 1]]) },
    ]);
    expect(outcome).toMatchObject({
      requests: 5,
      failedRequests: 1,
      spansAccepted: 8,
      spansRefused: 1,
      errorTracesMissing: [],
      incomplete: [id(3)],
      keptWithAsyncHop: 1,
      baselineProbability: 0.25,
      baselineKept: 1,
      keptTotal: 3,
      exampleErrorTrace: id(1),
    });
    const report = formatOutcome(outcome, 1500);
    expect(report).toContain('every error trace kept: yes (1)');
    expect(report).toContain(`kept traces complete: 2 of 3 (first incomplete ${id(3)})`);
    expect(report).toContain('kept 1 normal traces at p=0.25, expected about 0.8');
    expect(report).toContain(`npm run trace -- ${id(1)}`);
  });

  it('names an error trace the pipeline lost', () => {
    const accepted = new AcceptedSpans();
    accepted.record([fakeSpan(id(9), 'a', true)], { code: ExportResultCode.SUCCESS });
    const outcome = compareOutcome([sent(id(9), 'error', 500)], accepted, new Map());
    expect(outcome.errorTracesMissing).toEqual([id(9)]);
    expect(formatOutcome(outcome, 1500)).toContain(`every error trace kept: NO, 1 missing (first ${id(9)})`);
  });
});

describe('collectDecisions', () => {
  /** Which pass (1-based) a trace first shows up on, and with how many spans from then on. */
  const appears = new Map<string, { pass: number; spans: number; grownAt?: number }>();
  let server: Server;
  let endpoints: DemoEndpoints;
  let pass = 0;

  beforeAll(async () => {
    const spans = decodeTraceRequest(protobufBody(await sdkSpans(1, { children: 1 })));
    server = createServer((req, res) => {
      const traceId = req.url?.split('/').at(-1) ?? '';
      const plan = appears.get(traceId);
      if (!plan || pass < plan.pass) {
        res.writeHead(404).end('{"message":"not found"}');
        return;
      }
      const count = plan.grownAt !== undefined && pass >= plan.grownAt ? plan.spans + 1 : plan.spans;
      res
        .writeHead(200)
        .end(JSON.stringify({ ...encodeTracesDataJson(spans), summary: summary('errors', count) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    endpoints = {
      traces: url,
      traceById: url,
      apiKey: 'k',
      queryApiKey: 'r',
      sampler: { sendDelaySeconds: 2, batchingWindowSeconds: 1, traceTimeoutSeconds: 10 },
    };
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('waits send delay + 2 windows, then re-checks only error and growing traces until the timeout', async () => {
    // Prepare: an error trace decided late (pass 3), a kept trace that gains its late span on
    // pass 2, a dropped normal trace, and an error trace that never shows up
    const accepted = new AcceptedSpans();
    const ok = { code: ExportResultCode.SUCCESS };
    accepted.record([fakeSpan(id(1), 'a', true)], ok);
    accepted.record([fakeSpan(id(2), 'b'), fakeSpan(id(2), 'c')], ok);
    accepted.record([fakeSpan(id(3), 'd')], ok);
    accepted.record([fakeSpan(id(4), 'e', true)], ok);
    accepted.lastExportAt = 1_000_000;
    appears.set(id(1), { pass: 3, spans: 1 });
    appears.set(id(2), { pass: 1, spans: 1, grownAt: 2 });
    let clock = 1_000_000;
    const sleeps: number[] = [];

    // Act
    const kept = await collectDecisions(endpoints, accepted, {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      onPass: (n) => {
        pass = n;
      },
    });

    // Assess: first look after 2 s + 2 x 1 s + 2 s margin; then 1 s steps up to
    // timeout 10 s + 3 windows + margin = 15 s after the last export
    expect(sleeps[0]).toBe(6_000);
    expect(sleeps.slice(1).every((ms) => ms <= 1_000)).toBe(true);
    expect(clock).toBe(1_000_000 + 15_000);
    expect([...kept.keys()].sort()).toEqual([id(1), id(2)]);
    expect(kept.get(id(2))?.spanCount).toBe(2);
  });
});
