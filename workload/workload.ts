/**
 * The reference workload: deterministic from a seed, shaped like a small e-commerce system.
 *
 * - 8 services, each exporting its own spans in requests of up to 512 spans (the OpenTelemetry
 *   batch span processor's default maxExportBatchSize), so traces arrive in fragments spread over
 *   several services' requests, as in production.
 * - Four trace shapes: GET /search 25% (4-7 spans), GET /account 40% (8-11 spans: cache lookup,
 *   user and order queries, recommendations half the time), POST /checkout 34% (12-18 spans,
 *   parallel fan-out, a queue hand-off), and 1% batch jobs with 200 to about 3,200 spans (cubed
 *   uniform, so most are small and a few reach thousands). Median 10 spans a trace, mean about 21
 *   (seed 42, 10,000 traces: see `describeWorkload`, printed by every `npm run bench`).
 * - Realistic attribute sets following the OpenTelemetry semantic conventions: HTTP server and
 *   client, database (PostgreSQL and Redis), messaging (RabbitMQ); about 8 attributes a span;
 *   resources with the usual SDK keys.
 * - Exactly 1% error traces (status ERROR, HTTP 500, exception event with a stack trace) and 2% slow
 *   traces (30% of their queries 40x slower): evenly spread from a seeded phase rather than drawn
 *   per trace, so a small quick run has the same shares as the full one.
 *
 * Bodies are produced by the OpenTelemetry JS SDK's own serializers (@opentelemetry/otlp-transformer)
 * from ReadableSpan objects, so they are byte-for-byte what a real exporter sends; `saveWorkload`
 * writes them to disk (`npm run bench -- --save-workload DIR`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HrTime, type Link, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { seededRandom } from './random.ts';

export interface WorkloadOptions {
  readonly seed?: number;
  /** Number of traces to generate. */
  readonly traces?: number;
  /** Spans per export request (the batch span processor's maxExportBatchSize). */
  readonly batchSize?: number;
  readonly errorRate?: number;
  readonly slowRate?: number;
  /** Share of traces that are large batch jobs. */
  readonly bigTraceRate?: number;
  /** Start of the first trace, ms since epoch. */
  readonly startMs?: number;
}

export interface TraceTruth {
  readonly traceId: string;
  readonly rootService: string;
  readonly rootName: string;
  readonly spanCount: number;
  readonly durationNano: number;
  readonly error: boolean;
  readonly slow: boolean;
}

export interface ExportRequestBody {
  readonly service: string;
  readonly spanCount: number;
  readonly protobuf: Uint8Array;
  readonly json: Uint8Array;
}

export interface Workload {
  readonly requests: readonly ExportRequestBody[];
  readonly truth: readonly TraceTruth[];
  readonly spanCount: number;
}

const SERVICES = [
  'frontend',
  'checkout',
  'orders',
  'inventory',
  'payments',
  'users',
  'search',
  'notifications',
];

interface Ctx {
  readonly random: () => number;
  readonly resources: Map<string, Resource>;
  readonly scopes: Map<string, { name: string; version: string }>;
  readonly spans: ReadableSpan[];
  traceId: string;
  error: boolean;
  slow: boolean;
}

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
}

function hrTime(ns: number): HrTime {
  return [Math.floor(ns / 1e9), Math.round(ns % 1e9)];
}

function resourceFor(ctx: Ctx, service: string): Resource {
  let resource = ctx.resources.get(service);
  if (!resource) {
    resource = resourceFromAttributes({
      'service.name': service,
      'service.namespace': 'shop',
      'service.version': `2.${SERVICES.indexOf(service)}.7`,
      'service.instance.id': `${service}-7d9f8b6c4-${hex(ctx.random, 3)}`,
      'deployment.environment.name': 'production',
      'host.name': `ip-10-0-${Math.floor(ctx.random() * 255)}-${Math.floor(ctx.random() * 255)}.ec2.internal`,
      'cloud.provider': 'aws',
      'cloud.region': 'eu-west-1',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': '2.12.0',
    });
    ctx.resources.set(service, resource);
  }
  return resource;
}

function scopeFor(ctx: Ctx, name: string): { name: string; version: string } {
  let scope = ctx.scopes.get(name);
  if (!scope) {
    scope = { name, version: '0.60.1' };
    ctx.scopes.set(name, scope);
  }
  return scope;
}

interface SpanSpec {
  readonly service: string;
  readonly scope: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startNs: number;
  readonly endNs: number;
  readonly parentSpanId: string | undefined;
  readonly attributes: Record<string, string | number | boolean>;
  readonly error?: boolean;
  readonly links?: Link[];
}

function emit(ctx: Ctx, spec: SpanSpec, spanId = hex(ctx.random, 8)): string {
  const traceId = ctx.traceId;
  const events: TimedEvent[] = [];
  if (spec.error) {
    events.push({
      name: 'exception',
      time: hrTime(spec.endNs - 1000),
      attributes: {
        'exception.type': 'PaymentDeclinedError',
        'exception.message': 'card issuer declined the charge',
        'exception.stacktrace':
          'PaymentDeclinedError: card issuer declined the charge\n    at charge (/app/src/payments.js:88:11)\n    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)',
      },
      droppedAttributesCount: 0,
    });
  }
  const span: ReadableSpan = {
    name: spec.name,
    kind: spec.kind,
    spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
    ...(spec.parentSpanId
      ? {
          parentSpanContext: {
            traceId: ctx.traceId,
            spanId: spec.parentSpanId,
            traceFlags: TraceFlags.SAMPLED,
          },
        }
      : {}),
    startTime: hrTime(spec.startNs),
    endTime: hrTime(spec.endNs),
    duration: hrTime(spec.endNs - spec.startNs),
    status: spec.error
      ? { code: SpanStatusCode.ERROR, message: 'card issuer declined the charge' }
      : { code: SpanStatusCode.UNSET },
    attributes: spec.attributes,
    links: spec.links ?? [],
    events,
    ended: true,
    resource: resourceFor(ctx, spec.service),
    instrumentationScope: scopeFor(ctx, spec.scope),
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  ctx.spans.push(span);
  return spanId;
}

function httpServer(
  method: string,
  route: string,
  status: number,
  ctx: Ctx,
): Record<string, string | number> {
  return {
    'http.request.method': method,
    'http.route': route,
    'http.response.status_code': status,
    'url.path': route.replace(':id', String(Math.floor(ctx.random() * 100000))),
    'url.scheme': 'http',
    'server.port': 8080,
    'network.protocol.version': '1.1',
    'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/142.0 Safari/537.36',
    'client.address': `10.0.${Math.floor(ctx.random() * 255)}.${Math.floor(ctx.random() * 255)}`,
  };
}

function httpClient(
  method: string,
  host: string,
  path: string,
  status: number,
): Record<string, string | number> {
  return {
    'http.request.method': method,
    'url.full': `http://${host}:8080${path}`,
    'server.address': host,
    'server.port': 8080,
    'http.response.status_code': status,
    'network.protocol.version': '1.1',
  };
}

function redis(key: string): Record<string, string | number> {
  return {
    'db.system.name': 'redis',
    'db.operation.name': 'GET',
    'db.query.text': `GET ${key}`,
    'db.namespace': '0',
    'server.address': 'shop-cache.abc123.euw1.cache.amazonaws.com',
    'server.port': 6379,
  };
}

function db(operation: string, table: string, ctx: Ctx): Record<string, string | number> {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'db.operation.name': operation,
    'db.collection.name': table,
    'db.query.text': `${operation} * FROM ${table} WHERE id = $1`,
    'server.address': 'shop-db.cluster-c8xq.eu-west-1.rds.amazonaws.com',
    'server.port': 5432,
    'db.response.returned_rows': Math.floor(ctx.random() * 20),
  };
}

/**
 * A call from `from` to `to`: a client span in the caller and a server span in the callee, whose
 * children `work` emits (given the server span id and its start time) and whose end it returns.
 */
function call(
  ctx: Ctx,
  from: string,
  parent: string,
  to: string,
  route: string,
  startNs: number,
  work: (serverSpanId: string, startNs: number) => number,
  error = false,
): number {
  const [method = 'GET', path = '/'] = route.split(' ');
  const netNs = 200_000 + ctx.random() * 600_000;
  const serverStart = startNs + netNs / 2;
  const clientId = hex(ctx.random, 8);
  const serverId = hex(ctx.random, 8);
  const serverEnd = work(serverId, serverStart + 50_000) + 80_000;
  const status = error ? 500 : 200;
  emit(
    ctx,
    {
      service: from,
      scope: '@opentelemetry/instrumentation-undici',
      name: method,
      kind: SpanKind.CLIENT,
      startNs,
      endNs: serverEnd + netNs / 2,
      parentSpanId: parent,
      attributes: httpClient(method, to, path, status),
    },
    clientId,
  );
  emit(
    ctx,
    {
      service: to,
      scope: '@opentelemetry/instrumentation-http',
      name: route,
      kind: SpanKind.SERVER,
      startNs: serverStart,
      endNs: serverEnd,
      parentSpanId: clientId,
      attributes: httpServer(method, path, status, ctx),
      error,
    },
    serverId,
  );
  return serverEnd + netNs / 2;
}

function dbQuery(
  ctx: Ctx,
  service: string,
  parent: string,
  op: string,
  table: string,
  startNs: number,
): number {
  const dur = (300_000 + ctx.random() * 2_500_000) * (ctx.slow && ctx.random() < 0.3 ? 40 : 1);
  emit(ctx, {
    service,
    scope: '@opentelemetry/instrumentation-pg',
    name: `${op} shop.${table}`,
    kind: SpanKind.CLIENT,
    startNs,
    endNs: startNs + dur,
    parentSpanId: parent,
    attributes: db(op, table, ctx),
  });
  return startNs + dur;
}

function rootSpan(
  ctx: Ctx,
  id: string,
  service: string,
  route: string,
  startNs: number,
  endNs: number,
): void {
  const [method = 'GET', path = '/'] = route.split(' ');
  emit(
    ctx,
    {
      service,
      scope: '@opentelemetry/instrumentation-http',
      name: route,
      kind: SpanKind.SERVER,
      startNs,
      endNs,
      parentSpanId: undefined,
      attributes: httpServer(method, path, ctx.error ? 500 : 200, ctx),
      error: ctx.error,
    },
    id,
  );
}

/**
 * POST /checkout, 12-18 spans: frontend -> checkout -> inventory (parallel fan-out) -> payments ->
 * orders, then an asynchronous hand-off over a queue to notifications after the response.
 */
function checkoutTrace(ctx: Ctx, t0: number): void {
  const rootId = hex(ctx.random, 8);
  const items = 1 + Math.floor(ctx.random() * 3);
  const end = call(ctx, 'frontend', rootId, 'checkout', 'POST /api/checkout', t0 + 300_000, (sid, s) => {
    let fanEnd = s;
    for (let i = 0; i < items; i++) {
      fanEnd = Math.max(
        fanEnd,
        call(ctx, 'checkout', sid, 'inventory', 'GET /stock/:id', s + i * 20_000, (iid, is) =>
          dbQuery(ctx, 'inventory', iid, 'SELECT', 'stock', is),
        ),
      );
    }
    let t = call(
      ctx,
      'checkout',
      sid,
      'payments',
      'POST /charge',
      fanEnd,
      (pid, ps) =>
        dbQuery(ctx, 'payments', pid, 'INSERT', 'charges', ps + 3_000_000 + ctx.random() * 20_000_000),
      ctx.error,
    );
    t = dbQuery(ctx, 'checkout', sid, 'INSERT', 'orders', t);
    const producer = emit(ctx, {
      service: 'checkout',
      scope: '@opentelemetry/instrumentation-amqplib',
      name: 'order.created publish',
      kind: SpanKind.PRODUCER,
      startNs: t,
      endNs: t + 400_000,
      parentSpanId: sid,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'order.created',
        'messaging.operation.type': 'send',
        'messaging.message.id': hex(ctx.random, 8),
        'server.address': 'mq.internal',
      },
    });
    const consumeStart = t + 2_000_000 + ctx.random() * 30_000_000;
    emit(ctx, {
      service: 'notifications',
      scope: '@opentelemetry/instrumentation-amqplib',
      name: 'order.created process',
      kind: SpanKind.CONSUMER,
      startNs: consumeStart,
      endNs: consumeStart + 5_000_000,
      parentSpanId: producer,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'order.created',
        'messaging.operation.type': 'process',
        'messaging.message.id': hex(ctx.random, 8),
      },
    });
    return t + 500_000;
  });
  rootSpan(ctx, rootId, 'frontend', 'POST /checkout', t0, end + 200_000);
}

/** GET /search, 4-7 spans: frontend -> search -> a few DB queries. */
function searchTrace(ctx: Ctx, t0: number): void {
  const rootId = hex(ctx.random, 8);
  const end = call(
    ctx,
    'frontend',
    rootId,
    'search',
    'GET /api/search',
    t0 + 200_000,
    (sid, s) => {
      let t = s;
      const queries = 1 + Math.floor(ctx.random() * 4);
      for (let i = 0; i < queries; i++) t = dbQuery(ctx, 'search', sid, 'SELECT', 'products', t);
      return t;
    },
    ctx.error,
  );
  rootSpan(ctx, rootId, 'frontend', 'GET /search', t0, end + 100_000);
}

/** A Redis GET in `service`; returns its end. */
function cacheGet(ctx: Ctx, service: string, parent: string, key: string, startNs: number): number {
  const dur = 80_000 + ctx.random() * 300_000;
  emit(ctx, {
    service,
    scope: '@opentelemetry/instrumentation-ioredis',
    name: 'GET',
    kind: SpanKind.CLIENT,
    startNs,
    endNs: startNs + dur,
    parentSpanId: parent,
    attributes: redis(key),
  });
  return startNs + dur;
}

/**
 * GET /account, 8-11 spans: frontend -> users (cache, then the database on a miss) -> orders (two
 * queries), then half the time search for recommendations.
 */
function accountTrace(ctx: Ctx, t0: number): void {
  const rootId = hex(ctx.random, 8);
  let t = call(ctx, 'frontend', rootId, 'users', 'GET /users/:id', t0 + 200_000, (uid, us) => {
    const hit = ctx.random() < 0.5;
    const cached = cacheGet(ctx, 'users', uid, `user:${Math.floor(ctx.random() * 100000)}`, us);
    return hit ? cached : dbQuery(ctx, 'users', uid, 'SELECT', 'users', cached);
  });
  t = call(
    ctx,
    'frontend',
    rootId,
    'orders',
    'GET /orders',
    t,
    (oid, os) =>
      dbQuery(
        ctx,
        'orders',
        oid,
        'SELECT',
        'orders',
        dbQuery(ctx, 'orders', oid, 'SELECT', 'order_items', os),
      ),
    ctx.error,
  );
  if (ctx.random() < 0.5) {
    // Served from the search service's memory: a client and a server span, no query.
    t = call(ctx, 'frontend', rootId, 'search', 'GET /recommendations', t, (_, s) => s + 400_000);
  }
  rootSpan(ctx, rootId, 'frontend', 'GET /account', t0, t + 100_000);
}

/** A batch job in orders: hundreds to thousands of sequential DB queries under one root. */
function batchJobTrace(ctx: Ctx, t0: number): void {
  const rootId = hex(ctx.random, 8);
  const n = 200 + Math.floor(ctx.random() ** 3 * 3000);
  let t = t0 + 100_000;
  for (let i = 0; i < n; i++) t = dbQuery(ctx, 'orders', rootId, 'UPDATE', 'orders', t);
  emit(
    ctx,
    {
      service: 'orders',
      scope: 'shop-jobs',
      name: 'reconcile-orders',
      kind: SpanKind.INTERNAL,
      startNs: t0,
      endNs: t + 100_000,
      parentSpanId: undefined,
      attributes: { 'job.name': 'reconcile-orders', 'job.items': n },
      error: ctx.error,
    },
    rootId,
  );
}

export function generateWorkload(options: WorkloadOptions = {}): Workload {
  const random = seededRandom(options.seed ?? 42);
  const traceCount = options.traces ?? 10_000;
  const batchSize = options.batchSize ?? 512;
  const ctx: Ctx = {
    random,
    resources: new Map(),
    scopes: new Map(),
    spans: [],
    traceId: '',
    error: false,
    slow: false,
  };
  const truth: TraceTruth[] = [];
  const startNs = (options.startMs ?? Date.UTC(2026, 10, 24, 12, 0, 0)) * 1e6;
  let t0 = startNs;
  const errorRate = options.errorRate ?? 0.01;
  const slowRate = options.slowRate ?? 0.02;
  const bigRate = options.bigTraceRate ?? 0.01;
  // Seeded phases: trace i is an error when (i * rate + phase) crosses an integer, so exactly
  // `rate` of the traces are errors, spread evenly but not at fixed positions.
  const errorPhase = random();
  const slowPhase = random();
  const crosses = (i: number, rate: number, phase: number): boolean =>
    Math.floor((i + 1) * rate + phase) > Math.floor(i * rate + phase);
  for (let i = 0; i < traceCount; i++) {
    ctx.traceId = hex(random, 16);
    ctx.error = crosses(i, errorRate, errorPhase);
    ctx.slow = crosses(i, slowRate, slowPhase);
    const before = ctx.spans.length;
    const shape = random();
    if (shape < bigRate) batchJobTrace(ctx, t0);
    else if (shape < bigRate + 0.34) checkoutTrace(ctx, t0);
    else if (shape < bigRate + 0.74) accountTrace(ctx, t0);
    else searchTrace(ctx, t0);
    const root = ctx.spans.slice(before).find((span) => !span.parentSpanContext) as ReadableSpan;
    truth.push({
      traceId: ctx.traceId,
      rootService: String(root.resource.attributes['service.name']),
      rootName: root.name,
      spanCount: ctx.spans.length - before,
      durationNano: (root.endTime[0] - root.startTime[0]) * 1e9 + (root.endTime[1] - root.startTime[1]),
      error: ctx.error,
      slow: ctx.slow,
    });
    t0 += 1_000_000 + random() * 4_000_000;
  }
  // Each service exports its finished spans in end-time order, batchSize at a time.
  const byService = new Map<string, ReadableSpan[]>();
  for (const span of ctx.spans) {
    const service = String(span.resource.attributes['service.name']);
    let list = byService.get(service);
    if (!list) {
      list = [];
      byService.set(service, list);
    }
    list.push(span);
  }
  const requests: Array<ExportRequestBody & { firstEnd: number }> = [];
  for (const [service, spans] of byService) {
    spans.sort((a, b) => a.endTime[0] - b.endTime[0] || a.endTime[1] - b.endTime[1]);
    for (let i = 0; i < spans.length; i += batchSize) {
      const batch = spans.slice(i, i + batchSize);
      const protobuf = ProtobufTraceSerializer.serializeRequest(batch);
      const json = JsonTraceSerializer.serializeRequest(batch);
      if (!protobuf || !json) throw new Error('OpenTelemetry serializer returned nothing');
      const first = batch[0] as ReadableSpan;
      requests.push({
        service,
        spanCount: batch.length,
        protobuf,
        json,
        firstEnd: first.endTime[0] * 1e9 + first.endTime[1],
      });
    }
  }
  requests.sort((a, b) => a.firstEnd - b.firstEnd);
  return {
    requests: requests.map(({ firstEnd: _, ...request }) => request),
    truth,
    spanCount: ctx.spans.length,
  };
}

export interface WorkloadShape {
  readonly traces: number;
  readonly spans: number;
  readonly requests: number;
  readonly spansPerTrace: {
    readonly median: number;
    readonly mean: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Traces with 1,000 spans or more. */
  readonly tracesOver1000Spans: number;
  readonly errorShare: number;
  readonly slowShare: number;
  readonly rootDurationMs: { readonly median: number; readonly p99: number; readonly max: number };
  readonly protobufBytesPerSpan: number;
  readonly jsonBytesPerSpan: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The workload's actual shape, so the figures printed next to the results are measured, not claimed. */
export function describeWorkload(workload: Workload): WorkloadShape {
  const sizes = workload.truth.map((t) => t.spanCount).sort((a, b) => a - b);
  const durations = workload.truth.map((t) => t.durationNano / 1e6).sort((a, b) => a - b);
  const traces = workload.truth.length;
  let protobuf = 0;
  let json = 0;
  for (const r of workload.requests) {
    protobuf += r.protobuf.length;
    json += r.json.length;
  }
  return {
    traces,
    spans: workload.spanCount,
    requests: workload.requests.length,
    spansPerTrace: {
      median: quantile(sizes, 0.5),
      mean: workload.spanCount / traces,
      p90: quantile(sizes, 0.9),
      p99: quantile(sizes, 0.99),
      max: sizes[sizes.length - 1] ?? 0,
    },
    tracesOver1000Spans: sizes.filter((n) => n >= 1000).length,
    errorShare: workload.truth.filter((t) => t.error).length / traces,
    slowShare: workload.truth.filter((t) => t.slow).length / traces,
    rootDurationMs: {
      median: quantile(durations, 0.5),
      p99: quantile(durations, 0.99),
      max: durations[durations.length - 1] ?? 0,
    },
    protobufBytesPerSpan: protobuf / workload.spanCount,
    jsonBytesPerSpan: json / workload.spanCount,
  };
}

/**
 * Writes every request body as sent on the wire: `NNNNN-<service>.pb` (application/x-protobuf) and
 * `.json` (application/json), in send order, plus `workload.json` with the per-trace truth, so any
 * OTLP tool or another backend can replay exactly what was measured.
 */
export function saveWorkload(workload: Workload, dir: string): number {
  mkdirSync(dir, { recursive: true });
  workload.requests.forEach((r, i) => {
    const name = `${String(i).padStart(5, '0')}-${r.service}`;
    writeFileSync(join(dir, `${name}.pb`), r.protobuf);
    writeFileSync(join(dir, `${name}.json`), r.json);
  });
  writeFileSync(
    join(dir, 'workload.json'),
    `${JSON.stringify({ shape: describeWorkload(workload), traces: workload.truth }, null, 1)}\n`,
  );
  return workload.requests.length * 2 + 1;
}
