/**
 * A browser exporter end to end: the real `@opentelemetry/exporter-trace-otlp-http` (its browser
 * build, fetch with CORS) bundled into a page served from another origin than the local pipeline,
 * run in headless Chromium with the browser key. The page of the allowed origin gets its preflight
 * answered and its trace is read back by id; the same page under another host name (another
 * origin) is refused by the browser and nothing reaches ingest.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchedTrace, fetchTrace } from '../../demo/trace-api.ts';
import { launchBrowser } from '../support/browser.ts';
import { e2eConfig, settle, startTestPipeline, type TestPipeline } from '../support/local-pipeline.ts';

const ROOT = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-browser-'));
const pageDir = mkdtempSync(join(tmpdir(), 'tracesift-browser-page-'));

/**
 * The page's script: a tracer provider exporting through the OTLP/HTTP exporter with the given
 * key, one span, a flush; it answers the trace id, every export result code the exporter gave and
 * whether the flush succeeded.
 */
const PAGE_SCRIPT = `
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

globalThis.exportSpan = async (url, apiKey, timeoutMillis) => {
  const exporter = new OTLPTraceExporter({ url, headers: { 'x-api-key': apiKey }, timeoutMillis });
  const results = [];
  const recording = {
    export: (spans, done) =>
      exporter.export(spans, (result) => {
        results.push(result.code);
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'web-shop' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: recording })],
  });
  const span = provider.getTracer('web-shop-page').startSpan('page load');
  span.setAttribute('page.origin', location.origin);
  span.end();
  // The batch processor's flush rejects when its export failed.
  const flushed = await provider.forceFlush().then(() => true, () => false);
  return { traceId: span.spanContext().traceId, results, flushed };
};
`;

interface PageOutcome {
  readonly traceId: string;
  /** ExportResultCode of each export: 0 success, 1 failed. */
  readonly results: readonly number[];
  readonly flushed: boolean;
}

let pages: Server;
let pagePort: number;
let local: TestPipeline;
let browser: Browser;

/** The page and its bundle, from the temp dir; another origin than the pipeline's. */
function startPageServer(): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><title>web shop</title><script src="/exporter.js"></script>'],
    '/exporter.js': ['text/javascript', readFileSync(join(pageDir, 'exporter.js'), 'utf8')],
  };
  const server = createServer((req, res) => {
    const file = files[req.url ?? '/'];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' });
    res.end(file?.[1] ?? 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    outfile: join(pageDir, 'exporter.js'),
    logLevel: 'error',
  });
  pages = await startPageServer();
  pagePort = (pages.address() as AddressInfo).port;
  local = await startTestPipeline(
    dataDir,
    e2eConfig({
      sampling: { baselineProbability: 1 },
      ingest: { cors: { allowedOrigins: [`http://127.0.0.1:${pagePort}`] } },
    }),
  );
  // With CORS on (launchBrowser leaves --disable-web-security out), which is what this test is about.
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await local?.pipeline.stop();
  await new Promise((resolve) => pages?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pageDir, { recursive: true, force: true });
});

/** Opens the page at `origin` and exports one span from it with the browser key. */
async function exportFrom(origin: string, timeoutMillis: number): Promise<PageOutcome> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    const { traces, browserApiKey } = local.pipeline.endpoints;
    return await page.evaluate(
      (url, key, timeout) =>
        (
          globalThis as unknown as {
            exportSpan: (url: string, key: string, timeout: number) => Promise<PageOutcome>;
          }
        ).exportSpan(url, key, timeout),
      traces,
      browserApiKey ?? '',
      timeoutMillis,
    );
  } finally {
    await page.close();
  }
}

/** The kept trace, once the sampler has decided it (waiting up to a minute: the caller asserts). */
async function keptTrace(traceId: string): Promise<FetchedTrace | undefined> {
  let trace: FetchedTrace | undefined;
  await settle(async () => {
    trace = await fetchTrace(local.endpoints, traceId);
    return trace !== undefined;
  }, 60_000);
  return trace;
}

describe('a page of an allowed origin', () => {
  let outcome: PageOutcome;
  let trace: FetchedTrace | undefined;

  beforeAll(async () => {
    outcome = await exportFrom(`http://127.0.0.1:${pagePort}`, 10_000);
    trace = await keptTrace(outcome.traceId);
  }, 90_000);

  it('exports with success, and its trace is kept', () => {
    expect(outcome.results).toEqual([0]);
    expect(outcome.flushed).toBe(true);
    expect(trace?.spans.map((span) => span.name)).toEqual(['page load']);
    expect(trace?.spans[0]?.resource.serviceName).toBe('web-shop');
    expect(trace?.spans[0]?.attributes['page.origin']).toBe(`http://127.0.0.1:${pagePort}`);
  });
});

describe('the same page under another host name (another origin)', () => {
  it('is refused by the browser, and nothing reaches ingest', async () => {
    // Prepare
    const before = local.status.snapshot().spansReceived;

    // Act
    const outcome = await exportFrom(`http://localhost:${pagePort}`, 2_000);

    // Assess
    expect(outcome.results).toEqual([1]);
    expect(outcome.flushed).toBe(false);
    expect(local.status.snapshot().spansReceived).toBe(before);
  }, 30_000);
});

describe('the browser key', () => {
  it('is in endpoints.json, and reads nothing', async () => {
    // Prepare
    const written = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as {
      browserApiKey?: string;
    };
    const key = local.pipeline.endpoints.browserApiKey ?? '';

    // Act
    const read = await fetch(`${local.endpoints.traceById}/${'ab'.repeat(16)}`, {
      headers: { 'x-api-key': key },
    });

    // Assess
    expect(written.browserApiKey).toBe(key);
    expect(key).not.toBe('');
    expect(read.status).toBe(403);
  });
});
