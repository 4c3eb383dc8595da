/**
 * The synthetic canary: sends one known trace through the public OTLP endpoint, as an exporter
 * does (protobuf, gzip, ingest API key), then reads it back by id through the query API with the
 * read key (writers cannot read) until it is there or the deadline passes. It measures what users rely on end to end: accepted, decided, stored, readable.
 *
 * The trace is kept whatever the traffic: its trace id ends in seven 0xff bytes, the largest
 * randomness consistent probability sampling knows, so the baseline (and any budget probability
 * above 0) keeps it; its service is `tracesift-canary`, so it can be filtered out of analyses. It is
 * never an error, so error rates and error alarms do not see it.
 *
 * Metrics (Function=canary): CanaryTracesSent, CanaryTracesFound, CanaryTracesLost (not readable by
 * the deadline), CanaryReadLatency (ms from the export's answer to the first complete read).
 */
import { gzipSync } from 'node:zlib';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import { encodeTraceRequest } from '../shared/otlp/index.ts';
import {
  EMPTY_SCOPE,
  makeResource,
  newAttributes,
  type Span,
  SpanKind,
  StatusCode,
} from '../shared/span/model.ts';
import { CanaryRejectedError } from './errors.ts';

export const CANARY_SERVICE = 'tracesift-canary';

/** One of the pipeline's APIs as the canary calls it. */
export interface CanaryApi {
  /** The API's base URL (the stage URL), with or without a trailing slash. */
  readonly endpoint: string;
  readonly apiKey: () => Promise<string>;
}

export interface CanaryDeps {
  /** Where the trace is exported, with an ingest key. */
  readonly ingest: CanaryApi;
  /** Where the trace is read back, with a read key. */
  readonly query: CanaryApi;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** `n` random bytes (the trace id's leading bytes and the span ids). */
  readonly randomBytes: (n: number) => Uint8Array;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** How long after the export the trace must be readable. */
  readonly readDeadlineMs: number;
  readonly pollIntervalMs: number;
}

export interface CanaryOutcome {
  readonly traceId: string;
  /** Undefined when the trace was not readable by the deadline. */
  readonly readLatencyMs: number | undefined;
}

export async function runCanary(deps: CanaryDeps): Promise<CanaryOutcome> {
  const spans = canaryTrace(deps.now(), deps.randomBytes);
  const traceId = spans[0]?.traceId as string;
  await exportTrace(spans, await deps.ingest.apiKey(), deps);
  deps.metrics.add('CanaryTracesSent', 1);
  const sentAt = deps.now();
  const readLatencyMs = await readBack(traceId, spans.length, await deps.query.apiKey(), sentAt, deps);
  if (readLatencyMs === undefined) {
    deps.metrics.add('CanaryTracesLost', 1);
    deps.logger.log('error', 'canary trace not readable by the deadline', {
      traceId,
      deadlineMs: deps.readDeadlineMs,
    });
  } else {
    deps.metrics.add('CanaryTracesFound', 1);
    deps.metrics.add('CanaryReadLatency', readLatencyMs, 'Milliseconds');
    deps.logger.log('info', 'canary trace read back', { traceId, readLatencyMs });
  }
  return { traceId, readLatencyMs };
}

/** A server span and its client child, ended a moment ago; the id kept by any probability above 0. */
export function canaryTrace(nowMs: number, randomBytes: (n: number) => Uint8Array): Span[] {
  const traceId = `${hex(randomBytes(9))}${'ff'.repeat(7)}`;
  const resource = makeResource(Object.assign(newAttributes(), { 'service.name': CANARY_SERVICE }));
  const end = BigInt(nowMs) * 1_000_000n;
  const span = (
    spanId: string,
    parentSpanId: string,
    name: string,
    kind: Span['kind'],
    ms: number,
  ): Span => ({
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: 1,
    name,
    kind,
    startTimeUnixNano: end - BigInt(ms) * 1_000_000n,
    endTimeUnixNano: end,
    attributes: newAttributes(),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.OK, message: '' },
    resource,
    scope: EMPTY_SCOPE,
  });
  const rootId = nonZeroHex(randomBytes(8));
  return [
    span(rootId, '', 'canary', SpanKind.SERVER, 20),
    span(nonZeroHex(randomBytes(8)), rootId, 'canary child', SpanKind.CLIENT, 10),
  ];
}

async function exportTrace(spans: readonly Span[], apiKey: string, deps: CanaryDeps): Promise<void> {
  const response = await deps.fetch(url(deps.ingest.endpoint, 'v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', 'x-api-key': apiKey },
    body: gzipSync(encodeTraceRequest(spans)),
  });
  if (response.status !== 200) throw new CanaryRejectedError(response.status, await response.text());
}

/** Polls the trace by id; the latency once it holds every span, undefined past the deadline. */
async function readBack(
  traceId: string,
  spanCount: number,
  apiKey: string,
  sentAt: number,
  deps: CanaryDeps,
): Promise<number | undefined> {
  while (deps.now() - sentAt <= deps.readDeadlineMs) {
    const response = await deps.fetch(url(deps.query.endpoint, `v1/traces/${traceId}`), {
      headers: { 'x-api-key': apiKey, 'accept-encoding': 'gzip' },
    });
    if (response.status === 200 && countSpans(await response.json()) >= spanCount) return deps.now() - sentAt;
    if (response.status !== 200 && response.status !== 404) {
      deps.logger.log('warn', 'canary read answered', { traceId, status: response.status });
    }
    await deps.sleep(deps.pollIntervalMs);
  }
  return undefined;
}

/** Spans in an OTLP JSON TracesData document. */
function countSpans(doc: unknown): number {
  const resourceSpans = (doc as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> })
    .resourceSpans;
  let n = 0;
  for (const r of resourceSpans ?? []) for (const s of r.scopeSpans ?? []) n += s.spans?.length ?? 0;
  return n;
}

function url(endpoint: string, path: string): string {
  return `${endpoint.endsWith('/') ? endpoint : `${endpoint}/`}${path}`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Span ids are never all zero. */
function nonZeroHex(bytes: Uint8Array): string {
  const id = hex(bytes);
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}
