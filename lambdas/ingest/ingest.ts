/**
 * The ingest stage as a function of plain data: an OTLP/HTTP request in, an HTTP response out,
 * with the stream and shard directory injected. The Lambda handler and the local pipeline both
 * call this.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TracesiftConfig } from '../shared/config/schema.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/emf.ts';
import { decodeTraceRequest } from '../shared/otlp/decode.ts';
import { JsonFormatError, WireFormatError } from '../shared/otlp/errors.ts';
import { decodeTraceRequestJson } from '../shared/otlp/json.ts';
import { CONTENT_TYPES, exportResponseBody, statusBody } from '../shared/otlp/response.ts';
import { type ScanHints, scanTraceRequest } from '../shared/otlp/scan.ts';
import { rejectionMessage, SpanRejection, spanRejection } from '../shared/otlp/validate.ts';
import type { ShardDirectory } from '../shared/routing/shard-directory.ts';
import type { ShardMap } from '../shared/routing/shard-map.ts';
import type { Span } from '../shared/span/model.ts';
import { putAllRecords } from '../shared/stream/put-records.ts';
import {
  IngestError,
  MalformedRequestError,
  PayloadTooLargeError,
  StreamUnavailableError,
} from './errors.ts';
import { type PackResult, packScannedRequest, packSpans, type Routing } from './records.ts';
import { type ExportRequest, type HttpRequest, readExportRequest, responseFormatOf } from './request.ts';
import { applySpanRules, compileSpanRules, newRuleCounters, type SpanRules } from './span-rules.ts';

export interface IngestDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly config: TracesiftConfig;
  readonly shards: ShardDirectory;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export async function ingest(request: HttpRequest, deps: IngestDeps): Promise<HttpResponse> {
  const format = responseFormatOf(request.headers);
  const { metrics } = deps;
  try {
    const exportRequest = readExportRequest(request, deps.config.ingest);
    metrics.add('RequestBytes', exportRequest.wireBytes, 'Bytes');

    const routing: Routing = {
      shardMap: await openShards(deps),
      lanes: deps.config.ingest.lanes,
      maxRecordBytes: deps.config.ingest.maxRecordBytes,
    };
    const { pack, rejected, received } = packExportRequest(exportRequest, routing, deps.config, metrics);
    if (pack.oversizedSpans > 0) rejected.set(SpanRejection.TOO_LARGE, pack.oversizedSpans);
    const rejectedCount = [...rejected.values()].reduce((a, b) => a + b, 0);
    metrics.add('SpansReceived', received);
    metrics.add('SpansRejected', rejectedCount);

    if (pack.records.length > 0) {
      const now = deps.now ?? Date.now;
      const outcome = await putAllRecords(deps.kinesis, pack.records, {
        streamName: deps.streamName,
        deadline: now() + deps.config.ingest.putDeadlineMs,
        now,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
      metrics.add('SpansAccepted', outcome.spansPut);
      metrics.add('RecordsPut', outcome.recordsPut);
      metrics.add('PutRetries', outcome.retries);
      if (outcome.shardMismatch) {
        deps.shards.invalidate();
        metrics.add('ShardMapRefreshes', 1);
      }
      if (outcome.ok) {
        metrics.add(
          'RecordBytes',
          pack.records.reduce((sum, r) => sum + r.data.length, 0),
          'Bytes',
        );
      } else {
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
    }
    return {
      statusCode: 200,
      headers: { 'content-type': CONTENT_TYPES[format] },
      body: exportResponseBody(format, rejectedCount, rejectionMessage(rejected)),
    };
  } catch (error) {
    if (!(error instanceof IngestError)) throw error;
    metrics.add(`Responses${error.statusCode}`, 1);
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[format] };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    return { statusCode: error.statusCode, headers, body: statusBody(format, error.rpcCode, error.message) };
  }
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

/** Body -> records: the CPU part of ingest, separate from the I/O so the benchmark measures exactly it. */
export function packExportRequest(
  request: ExportRequest,
  routing: Routing,
  config: TracesiftConfig,
  metrics: Metrics,
): Packed {
  return request.format === 'protobuf'
    ? packProtobuf(request.body, routing, config, metrics)
    : packJson(request.body, routing, config, metrics);
}

function checkSpanCount(count: number, config: TracesiftConfig): void {
  if (count > config.ingest.maxSpansPerRequest) {
    throw new PayloadTooLargeError(
      `request holds ${count} spans, more than the limit of ${config.ingest.maxSpansPerRequest}`,
    );
  }
}

const compiledRules = new WeakMap<TracesiftConfig, { rules: SpanRules; hints: ScanHints }>();

/** The span rules of a configuration, compiled once per configuration object. */
function rulesOf(config: TracesiftConfig): { rules: SpanRules; hints: ScanHints } {
  let compiled = compiledRules.get(config);
  if (!compiled) {
    const rules = compileSpanRules(config);
    const limits = config.ingest.limits;
    compiled = {
      rules,
      hints: {
        maxAttributes: limits.maxAttributesPerSpan,
        maxEvents: limits.maxEventsPerSpan,
        maxLinks: limits.maxLinksPerSpan,
        // UTF-8 never takes fewer bytes than UTF-16 code units, so a value within this many bytes is within the limit.
        maxValueBytes: limits.maxAttributeValueLength,
        ...(rules.hasKeyRules
          ? { keyNeedsRewrite: (key: string) => rules.keyAction(key) !== undefined }
          : {}),
      },
    };
    compiledRules.set(config, compiled);
  }
  return compiled;
}

function packProtobuf(body: Uint8Array, routing: Routing, config: TracesiftConfig, metrics: Metrics): Packed {
  const { rules, hints } = rulesOf(config);
  let scan: ReturnType<typeof scanTraceRequest>;
  try {
    scan = scanTraceRequest(body, hints);
  } catch (error) {
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
  checkSpanCount(received, config);
  if (!scan.needsRewrite && rules.valueRules.length === 0) {
    return { pack: packScannedRequest(scan, routing), rejected, received };
  }
  // Slow path, only for requests with something to truncate or redact (or with value rules, which
  // need every string): full decode, rewrite, re-encode. The scan already proved the bytes decode.
  const valid = decodeTraceRequest(body).filter((span) => spanRejection(span) === undefined);
  metrics.add('RequestsRewritten', 1);
  return { pack: packSpans(rewrite(valid, rules, metrics), routing), rejected, received };
}

function rewrite(spans: readonly Span[], rules: SpanRules, metrics: Metrics): Span[] {
  const counters = newRuleCounters();
  const out = applySpanRules(spans, rules, counters);
  metrics.add('AttributesRedacted', counters.attributesRedacted);
  metrics.add('ValuesRedacted', counters.valuesRedacted);
  metrics.add('ValuesTruncated', counters.valuesTruncated);
  metrics.add('SpanItemsDropped', counters.itemsDropped);
  return out;
}

function packJson(body: Uint8Array, routing: Routing, config: TracesiftConfig, metrics: Metrics): Packed {
  let spans: Span[];
  try {
    spans = decodeTraceRequestJson(
      Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    );
  } catch (error) {
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
  checkSpanCount(spans.length, config);
  const rejected = new Map<SpanRejection, number>();
  const valid: Span[] = [];
  for (const span of spans) {
    const reason = spanRejection(span);
    if (reason) rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
    else valid.push(span);
  }
  return {
    pack: packSpans(rewrite(valid, rulesOf(config).rules, metrics), routing),
    rejected,
    received: spans.length,
  };
}
