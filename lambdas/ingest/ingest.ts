/**
 * The ingest stage as a function of plain data: an OTLP/HTTP request (or a Zipkin v2 span report)
 * in, an HTTP response out, with the stream and shard directory injected. The Lambda handler and
 * the local pipeline both call this. Both protocols end in the same records with the same
 * guarantees (limits, redaction, per-trace rate, an answer of success only once every record is
 * in the stream); they differ in how they answer.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TracesiftConfig } from '../shared/config/index.ts';
import type { Logger } from '../shared/log.ts';
import { type Metrics, RESPONSE_METRICS } from '../shared/metrics/index.ts';
import {
  CONTENT_TYPES,
  type CutCounts,
  decodeTraceRequestJson,
  exportResponseBody,
  JsonFormatError,
  newCutCounts,
  rejectionMessage,
  type ScanHints,
  type ScannedRequest,
  SpanRejection,
  scanTraceRequest,
  spanRejection,
  statusBody,
  TooManySpansError,
  WireFormatError,
} from '../shared/otlp/index.ts';
import type { ShardDirectory, ShardMap } from '../shared/routing/index.ts';
import type { Span } from '../shared/span/model.ts';
import { putWithDeadline } from '../shared/stream/index.ts';
import { corsHeaders } from './cors.ts';
import {
  IngestError,
  MalformedRequestError,
  PayloadTooLargeError,
  StreamUnavailableError,
} from './errors.ts';
import type { HashKeyring } from './hash-keys.ts';
import { type PackResult, packScannedRequest, packSpans, type Routing } from './records.ts';
import {
  type ExportRequest,
  type HttpRequest,
  type Protocol,
  protocolOf,
  readExportRequest,
  responseFormatOf,
} from './request.ts';
import { rewriteScannedRequest } from './rewrite.ts';
import {
  applySpanRules,
  compileSpanRules,
  newRuleCounters,
  type RuleCounters,
  type SpanRules,
} from './span-rules.ts';
import { groupScannedSpans, meterScannedTraces } from './trace-groups.ts';
import { admitTraces, estimatedSpanBytes, type TraceRateLimiter } from './trace-rate.ts';
import { decodeZipkinJson } from './zipkin/decode.ts';
import { ZipkinError, ZipkinSpanCountError } from './zipkin/errors.ts';
import { translateZipkinSpans } from './zipkin/translate.ts';

export interface IngestDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly config: TracesiftConfig;
  readonly shards: ShardDirectory;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** This container's per-trace write rate (trace-rate.ts), kept across invocations. */
  readonly traceRate: TraceRateLimiter;
  /** The secret keys of `hash` redaction rules, read once at start-up (required when a rule hashes). */
  readonly hashKeys?: HashKeyring | undefined;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export async function ingest(request: HttpRequest, deps: IngestDeps): Promise<HttpResponse> {
  const response = await answer(request, deps);
  // Every answer, errors included, so a browser exporter on an allowed origin sees its status.
  const cors = corsHeaders(request.headers.origin, deps.config.ingest.cors.allowedOrigins);
  return { ...response, headers: { ...response.headers, ...cors } };
}

async function answer(request: HttpRequest, deps: IngestDeps): Promise<HttpResponse> {
  const protocol = protocolOf(request);
  const answers = protocol === 'zipkin' ? ZIPKIN_ANSWERS : otlpAnswers(responseFormatOf(request.headers));
  try {
    return answers.accepted(await accept(request, protocol, deps));
  } catch (error) {
    if (!(error instanceof IngestError)) throw error;
    deps.metrics.add(RESPONSE_METRICS[error.statusCode], 1);
    return answers.refused(error);
  }
}

/** How a protocol answers a request whose records are all in the stream, and one refused. */
interface Answers {
  accepted(rejected: ReadonlyMap<SpanRejection, number>): HttpResponse;
  refused(error: IngestError): HttpResponse;
}

function otlpAnswers(format: 'protobuf' | 'json'): Answers {
  const contentType = { 'content-type': CONTENT_TYPES[format] };
  return {
    accepted: (rejected) => ({
      statusCode: 200,
      headers: contentType,
      body: exportResponseBody(format, rejectedCount(rejected), rejectionMessage(rejected)),
    }),
    refused: (error) => ({
      statusCode: error.statusCode,
      headers: { ...contentType, ...retryAfter(error) },
      body: statusBody(format, error.rpcCode, error.message),
    }),
  };
}

/**
 * Zipkin's API answers a report 202 with no body, errors with a text message. It has no partial
 * success: spans left out of an accepted report (over their trace's write rate, or too large for
 * a record) are counted in SpansRejected, and the client cannot be told.
 */
const ZIPKIN_ANSWERS: Answers = {
  accepted: () => ({ statusCode: 202, headers: {}, body: new Uint8Array() }),
  refused: (error) => ({
    statusCode: error.statusCode,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...retryAfter(error) },
    body: Buffer.from(error.message),
  }),
};

function retryAfter(error: IngestError): Record<string, string> {
  return error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
}

function rejectedCount(rejected: ReadonlyMap<SpanRejection, number>): number {
  return [...rejected.values()].reduce((a, b) => a + b, 0);
}

/** Reads, packs and puts a request; what it rejected inside, once every record is in the stream. */
async function accept(
  request: HttpRequest,
  protocol: Protocol,
  deps: IngestDeps,
): Promise<ReadonlyMap<SpanRejection, number>> {
  const { metrics } = deps;
  const exportRequest = readExportRequest(request, deps.config.ingest, protocol);
  metrics.add('RequestBytes', exportRequest.wireBytes, 'Bytes');

  const routing: Routing = {
    shardMap: await openShards(deps),
    lanes: deps.config.ingest.lanes,
    maxRecordBytes: deps.config.ingest.maxRecordBytes,
  };
  const { pack, rejected, received } = packExportRequest(exportRequest, routing, {
    config: deps.config,
    metrics,
    traceRate: deps.traceRate,
    hashKeys: deps.hashKeys,
  });
  if (pack.oversizedSpans > 0) rejected.set(SpanRejection.TOO_LARGE, pack.oversizedSpans);
  metrics.add('SpansReceived', received);
  metrics.add('SpansRejected', rejectedCount(rejected));

  if (pack.records.length > 0) await putPacked(pack, deps);
  return rejected;
}

/** Puts the request's records; anything not in the stream by the deadline is a 429/503 to retry. */
async function putPacked(pack: PackResult, deps: IngestDeps): Promise<void> {
  const { metrics } = deps;
  const outcome = await putWithDeadline(pack.records, {
    kinesis: deps.kinesis,
    streamName: deps.streamName,
    deadlineMs: deps.config.ingest.putDeadlineMs,
    now: deps.now ?? Date.now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    shards: deps.shards,
    metrics,
  });
  metrics.add('SpansAccepted', outcome.spansPut);
  if (outcome.ok) {
    metrics.add(
      'RecordBytes',
      pack.records.reduce((sum, r) => sum + r.data.length, 0),
      'Bytes',
    );
    return;
  }
  metrics.add('SpansNotAccepted', outcome.spansFailed);
  deps.logger.log('warn', 'stream did not accept every record before the deadline', {
    recordsFailed: outcome.recordsFailed,
    spansFailed: outcome.spansFailed,
    throttled: outcome.throttled,
    lastError: outcome.lastError,
  });
  throw new StreamUnavailableError(
    outcome.throttled
      ? 'the trace stream is throttling writes; retry later'
      : 'the trace stream is unavailable; retry later',
    outcome.throttled,
    deps.config.ingest.retryAfterSeconds,
  );
}

async function openShards(deps: IngestDeps): Promise<ShardMap | undefined> {
  try {
    return await deps.shards.openShards();
  } catch (error) {
    // Without a map every trace gets records of its own: less packing, same correctness.
    deps.logger.log('warn', 'could not list shards; writing unpacked records', { error });
    deps.metrics.add('ShardListFailures', 1);
    return undefined;
  }
}

export interface Packed {
  readonly pack: PackResult;
  readonly rejected: Map<SpanRejection, number>;
  readonly received: number;
}

/** What packing a request needs besides the request: the configuration and the container's state. */
export interface PackContext {
  readonly config: TracesiftConfig;
  readonly metrics: Metrics;
  readonly traceRate: TraceRateLimiter;
  /** The secret keys of `hash` redaction rules (required when a rule hashes). */
  readonly hashKeys?: HashKeyring | undefined;
}

/** Body -> records: the CPU part of ingest, separate from the I/O so the benchmark measures exactly it. */
export function packExportRequest(request: ExportRequest, routing: Routing, context: PackContext): Packed {
  switch (request.format) {
    case 'protobuf':
      return packProtobuf(request.body, routing, context);
    case 'json':
      return packJson(request.body, routing, context);
    default:
      return packZipkin(request.body, routing, context);
  }
}

type CompiledRules = { rules: SpanRules; hints: ScanHints };
const compiledRules = new WeakMap<TracesiftConfig, Map<HashKeyring | undefined, CompiledRules>>();

/** The span rules of a configuration and keyring, compiled once per pair of objects. */
function rulesOf(config: TracesiftConfig, hashKeys: HashKeyring | undefined): CompiledRules {
  let byKeys = compiledRules.get(config);
  if (!byKeys) {
    byKeys = new Map();
    compiledRules.set(config, byKeys);
  }
  let compiled = byKeys.get(hashKeys);
  if (!compiled) {
    const rules = compileSpanRules(config, hashKeys);
    const limits = config.ingest.limits;
    compiled = {
      rules,
      hints: {
        maxAttributes: limits.maxAttributesPerSpan,
        maxEvents: limits.maxEventsPerSpan,
        maxLinks: limits.maxLinksPerSpan,
        maxValues: limits.maxValuesPerSpan,
        // UTF-8 never takes fewer bytes than UTF-16 code units, so a value within this many bytes is within the limit.
        maxValueBytes: limits.maxAttributeValueLength,
        ...(rules.hasKeyRules
          ? { keyNeedsRewrite: (key: string) => rules.keyAction(key) !== undefined }
          : {}),
      },
    };
    byKeys.set(hashKeys, compiled);
  }
  return compiled;
}

function packProtobuf(body: Uint8Array, routing: Routing, context: PackContext): Packed {
  const { config, metrics, traceRate } = context;
  const { rules, hints } = rulesOf(config, context.hashKeys);
  let scan: ReturnType<typeof scanTraceRequest>;
  try {
    scan = scanTraceRequest(body, hints, config.ingest.maxSpansPerRequest);
  } catch (error) {
    if (error instanceof TooManySpansError) throw new PayloadTooLargeError(error.message);
    if (error instanceof WireFormatError) {
      throw new MalformedRequestError(
        `body is not a valid OTLP ExportTraceServiceRequest: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const rejected = new Map(scan.rejected);
  const received = scan.spans.length + [...rejected.values()].reduce((a, b) => a + b, 0);
  if (!scan.needsRewrite && rules.valueRules.length === 0) {
    return { pack: packWithinTraceRate(scan, routing, traceRate, rejected), rejected, received };
  }
  // Slow path, only for requests with something to cut, truncate or redact (or with value rules,
  // which need every string): span by span, decode within the limits, rewrite, re-encode; then the
  // new body is packed like any other. The scan already proved the bytes decode.
  const counters = newRuleCounters();
  const cut = newCutCounts();
  const rewritten = scanTraceRequest(rewriteScannedRequest(scan, rules, counters, cut));
  metrics.add('RequestsRewritten', 1);
  addRuleMetrics(metrics, counters, cut);
  return { pack: packWithinTraceRate(rewritten, routing, traceRate, rejected), rejected, received };
}

/**
 * Packs the request without the spans of traces over their write rate, which are counted as
 * rejected; metering and packing share one grouping of the spans by trace.
 */
function packWithinTraceRate(
  scan: ScannedRequest,
  routing: Routing,
  traceRate: TraceRateLimiter,
  rejected: Map<SpanRejection, number>,
): PackResult {
  const { groups, refusedSpans } = meterScannedTraces(scan, groupScannedSpans(scan), traceRate);
  if (refusedSpans > 0) rejected.set(SpanRejection.TRACE_RATE, refusedSpans);
  return packScannedRequest(scan, routing, groups);
}

function addRuleMetrics(metrics: Metrics, counters: RuleCounters, cut: CutCounts): void {
  metrics.add('AttributesRedacted', counters.attributesRedacted + cut.attributesRedacted);
  metrics.add('ValuesRedacted', counters.valuesRedacted);
  metrics.add('ValuesTruncated', counters.valuesTruncated);
  metrics.add('SpanItemsDropped', counters.itemsDropped + cut.itemsDropped);
}

function packJson(body: Uint8Array, routing: Routing, context: PackContext): Packed {
  const { config } = context;
  const { rules } = rulesOf(config, context.hashKeys);
  const cut = newCutCounts();
  let spans: Span[];
  try {
    spans = decodeTraceRequestJson(textOf(body), {
      limits: rules.decodeLimits,
      counts: cut,
      maxSpans: config.ingest.maxSpansPerRequest,
    });
  } catch (error) {
    if (error instanceof TooManySpansError) throw new PayloadTooLargeError(error.message);
    if (error instanceof JsonFormatError) {
      throw new MalformedRequestError(
        `body is not a valid OTLP/JSON ExportTraceServiceRequest: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const rejected = new Map<SpanRejection, number>();
  const valid: Span[] = [];
  for (const span of spans) {
    const reason = spanRejection(span);
    if (reason) rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
    else valid.push(span);
  }
  return { pack: packDecoded(valid, rejected, cut, routing, context), rejected, received: spans.length };
}

/**
 * A Zipkin v2 JSON span list: every span valid or the whole request refused (Zipkin has no partial
 * success), translated to the span model and packed as decoded JSON spans are. The limits and
 * redaction rules apply after translation: JSON.parse has materialised the body already, and
 * Zipkin's flat string tags leave nothing nested for the decoder to skip.
 */
function packZipkin(body: Uint8Array, routing: Routing, context: PackContext): Packed {
  let spans: Span[];
  try {
    spans = translateZipkinSpans(
      decodeZipkinJson(textOf(body), { maxSpans: context.config.ingest.maxSpansPerRequest }),
    );
  } catch (error) {
    if (error instanceof ZipkinSpanCountError) throw new PayloadTooLargeError(error.message);
    if (error instanceof ZipkinError) {
      throw new MalformedRequestError(`body is not a valid Zipkin v2 span list: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const rejected = new Map<SpanRejection, number>();
  return {
    pack: packDecoded(spans, rejected, newCutCounts(), routing, context),
    rejected,
    received: spans.length,
  };
}

/** Decoded valid spans -> records: the per-trace write rate, the span rules, packing. */
function packDecoded(
  spans: readonly Span[],
  rejected: Map<SpanRejection, number>,
  cut: CutCounts,
  routing: Routing,
  context: PackContext,
): PackResult {
  const { rules } = rulesOf(context.config, context.hashKeys);
  const { admitted, refused } = admitTraces(
    spans,
    (span) => span.traceId,
    (traceSpans) => traceSpans.reduce((sum, span) => sum + estimatedSpanBytes(span), 0),
    context.traceRate,
  );
  if (refused > 0) rejected.set(SpanRejection.TRACE_RATE, refused);
  const counters = newRuleCounters();
  const pack = packSpans(applySpanRules([...admitted], rules, counters), routing);
  addRuleMetrics(context.metrics, counters, cut);
  return pack;
}

function textOf(body: Uint8Array): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}
