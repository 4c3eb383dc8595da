/**
 * The web UI in a real browser (headless Chromium, test/support/browser.ts) against the local
 * pipeline, the way a person meets it: the read key from the address `npm start` prints, a search
 * for a demo service, a trace opened from the list, its tree collapsed and expanded by mouse and by
 * keyboard, the critical path and span details, the service graph; a 10,000-span trace (its time to
 * the first painted waterfall is recorded, not asserted); the messages for an unknown trace, an API
 * error and a wrong key. Every answer the page shows is checked against the query API read
 * independently here. The search page and the trace view are written as PNGs
 * (TRACESIFT_SCREENSHOT_DIR, a temporary folder when unset; docs/images holds the committed ones).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run.ts';
import { memoryServiceLog } from '../../demo/service-log.ts';
import type { JaegerTrace } from '../../lambdas/query/jaeger/model.ts';
import { ROW_HEIGHT, WATERFALL_PAINTED_MARK } from '../../ui/src/model/waterfall-geometry.ts';
import { launchBrowser, type PageWatch, watchPage } from '../support/browser.ts';
import {
  awaitKeptTrace,
  HOSTILE_PAYLOADS,
  HOSTILE_SERVICES,
  hostileTrace,
  sendTrace,
  wideTrace,
} from '../support/crafted-traces.ts';
import {
  e2eConfig,
  keptTraces,
  MIXED_EXPORTERS,
  settle,
  startTestPipeline,
  type TestPipeline,
} from '../support/local-pipeline.ts';
import { traceIds } from '../support/sampler.ts';
import { wallClockMs } from '../support/wall-clock.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tracesift-web-ui-'));
const screenshots =
  process.env.TRACESIFT_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'tracesift-ui-shots-'));
const [WIDE_ID, HOSTILE_ID] = traceIds(2, 157) as [string, string];
const WIDE_SPANS = 10_000;
let local: TestPipeline;
let browser: Browser;
let base: string;
/** A demo trace (a dozen spans), the floor of the first-paint figure. */
let smallTraceId: string;

beforeAll(async () => {
  local = await startTestPipeline(dataDir, e2eConfig({ sampling: { baselineProbability: 0.25 } }));
  base = local.endpoints.traceById.replace(/\/v1\/traces$/, '');
  const run = await runDemo(local.endpoints, {
    workload: { rate: 30, count: 30, errorRate: 0.2, slowRate: 0, seed: 23 },
    exporterOf: (service) => MIXED_EXPORTERS[service],
    slowMs: 1,
    exportDelayMs: 200,
    log: memoryServiceLog([]),
  });
  smallTraceId = [...(await keptTraces(local, run)).keys()][0] as string;
  const wide = wideTrace({ traceId: WIDE_ID, spans: WIDE_SPANS, nowMs: wallClockMs() });
  await sendTrace(local.endpoints, wide.bodies);
  await awaitKeptTrace(local.endpoints, WIDE_ID, WIDE_SPANS, 60_000);
  const hostile = hostileTrace({ traceId: HOSTILE_ID, nowMs: wallClockMs() });
  await sendTrace(local.endpoints, hostile.bodies);
  await awaitKeptTrace(local.endpoints, HOSTILE_ID, hostile.spanCount, 60_000);
  // The dependency counters are written after the trace itself.
  await settle(async () => {
    const links = await api<{ parent: string }[]>(`/api/dependencies?lookback=${24 * 3_600_000}`);
    return links.some((link) => link.parent === HOSTILE_SERVICES[0]);
  }, 30_000);
  browser = await launchBrowser();
  mkdirSync(screenshots, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await local?.pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** GET a query API path with the read key: the envelope's data. */
async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    headers: { 'x-api-key': local.endpoints.queryApiKey, 'accept-encoding': 'gzip' },
  });
  expect(response.status, path).toBe(200);
  return ((await response.json()) as { data: T }).data;
}

/** A new page at `path` below the UI, with the key given as `npm start` prints it (or none). */
async function open(
  path: string,
  key: string | null = local.endpoints.queryApiKey,
): Promise<{ page: Page; watch: PageWatch }> {
  // A context of its own: no sessionStorage (the key) carried over from another test's page.
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const watch = watchPage(page, base);
  await page.goto(`${base}/ui/${path}${key === null ? '' : `#key=${encodeURIComponent(key)}`}`, {
    waitUntil: 'domcontentloaded',
  });
  return { page, watch };
}

/** Spans below `spanId` in a trace, each span's parent being its first CHILD_OF reference in the trace. */
function descendantsOf(trace: JaegerTrace, spanId: string): number {
  const ids = new Set(trace.spans.map((span) => span.spanID));
  const parentOf = new Map(
    trace.spans.map((span) => [
      span.spanID,
      span.references.find((ref) => ref.refType === 'CHILD_OF' && ids.has(ref.spanID))?.spanID,
    ]),
  );
  const below = (id: string | undefined): boolean => {
    for (let at = id, hops = 0; at !== undefined && hops <= ids.size; at = parentOf.get(at), hops++) {
      if (at === spanId) return true;
    }
    return false;
  };
  return trace.spans.filter((span) => span.spanID !== spanId && below(parentOf.get(span.spanID))).length;
}

/** Opens a trace's page and waits for the mark the page sets once its first rows are painted. */
async function paintedWaterfall(
  traceId: string,
): Promise<{ page: Page; watch: PageWatch; paintedMs: number; spans: number }> {
  const { page, watch } = await open(`trace/${traceId}`);
  await page.waitForFunction(`performance.getEntriesByName('${WATERFALL_PAINTED_MARK}').length > 0`, {
    timeout: 30_000,
  });
  const paintedMs = Number(
    await page.evaluate(`performance.getEntriesByName('${WATERFALL_PAINTED_MARK}')[0].startTime`),
  );
  const spans = Number(
    await page.$eval('.trace-header .facts', (facts) => /Spans(\d+)/.exec(facts.textContent ?? '')?.[1]),
  );
  expect(paintedMs).toBeGreaterThan(0);
  return { page, watch, paintedMs, spans };
}

const textOf = (page: Page, selector: string) => page.$eval(selector, (element) => element.textContent ?? '');
const countOf = (page: Page, selector: string) => page.$$eval(selector, (elements) => elements.length);

describe('the web UI', () => {
  it('serves its page with a strict content security policy and nosniff', async () => {
    // Act
    const response = await fetch(`${base}/ui/`);

    // Assess
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('searches a service, opens a trace, folds its tree, shows the critical path and the service graph', async () => {
    // Prepare
    const { page, watch } = await open('');
    const found = await api<JaegerTrace[]>('/api/traces?service=frontend&limit=50&lookback=1h');

    // Act: the search, as a person does it.
    await page.waitForSelector('#search-service');
    expect(await page.evaluate('location.hash')).toBe('');
    await page.select('#search-service', 'frontend');
    await page.click('button.primary');
    await page.waitForSelector('.trace-list tbody tr');

    // Assess: the list and the plot show what the API finds, the RED table has the service's operations.
    expect(await countOf(page, '.trace-list tbody tr')).toBe(found.length);
    expect(await countOf(page, '.scatter .dot')).toBe(found.length);
    const withErrors = found.filter((trace) =>
      trace.spans.some((span) => span.tags.some((t) => t.key === 'error' && t.value === true)),
    );
    expect(await countOf(page, '.scatter .dot.error')).toBe(withErrors.length);
    expect(await countOf(page, 'table.red tbody tr')).toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshots, 'search.png'), fullPage: true });

    // Act: open a demo trace from the list (the 10,000-span one is found too; it has its own test).
    const trace = found.find((candidate) => candidate.spans.length < 100) as JaegerTrace;
    const traceId = trace.traceID;
    await page.click(`.trace-list a.trace-link[href$="/trace/${traceId}"]`);
    await page.waitForSelector('.waterfall .row');

    // Assess: the address is the trace's, the header carries its decision, every span is a row.
    expect(new URL(page.url()).pathname).toBe(`/ui/trace/${traceId}`);
    const policy = trace.spans[0]?.tags.find((t) => t.key === 'tracesift.sampling.policy')?.value;
    expect(await textOf(page, '.decision .policy')).toBe(policy);
    expect(await countOf(page, '.waterfall .row')).toBe(trace.spans.length);
    expect(await countOf(page, '.waterfall .row.critical')).toBeGreaterThan(0);
    expect(await textOf(page, '.waterfall .row.critical .critical-share')).toMatch(
      /critical path (<0\.1|\d+(\.\d)?)%/,
    );
    expect(await textOf(page, '.span-details h2')).toContain(
      trace.processes[trace.spans[0]?.processID ?? '']?.serviceName ?? '?',
    );
    await page.screenshot({ path: join(screenshots, 'trace.png'), fullPage: true });

    // Act / Assess: collapse the root by mouse, then expand it by keyboard.
    const folded = await page.$eval(
      '.waterfall .row:has(.toggle)',
      (row) => row.getAttribute('data-span-id') ?? '',
    );
    await page.click(`.waterfall .row[data-span-id="${folded}"] .toggle`);
    expect(await countOf(page, '.waterfall .row')).toBe(trace.spans.length - descendantsOf(trace, folded));
    expect(
      await page.$eval(`.waterfall .row[data-span-id="${folded}"]`, (row) =>
        row.getAttribute('aria-expanded'),
      ),
    ).toBe('false');
    await page.click(`.waterfall .row[data-span-id="${folded}"] .operation`);
    await page.keyboard.press('ArrowRight');
    expect(await countOf(page, '.waterfall .row')).toBe(trace.spans.length);
    await page.keyboard.press('ArrowDown');
    const selected = await page.$eval('.waterfall .row.selected', (row) => row.getAttribute('data-span-id'));
    expect(selected).not.toBe(trace.spans[0]?.spanID);
    expect(await textOf(page, '.span-details .identity')).toContain(selected ?? '?');

    // Act: the service graph from the header's navigation.
    await page.click('nav a[href="dependencies"]');
    await page.waitForSelector('.service-graph, .empty');
    const links = await api<{ parent: string; child: string }[]>(
      `/api/dependencies?lookback=${24 * 3_600_000}`,
    );

    // Assess
    const services = new Set(links.flatMap((link) => [link.parent, link.child]));
    expect(await countOf(page, '.service-graph .node')).toBe(services.size);
    expect(await countOf(page, 'table.edges tbody tr')).toBe(links.length);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  }, 60_000);

  it('paints the waterfall of a 10,000-span trace with only the rows in view', async () => {
    // Act: a demo trace first, the floor of the same run, then the wide one.
    const small = await paintedWaterfall(smallTraceId);
    const wide = await paintedWaterfall(WIDE_ID);

    // Assess: all spans are in the tree, few are in the document; the end of the tree is reachable.
    console.info(
      `web UI: first waterfall painted ${wide.paintedMs.toFixed(0)} ms after navigation for ${WIDE_SPANS} spans, ` +
        `${small.paintedMs.toFixed(0)} ms for a ${small.spans}-span trace ` +
        `(${(wide.paintedMs / small.paintedMs).toFixed(2)}x)`,
    );
    const { page, watch } = wide;
    expect(await textOf(page, '.trace-header .facts')).toContain(`Spans${WIDE_SPANS}`);
    const rendered = await countOf(page, '.waterfall .row');
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(200);
    await page.focus('.waterfall-viewport');
    await page.keyboard.press('End');
    const lastTop = await page.$eval(
      '.waterfall .row.selected',
      (row) => (row as unknown as { style: { top: string } }).style.top,
    );
    expect(lastTop).toBe(`${(WIDE_SPANS - 1) * ROW_HEIGHT}px`);
    expect(await countOf(page, '.waterfall .row')).toBeLessThan(200);
    expect(watch.pageErrors).toEqual([]);
    await Promise.all([page.close(), small.page.close()]);
  }, 60_000);
});

describe('the web UI when things go wrong', () => {
  it('says an unknown trace was not found', async () => {
    // Act
    const { page, watch } = await open('trace/0123456789abcdef0123456789abcdef');
    await page.waitForSelector('.alert:not([hidden])');

    // Assess
    expect(await textOf(page, '.alert')).toContain('0123456789abcdef0123456789abcdef was not found');
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it("shows the API's own message when it refuses a request", async () => {
    // Act: not a trace id; the API answers 400.
    const { page, watch } = await open('trace/not-hex');
    await page.waitForSelector('.alert:not([hidden])');

    // Assess
    expect(await textOf(page, '.alert')).toMatch(/answered 400 to api\/traces\/not-hex: .+/);
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it('asks for the key when there is none, and again when the API refuses it', async () => {
    // Act: no key at all.
    const { page, watch } = await open('', null);
    await page.waitForSelector('.key-form');

    // Assess
    expect(await textOf(page, '.key-form .key-reason')).toContain('Enter the read API key');

    // Act: the ingest key, which the read routes refuse.
    await page.type('#read-key', local.endpoints.apiKey);
    await page.click('.key-form button[type="submit"]');
    await page.waitForFunction("document.querySelector('.key-reason')?.textContent?.includes('refused')");

    // Assess: the refused key is forgotten; the read key then opens the search.
    expect(await page.evaluate("sessionStorage.getItem('tracesift.readKey')")).toBeNull();
    await page.type('#read-key', local.endpoints.queryApiKey);
    await page.click('.key-form button[type="submit"]');
    await page.waitForSelector('#search-service');
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it('names the field of a search the API would refuse, without asking it', async () => {
    // Prepare
    const { page, watch } = await open('');
    await page.waitForSelector('#search-service');

    // Act
    await page.type('#search-minDuration', '100');
    await page.click('button.primary');

    // Assess
    expect(await textOf(page, '.form-error')).toContain('"100" is not a duration');
    expect(await page.$eval('#search-minDuration', (input) => input.getAttribute('aria-invalid'))).toBe(
      'true',
    );
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });
});

/**
 * Run in the page (as text: the page's globals are not Node's): a payload's marker, elements that
 * only markup could have added (the page itself makes none of these), the scripts, and any
 * attribute that is an event handler or a javascript: URL.
 */
const NOTHING_RAN_PROBE = `(() => ({
  pwned: window.__pwned,
  injected: document.querySelectorAll('img, iframe, object, embed, style, link:not([rel="stylesheet"])').length,
  scripts: [...document.scripts].map((script) => script.src.split('/').at(-1)),
  handlers: [...document.querySelectorAll('*')].filter((element) =>
    [...element.attributes].some((a) => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value)),
  ).length,
}))()`;

/** What hostile data must never make the page do, checked after each page is shown. */
async function expectNothingRan(page: Page, watch: PageWatch): Promise<void> {
  const found = await page.evaluate(NOTHING_RAN_PROBE);
  expect(found).toEqual({ pwned: undefined, injected: 0, scripts: ['app.js'], handlers: 0 });
  expect(watch.dialogs).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
}

describe('the web UI under hostile span data', () => {
  it('shows script and markup from every field as text and runs none of it: search, trace view, service graph', async () => {
    // Act: the search page for the hostile service.
    const service = HOSTILE_SERVICES[0];
    const { page, watch } = await open(`?service=${encodeURIComponent(service)}&lookback=1h`);
    await page.waitForSelector('.trace-list tbody tr');

    // Assess
    await expectNothingRan(page, watch);
    expect(await textOf(page, '.trace-list')).toContain(service);

    // Act: the trace, every span's details in turn.
    await page.click('.trace-list tbody tr a.trace-link');
    await page.waitForSelector('.waterfall .row');
    const shown = new Set<string>();
    const spanIds = await page.$$eval('.waterfall .row', (rows) =>
      rows.map((row) => row.getAttribute('data-span-id') ?? ''),
    );
    for (const spanId of spanIds) {
      await page.click(`.waterfall .row[data-span-id="${spanId}"]`);
      const text = await page.$eval('body', (body) => body.textContent ?? '');
      for (const payload of HOSTILE_PAYLOADS) if (text.includes(payload)) shown.add(payload);
    }

    // Assess: each payload was on the page as the characters it is, and none ran.
    await expectNothingRan(page, watch);
    expect([...shown].sort()).toEqual([...HOSTILE_PAYLOADS].sort());

    // Act: the service graph.
    await page.click('nav a[href="dependencies"]');
    await page.waitForSelector('.service-graph');

    // Assess
    await expectNothingRan(page, watch);
    expect(await textOf(page, 'table.edges')).toContain(HOSTILE_SERVICES[1]);
    await page.close();
  }, 60_000);
});
