/**
 * Traces crafted for end-to-end and browser tests, as the OTLP/JSON bodies ingest accepts at
 * POST /v1/traces: a wide trace (thousands of spans in deep chains and wide fan-outs over seven
 * services) and a hostile one (script and markup in every text field); a sender with the ingest key,
 * and a reader that waits for the kept trace through the Jaeger API with the read key.
 *
 * The limits that shape them, at their defaults:
 * - a body is at most `ingest.maxBodyBytes` (4 MiB: API Gateway base64-encodes it into a Lambda
 *   invoke of at most 6 MB), so a large trace comes as several bodies;
 * - a trace is decided at once at `sampling.maxSpansPerTrace` (10,000) spans, and stored up to it
 *   and to `sampling.maxBytesPerTrace` (8 MiB of OTLP protobuf): a larger trace loses spans;
 * - ingest meters each trace id at 256 KiB/s with an 8 MiB burst (`ingest.traceRate`).
 */
import type { DemoEndpoints } from '../../demo/endpoints.ts';
import type { JaegerTrace } from '../../lambdas/query/jaeger/model.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { encodeTracesDataJson } from '../../lambdas/shared/otlp/index.ts';
import {
  type Attributes,
  type InstrumentationScope,
  makeResource,
  type Resource,
  type Span,
  type SpanEvent,
  SpanKind,
  type SpanLink,
  type SpanStatus,
  StatusCode,
} from '../../lambdas/shared/span/model.ts';
import { seededRandom } from '../../workload/random.ts';
import { settle } from './local-pipeline.ts';

export interface CraftedTrace {
  readonly traceId: string;
  /** Spans over all bodies. */
  readonly spanCount: number;
  /**
   * OTLP/JSON ExportTraceServiceRequest texts, each within ingest's body limit, spans in the order
   * they end (as an SDK's batch processor exports them: the root last).
   */
  readonly bodies: readonly string[];
}

/** What sending and reading need of a pipeline's endpoints (DemoEndpoints and LocalEndpoints have it). */
export type TraceEndpoints = Pick<DemoEndpoints, 'traces' | 'traceById' | 'apiKey' | 'queryApiKey'>;

const MAX_BODY_BYTES = parseConfig({}).ingest.maxBodyBytes;
const OK = 200;
const NOT_FOUND = 404;

// ---------------------------------------------------------------------------------------------
// Spans

/** A span's window in nanoseconds after the trace's origin (numbers: offsets of seconds are exact). */
interface Window {
  readonly start: number;
  readonly end: number;
}

interface Origin {
  readonly service: Resource;
  readonly scope: InstrumentationScope;
}

/** A span and its window. */
interface Node {
  readonly span: Span;
  readonly window: Window;
}

interface SpanSpec {
  readonly name: string;
  readonly kind: SpanKind;
  readonly origin: Origin;
  readonly window: Window;
  readonly attributes?: Attributes;
  readonly events?: readonly SpanEvent[];
  readonly links?: readonly SpanLink[];
  readonly status?: SpanStatus;
}

/** Spans of one trace in the order they are created (parents first), with ids from a counter. */
class TraceSpans {
  public readonly spans: Span[] = [];
  private readonly traceId: string;
  private readonly originNs: bigint;

  public constructor(traceId: string, originNs: bigint) {
    this.traceId = traceId;
    this.originNs = originNs;
  }

  public add(parent: Node | undefined, spec: SpanSpec): Node {
    const span: Span = {
      traceId: this.traceId,
      spanId: `${this.traceId.slice(0, 8)}${(this.spans.length + 1).toString(16).padStart(8, '0')}`,
      parentSpanId: parent?.span.spanId ?? '',
      traceState: '',
      flags: 1,
      name: spec.name,
      kind: spec.kind,
      startTimeUnixNano: this.at(spec.window.start),
      endTimeUnixNano: this.at(spec.window.end),
      attributes: spec.attributes ?? {},
      droppedAttributesCount: 0,
      events: spec.events ?? [],
      droppedEventsCount: 0,
      links: spec.links ?? [],
      droppedLinksCount: 0,
      status: spec.status ?? { code: StatusCode.UNSET, message: '' },
      resource: spec.origin.service,
      scope: spec.origin.scope,
    };
    this.spans.push(span);
    return { span, window: spec.window };
  }

  public at(offsetNs: number): bigint {
    return this.originNs + BigInt(Math.round(offsetNs));
  }
}

/** The i-th of n windows one after another inside `parent`, each starting and ending inside its slot. */
function childWindow(parent: Window, i: number, n: number, random: () => number): Window {
  const width = (parent.end - parent.start) / n;
  const start = parent.start + i * width + width * 0.05 * (1 + random());
  return { start, end: start + width * (0.5 + 0.4 * random()) };
}

/** The middle of a window: inside the client's and the server's spans of a call alike. */
function middleOf(window: Window): number {
  return (window.start + window.end) / 2;
}

/** Whole trace bodies, split in halves until each is within ingest's body limit. */
function bodiesOf(spans: readonly Span[]): string[] {
  const body = JSON.stringify(encodeTracesDataJson(spans));
  if (Buffer.byteLength(body) <= MAX_BODY_BYTES || spans.length === 1) return [body];
  const half = Math.ceil(spans.length / 2);
  return [...bodiesOf(spans.slice(0, half)), ...bodiesOf(spans.slice(half))];
}

function craftedTrace(traceId: string, spans: readonly Span[]): CraftedTrace {
  const exportOrder = [...spans].sort((a, b) =>
    a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0,
  );
  return { traceId, spanCount: spans.length, bodies: bodiesOf(exportOrder) };
}

function checkTraceId(traceId: string): void {
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId))
    throw new Error(`${JSON.stringify(traceId)} is not a trace id: 32 lower-case hex digits, not all zero`);
}

/** The trace's origin: `beforeMs` before `nowMs`, in nanoseconds. */
function originOf(nowMs: number, beforeMs: number): bigint {
  return BigInt(Math.round(nowMs) - beforeMs) * 1_000_000n;
}

// ---------------------------------------------------------------------------------------------
// The wide trace

const WIDE_SERVICES = {
  frontend: 'nodejs',
  catalog: 'java',
  inventory: 'go',
  pricing: 'python',
  search: 'java',
  recommendations: 'python',
  ads: 'go',
} as const;
type WideService = keyof typeof WIDE_SERVICES;

/** The services a chain of calls goes through: root (depth 1) to the last server at depth 12. */
const CHAIN: readonly WideService[] = ['frontend', 'search', 'recommendations', 'pricing', 'ads'];
const ROOT_MS = 3_000;
const MS = 1_000_000;

type Origins = Readonly<Record<WideService, Origin>>;

function wideOrigins(): Origins {
  const entries = Object.entries(WIDE_SERVICES).map(([service, language], i) => {
    const origin: Origin = {
      service: makeResource({
        'service.name': service,
        'service.namespace': 'shop',
        'service.version': `2.${i + 3}.1`,
        'deployment.environment.name': 'e2e',
        'host.name': `${service}-7f9c4d-${i}x2vq`,
        'k8s.pod.name': `${service}-7f9c4d-${i}x2vq`,
        'telemetry.sdk.name': 'opentelemetry',
        'telemetry.sdk.language': language,
      }),
      scope: scopeOf(`shop.${service}`, '1.4.0'),
    };
    return [service, origin] as const;
  });
  return Object.fromEntries(entries) as Record<WideService, Origin>;
}

function scopeOf(name: string, version: string, attributes: Attributes = {}): InstrumentationScope {
  return { name, version, attributes, droppedAttributesCount: 0, schemaUrl: '' };
}

/** What the wide trace's builders share. */
interface Wide {
  readonly trace: TraceSpans;
  readonly origins: Origins;
  readonly random: () => number;
}

/** An HTTP call: a client span of `from` and, under it, the server span of `to`; answers the server span. */
function call(
  wide: Wide,
  parent: Node,
  route: { from: WideService; to: WideService; path: string; route: string },
  window: Window,
  server: Partial<SpanSpec> = {},
): Node {
  const inset = (window.end - window.start) * 0.03;
  const client = wide.trace.add(parent, {
    name: 'GET',
    kind: SpanKind.CLIENT,
    origin: wide.origins[route.from],
    window,
    attributes: {
      'http.request.method': 'GET',
      'url.full': `http://${route.to}:8080${route.path}`,
      'server.address': route.to,
      'http.response.status_code': 200,
    },
  });
  return wide.trace.add(client, {
    name: `GET ${route.route}`,
    kind: SpanKind.SERVER,
    origin: wide.origins[route.to],
    window: { start: window.start + inset, end: window.end - inset },
    attributes: { 'http.request.method': 'GET', 'http.route': route.route, 'url.path': route.path },
    ...server,
  });
}

/** A database query of `service`, a leaf. */
function query(wide: Wide, parent: Node, service: WideService, statement: string, window: Window): Node {
  return wide.trace.add(parent, {
    name: statement.split(' ').slice(0, 2).join(' '),
    kind: SpanKind.CLIENT,
    origin: wide.origins[service],
    window,
    attributes: { 'db.system.name': 'postgresql', 'db.namespace': service, 'db.query.text': statement },
  });
}

/**
 * Wide: frontend asks catalog for a page of products, and catalog asks inventory or pricing about
 * each of its `items` products (a client, a server and a query span per product). The first one's
 * page span follows a link to the export job's trace and records a cache miss.
 */
function fanOut(wide: Wide, root: Node, window: Window, items: number, first: boolean): void {
  const page = call(
    wide,
    root,
    { from: 'frontend', to: 'catalog', path: `/pages/${items}`, route: '/pages/{page}' },
    window,
    first
      ? {
          events: [
            {
              timeUnixNano: wide.trace.at(middleOf(window)),
              name: 'cache.miss',
              attributes: { 'cache.key': 'page:1' },
              droppedAttributesCount: 0,
            },
          ],
          links: [linkTo(root.span.traceId)],
        }
      : {},
  );
  for (let i = 0; i < items; i++) {
    const to: WideService = wide.random() < 0.7 ? 'inventory' : 'pricing';
    const sku = `SKU-${(i + 1).toString().padStart(5, '0')}`;
    const item = childWindow(page.window, i, items, wide.random);
    const server = call(
      wide,
      page,
      { from: 'catalog', to, path: `/items/${sku}`, route: '/items/{sku}' },
      item,
    );
    const statement = `SELECT quantity FROM ${to} WHERE sku = $1`;
    query(wide, server, to, statement, childWindow(server.window, 0, 1, wide.random));
  }
}

/** The job whose trace the first fan-out links to: the trace id reversed. */
function linkTo(traceId: string): SpanLink {
  return {
    traceId: [...traceId].reverse().join(''),
    spanId: '5eed5eed5eed5eed',
    traceState: '',
    attributes: { 'link.kind': 'export-job' },
    droppedAttributesCount: 0,
    flags: 1,
  };
}

/**
 * Deep: a call from each service of CHAIN to the next, with an internal ranking span in between
 * that also reads a cache one to three times; the last server span is at depth 12. The first chain's
 * last server fails with an exception event.
 */
function chain(wide: Wide, root: Node, window: Window, failing: boolean): void {
  let parent = root;
  let at = window;
  for (const [hop, from] of CHAIN.slice(0, -1).entries()) {
    const to = CHAIN[hop + 1] as WideService;
    const last = hop === CHAIN.length - 2;
    const path = `/v1/${to}/rank`;
    const server = call(
      wide,
      parent,
      { from, to, path, route: path },
      at,
      last && failing ? failure(wide, at) : {},
    );
    if (last) return;
    parent = rank(wide, server, to);
    at = childWindow(parent.window, 1, 2, wide.random);
  }
}

/** An internal ranking span under `server`, reading a cache in the first half of its time. */
function rank(wide: Wide, server: Node, service: WideService): Node {
  const window = childWindow(server.window, 0, 1, wide.random);
  const span = wide.trace.add(server, {
    name: 'rank candidates',
    kind: SpanKind.INTERNAL,
    origin: wide.origins[service],
    window,
    attributes: { 'app.candidates': 40 + Math.floor(wide.random() * 200) },
    events: [
      {
        timeUnixNano: wide.trace.at(window.start),
        name: 'candidates.filtered',
        attributes: { 'app.kept': 12 },
        droppedAttributesCount: 0,
      },
    ],
  });
  const reads = 1 + Math.floor(wide.random() * 3);
  const firstHalf = childWindow(window, 0, 2, wide.random);
  for (let i = 0; i < reads; i++) {
    wide.trace.add(span, {
      name: 'GET',
      kind: SpanKind.CLIENT,
      origin: wide.origins[service],
      window: childWindow(firstHalf, i, reads, wide.random),
      attributes: { 'db.system.name': 'redis', 'db.operation.name': 'GET', 'server.address': 'cache' },
    });
  }
  return span;
}

function failure(wide: Wide, window: Window): Partial<SpanSpec> {
  return {
    status: { code: StatusCode.ERROR, message: 'context deadline exceeded' },
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/v1/ads/rank',
      'http.response.status_code': 504,
    },
    events: [
      {
        timeUnixNano: wide.trace.at(middleOf(window)),
        name: 'exception',
        attributes: {
          'exception.type': 'context.deadlineExceededError',
          'exception.message': 'context deadline exceeded while ranking ads',
          'exception.stacktrace':
            'goroutine 118 [running]:\nmain.(*Ranker).Rank(0xc0001a4000)\n\t/src/ads/rank.go:88 +0x1d2\nmain.handleRank(...)\n\t/src/ads/http.go:41 +0x9f',
        },
        droppedAttributesCount: 0,
      },
    ],
  };
}

/** Spans of a chain at the least: a client and a server per hop, a ranking span and one read between hops. */
const CHAIN_MIN_SPANS = (CHAIN.length - 1) * 2 + (CHAIN.length - 2) * 2;

/**
 * What follows the root, in order: a chain, a fan-out, a chain, again, until they hold at least
 * `spans` − 1 spans (a chain 14 to 20, a fan-out 2 + 3 × its 150 to 399 items).
 */
function segmentsOf(spans: number, random: () => number): Array<{ items: number } | 'chain'> {
  const segments: Array<{ items: number } | 'chain'> = [];
  let planned = 1;
  while (planned < spans) {
    if (segments.length % 3 === 1) {
      const items = 150 + Math.floor(random() * 250);
      segments.push({ items });
      planned += 2 + 3 * items;
    } else {
      segments.push('chain');
      planned += CHAIN_MIN_SPANS;
    }
  }
  return segments;
}

/**
 * One trace of `spans` spans, a realistic tree: the root (a frontend server span) calls down chains
 * of five services to depth 12 and fans out to hundreds of product calls; seven services, client,
 * server and internal spans, events (one exception), a link, resource attributes. The root fails
 * (status ERROR, HTTP 500), so the errors policy keeps the trace. It starts 4 s before `nowMs` and
 * lasts 3 s; the same options give the same bodies (seeded by the trace id).
 */
export function wideTrace(options: { traceId: string; spans: number; nowMs: number }): CraftedTrace {
  const { traceId, spans } = options;
  checkTraceId(traceId);
  if (!Number.isInteger(spans) || spans < 1) throw new Error(`a trace has at least one span, not ${spans}`);
  const random = seededRandom(Number.parseInt(traceId.slice(-8), 16));
  const wide: Wide = {
    trace: new TraceSpans(traceId, originOf(options.nowMs, 4_000)),
    origins: wideOrigins(),
    random,
  };
  const window = { start: 0, end: ROOT_MS * MS };
  const root = wide.trace.add(undefined, {
    name: 'GET /api/catalog/export',
    kind: SpanKind.SERVER,
    origin: wide.origins.frontend,
    window,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/api/catalog/export',
      'url.path': '/api/catalog/export',
      'http.response.status_code': 500,
      'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
    },
    status: { code: StatusCode.ERROR, message: 'export failed: an upstream call timed out' },
  });
  const segments = segmentsOf(spans, random);
  for (const [i, segment] of segments.entries()) {
    const slot = childWindow(window, i, segments.length, random);
    if (segment === 'chain') chain(wide, root, slot, i === 0);
    else fanOut(wide, root, slot, segment.items, i === 1);
  }
  // Parents come before their children, so the first `spans` are a whole tree.
  return craftedTrace(traceId, wide.trace.spans.slice(0, spans));
}

// ---------------------------------------------------------------------------------------------
// The hostile trace

/**
 * Script and markup a page must show as text: HTML injection in element and attribute contexts,
 * a javascript: URL, template-engine and template-literal expressions, a style-block breakout, a
 * link and a CSS url() to another origin (a request there would leak the page's reader).
 */
export const HOSTILE_PAYLOADS = [
  '<img src=x onerror="window.__pwned=1;alert(1)">',
  '<script>window.__pwned=1</script>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  "{{constructor.constructor('alert(1)')()}}",
  '</style><script>window.__pwned=1;alert(1)</script>',
  '<a href="https://attacker.example/">click me</a>',
  '<div style="background:url(https://attacker.example/x.png)">css</div>',
  "'-alert(1)-'",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-literal payload, as text on purpose
  '${alert(1)}',
] as const;

const [P0, P1, P2, P3, P4, P5, P6, P7, P8, P9] = HOSTILE_PAYLOADS;

/** The hostile trace's two services: the root's, and the one it calls (an edge of the service graph). */
export const HOSTILE_SERVICES = [P0, P1] as const;

const HOSTILE_CALLER: Origin = {
  service: makeResource({
    'service.name': P0,
    'service.version': P2,
    [P3]: P6,
    'host.name': P5,
    'hostile.list': [P7, P9],
  }),
  scope: scopeOf(P4, P9, { [P8]: P1 }),
};

const HOSTILE_CALLEE: Origin = {
  service: makeResource({ 'service.name': P1, 'service.namespace': P8, [P4]: P0 }),
  scope: scopeOf(P5, P2, { [P6]: P7 }),
};

function event(trace: TraceSpans, atNs: number, name: string, attributes: Attributes): SpanEvent {
  return { timeUnixNano: trace.at(atNs), name, attributes, droppedAttributesCount: 0 };
}

/**
 * A trace of four spans whose every text field holds HOSTILE_PAYLOADS: service names and the other
 * resource attributes (keys and values), scope names, versions and attributes, span names, attribute
 * keys and values (strings, inside arrays, inside a kvlist), event names and attributes (an exception
 * among them), link attributes and status messages. The root's service calls another hostile
 * service (HOSTILE_SERVICES); the root fails (status ERROR), so the errors policy keeps the trace.
 * It starts 3 s before `nowMs` and lasts 2 s.
 */
export function hostileTrace(options: { traceId: string; nowMs: number }): CraftedTrace {
  const { traceId } = options;
  checkTraceId(traceId);
  const trace = new TraceSpans(traceId, originOf(options.nowMs, 3_000));
  const root = trace.add(undefined, {
    name: P0,
    kind: SpanKind.SERVER,
    origin: HOSTILE_CALLER,
    window: { start: 0, end: 2_000 * MS },
    attributes: {
      'http.request.method': 'GET',
      'http.route': P3,
      'http.response.status_code': 500,
      [P0]: P1,
      [P2]: P5,
      'hostile.values': [P6, P7, P8],
      'hostile.nested': { [P9]: P4 },
    },
    events: [
      event(trace, 100 * MS, P2, { [P4]: P6 }),
      event(trace, 1_900 * MS, 'exception', {
        'exception.type': P8,
        'exception.message': P1,
        'exception.stacktrace': `Error: ${P0}\n    at render (${P5})`,
      }),
    ],
    links: [{ ...linkTo(traceId), attributes: { [P7]: P3, 'link.note': P9 } }],
    status: { code: StatusCode.ERROR, message: P5 },
  });
  const client = trace.add(root, {
    name: P6,
    kind: SpanKind.CLIENT,
    origin: HOSTILE_CALLER,
    window: { start: 200 * MS, end: 1_800 * MS },
    attributes: { 'server.address': P3, 'peer.service': P1 },
  });
  const server = trace.add(client, {
    name: P7,
    kind: SpanKind.SERVER,
    origin: HOSTILE_CALLEE,
    window: { start: 250 * MS, end: 1_750 * MS },
    attributes: { [P8]: P9 },
    events: [event(trace, 1_700 * MS, P9, { 'exception.type': P3, 'exception.message': P4 })],
    status: { code: StatusCode.ERROR, message: P2 },
  });
  trace.add(server, {
    name: P4,
    kind: SpanKind.INTERNAL,
    origin: HOSTILE_CALLEE,
    window: { start: 300 * MS, end: 1_000 * MS },
    attributes: { [P5]: [P0, P3], 'app.note': P8 },
  });
  return craftedTrace(traceId, trace.spans);
}

// ---------------------------------------------------------------------------------------------
// Sending and reading back

/** Posts each body in turn with the ingest key; throws unless each is accepted whole. */
export async function sendTrace(endpoints: TraceEndpoints, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) {
    const response = await fetch(endpoints.traces, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': endpoints.apiKey },
      body,
    });
    const text = await response.text();
    const answer = response.status === OK ? (JSON.parse(text) as ExportAnswer) : undefined;
    if (!answer || answer.partialSuccess !== undefined)
      throw new Error(`POST ${endpoints.traces} answered ${response.status}: ${text.slice(0, 500)}`);
  }
}

/** OTLP/JSON ExportTraceServiceResponse: partial_success only when spans were rejected. */
interface ExportAnswer {
  readonly partialSuccess?: { readonly rejectedSpans?: string; readonly errorMessage?: string };
}

/**
 * The trace as GET /api/traces/{traceId} answers it (Jaeger's form, with the read key), once it
 * holds `expectedSpans` spans, or the last one read (undefined if none) after `timeoutMs`: the
 * caller asserts. An answer other than 200 or 404 throws at once.
 */
export async function awaitKeptTrace(
  endpoints: TraceEndpoints,
  traceId: string,
  expectedSpans: number,
  timeoutMs: number,
): Promise<JaegerTrace | undefined> {
  const url = `${endpoints.traceById.replace(/\/v1\/traces$/, '')}/api/traces/${traceId}`;
  let trace: JaegerTrace | undefined;
  await settle(async () => {
    trace = (await readJaegerTrace(url, endpoints.queryApiKey)) ?? trace;
    return trace?.spans.length === expectedSpans;
  }, timeoutMs);
  return trace;
}

async function readJaegerTrace(url: string, queryApiKey: string): Promise<JaegerTrace | undefined> {
  // gzip: a large trace's Jaeger JSON does not fit Lambda's 6 MB response otherwise (413).
  const response = await fetch(url, { headers: { 'x-api-key': queryApiKey, 'accept-encoding': 'gzip' } });
  const text = await response.text();
  if (response.status === NOT_FOUND) return undefined;
  if (response.status !== OK)
    throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { data: JaegerTrace[] }).data[0];
}
