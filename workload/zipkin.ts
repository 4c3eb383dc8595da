/**
 * Spans as an OpenTelemetry Zipkin exporter reports them (the specification's "OpenTelemetry to
 * Zipkin Transformation"): Zipkin v2 JSON with the local service from the resource, the resource's
 * other attributes, the scope and the span's attributes as string tags, status as `otel.status_code`
 * and `error`, events as annotations, times in integer microseconds. For the benchmark and the fuzz
 * corpus, which need the workload's traces as Zipkin bodies; the real exporters are tested against
 * the endpoint themselves.
 */
import {
  type AttributeValue,
  type Span,
  SpanKind,
  StatusCode,
  spanDurationNano,
} from '../lambdas/shared/span/model.ts';

const KIND_NAMES: Partial<Record<SpanKind, string>> = {
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

/** A Zipkin v2 span as JSON (zipkin2-api.yaml). */
export interface ZipkinJsonSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string };
  tags: Record<string, string>;
  annotations?: Array<{ timestamp: number; value: string }>;
}

export function zipkinSpanOf(span: Span): ZipkinJsonSpan {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.resource.attributes)) {
    if (key !== 'service.name') tags[key] = tagText(value);
  }
  if (span.scope.name !== '') tags['otel.scope.name'] = span.scope.name;
  if (span.scope.version !== '') tags['otel.scope.version'] = span.scope.version;
  for (const [key, value] of Object.entries(span.attributes)) tags[key] = tagText(value);
  if (span.status.code !== StatusCode.UNSET) {
    tags['otel.status_code'] = span.status.code === StatusCode.ERROR ? 'ERROR' : 'OK';
  }
  if (span.status.code === StatusCode.ERROR) tags.error = span.status.message;
  const kind = KIND_NAMES[span.kind];
  return {
    traceId: span.traceId,
    id: span.spanId,
    ...(span.parentSpanId === '' ? {} : { parentId: span.parentSpanId }),
    name: span.name,
    ...(kind ? { kind } : {}),
    timestamp: Number(span.startTimeUnixNano / 1000n),
    duration: Math.round(spanDurationNano(span) / 1000),
    localEndpoint: { serviceName: span.resource.serviceName },
    tags,
    ...(span.events.length === 0
      ? {}
      : {
          annotations: span.events.map((event) => ({
            timestamp: Number(event.timeUnixNano / 1000n),
            value: event.name,
          })),
        }),
  };
}

/** A Zipkin v2 JSON body (a span list) of the spans. */
export function zipkinBodyOf(spans: readonly Span[]): Uint8Array {
  return Buffer.from(JSON.stringify(spans.map(zipkinSpanOf)));
}

/** Tags are strings: scalars as text, anything else as its JSON. */
function tagText(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
