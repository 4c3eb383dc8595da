/**
 * A kept trace (its spans and summary) as a Jaeger trace, mapped as the OpenTelemetry Collector's
 * Jaeger translator maps OTLP (opentelemetry-collector-contrib pkg/translator/jaeger) and laid out
 * as Jaeger's query API writes it (jaegertracing/jaeger internal/uimodel):
 *
 * - ids: lower-case hex, span ids 16 characters; a trace id whose upper 64 bits are zero is
 *   written as its 16 low characters, as Jaeger prints it.
 * - parent span -> first reference, CHILD_OF; each link -> FOLLOWS_FROM (CHILD_OF when the link
 *   carries `opentracing.ref_type` = `child_of`; a link to the parent itself only sets its type).
 * - times: microseconds, truncated; a span ending before it starts lasts 0.
 * - tags, in order: `otel.scope.name`, `otel.scope.version`, the span's attributes, `span.kind`
 *   (client, server, producer, consumer, internal; none when unspecified), `otel.status_code`
 *   (OK or ERROR; none when unset), `error` = true on ERROR, `otel.status_description` (when
 *   non-empty), `w3c.tracestate` (when non-empty), then the dropped counts of the OpenTelemetry
 *   spec for non-OTLP exporters (`otel.dropped_attributes_count`, `otel.dropped_events_count`,
 *   `otel.dropped_links_count`, when non-zero).
 * - events -> logs: an `event` field with the event's name (unless an attribute is named `event`),
 *   then the event's attributes.
 * - resource -> process: `service.name` as the service name, the other attributes as tags.
 *   Processes are keyed p1, p2, ... in the order spans first use them; resources with the same
 *   service name and tags share one key.
 * - flags: 1 (sampled) when the W3C sampled bit is set.
 *
 * tracesift adds its sampling decision as tags on the trace's root span (the summary's root:
 * the span without a parent, else the earliest span whose parent is missing), and only there:
 *
 * | tag                                | type    | value                                           |
 * | ---------------------------------- | ------- | ----------------------------------------------- |
 * | `tracesift.sampling.policy`        | string  | the policy that kept the trace (`errors`, `latency`, `rule:<name>`, `baseline`, ...) |
 * | `tracesift.sampling.probability`   | float64 | probability with which a trace like this is kept (1 for deterministic keeps) |
 * | `tracesift.sampling.adjusted_count`| float64 | 1 / probability: how many traces this one stands for |
 * | `tracesift.sampling.threshold`     | string  | OpenTelemetry consistent-probability threshold (`th`), when set |
 * | `tracesift.sampling.reason`        | string  | why the policy kept it, when given              |
 *
 * The root span is also the first span of the answer, so a client that takes `spans[0]` as the
 * trace's entry point (a search result's name) gets the root. A trace without spans has no Jaeger
 * form: `jaegerTraceOf` returns undefined for it, since Grafana and the Jaeger UI read spans[0].
 */
import {
  type Resource,
  type Span,
  type SpanEvent,
  SpanKind,
  type SpanLink,
  StatusCode,
} from '../../shared/span/model.ts';
import type { TraceSummary } from '../../storage/index.ts';
import {
  type JaegerLog,
  type JaegerProcess,
  type JaegerReference,
  type JaegerSpan,
  type JaegerTag,
  type JaegerTrace,
  RefType,
} from './model.ts';
import { tagsOf } from './tags.ts';

/** The tag keys tracesift adds to the root span; see the table above. */
export const SAMPLING_TAGS = {
  policy: 'tracesift.sampling.policy',
  probability: 'tracesift.sampling.probability',
  adjustedCount: 'tracesift.sampling.adjusted_count',
  threshold: 'tracesift.sampling.threshold',
  reason: 'tracesift.sampling.reason',
} as const;

export type SamplingSummary = Pick<
  TraceSummary,
  'rootSpanId' | 'policy' | 'probability' | 'adjustedCount' | 'threshold' | 'reason'
>;

export interface KeptTraceView {
  readonly spans: readonly Span[];
  readonly summary: SamplingSummary;
}

const SPAN_KIND_TAG: Readonly<Record<SpanKind, string | undefined>> = {
  [SpanKind.UNSPECIFIED]: undefined,
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const W3C_SAMPLED = 0x01;
const JAEGER_SAMPLED = 1;
const SHORT_TRACE_ID_PREFIX = '0'.repeat(16);

/** The Jaeger trace of a kept trace, or undefined when it has no spans. */
export function jaegerTraceOf(trace: KeptTraceView): JaegerTrace | undefined {
  const ordered = rootFirst(trace.spans, trace.summary.rootSpanId);
  const first = ordered[0];
  if (!first) return undefined;
  const processes = new ProcessTable();
  const spans = ordered.map((span, i) => {
    const extras = i === 0 && span.spanId === trace.summary.rootSpanId ? samplingTags(trace.summary) : [];
    return jaegerSpanOf(span, processes.keyOf(span.resource), extras);
  });
  return { traceID: jaegerTraceId(first.traceId), spans, processes: processes.processes(), warnings: null };
}

/** Jaeger prints a trace id whose upper 64 bits are zero as its 16 low hex characters. */
export function jaegerTraceId(traceId: string): string {
  return traceId.length === 32 && traceId.startsWith(SHORT_TRACE_ID_PREFIX) ? traceId.slice(16) : traceId;
}

function rootFirst(spans: readonly Span[], rootSpanId: string): readonly Span[] {
  const root = spans.findIndex((span) => span.spanId === rootSpanId);
  if (root <= 0) return spans;
  return [spans[root] as Span, ...spans.slice(0, root), ...spans.slice(root + 1)];
}

export function jaegerSpanOf(
  span: Span,
  processID: string,
  extraTags: readonly JaegerTag[] = [],
): JaegerSpan {
  const sampled = (span.flags & W3C_SAMPLED) !== 0;
  return {
    traceID: jaegerTraceId(span.traceId),
    spanID: span.spanId,
    ...(sampled ? { flags: JAEGER_SAMPLED } : {}),
    operationName: span.name,
    references: referencesOf(span),
    startTime: micros(span.startTimeUnixNano),
    duration:
      span.endTimeUnixNano > span.startTimeUnixNano
        ? micros(span.endTimeUnixNano - span.startTimeUnixNano)
        : 0,
    tags: [...spanTags(span), ...extraTags],
    logs: span.events.map(logOf),
    processID,
    warnings: null,
  };
}

/** Nanoseconds to whole microseconds, truncated as Jaeger does. */
function micros(nanos: bigint): number {
  return Number(nanos / 1000n);
}

function referencesOf(span: Span): JaegerReference[] {
  const traceID = jaegerTraceId(span.traceId);
  const refs: JaegerReference[] = [];
  const parent = span.parentSpanId === '' ? undefined : span.parentSpanId;
  if (parent) refs.push({ refType: RefType.CHILD_OF, traceID, spanID: parent });
  for (const link of span.links) {
    const ref = { refType: refTypeOf(link), traceID: jaegerTraceId(link.traceId), spanID: link.spanId };
    // A link to the parent says which kind of reference the parent is (an OpenTracing bridge).
    if (parent && ref.traceID === traceID && ref.spanID === parent) refs[0] = ref;
    else refs.push(ref);
  }
  return refs;
}

function refTypeOf(link: SpanLink): RefType {
  return link.attributes['opentracing.ref_type'] === 'child_of' ? RefType.CHILD_OF : RefType.FOLLOWS_FROM;
}

function spanTags(span: Span): JaegerTag[] {
  const tags: JaegerTag[] = [];
  const str = (key: string, value: string): void => {
    if (value !== '') tags.push({ key, type: 'string', value });
  };
  const count = (key: string, value: number): void => {
    if (value > 0) tags.push({ key, type: 'int64', value });
  };
  str('otel.scope.name', span.scope.name);
  str('otel.scope.version', span.scope.version);
  tags.push(...tagsOf(span.attributes));
  str('span.kind', SPAN_KIND_TAG[span.kind] ?? '');
  if (span.status.code === StatusCode.OK) str('otel.status_code', 'OK');
  if (span.status.code === StatusCode.ERROR) {
    str('otel.status_code', 'ERROR');
    tags.push({ key: 'error', type: 'bool', value: true });
  }
  str('otel.status_description', span.status.message);
  str('w3c.tracestate', span.traceState);
  count('otel.dropped_attributes_count', span.droppedAttributesCount);
  count('otel.dropped_events_count', span.droppedEventsCount);
  count('otel.dropped_links_count', span.droppedLinksCount);
  return tags;
}

function logOf(event: SpanEvent): JaegerLog {
  const named = event.name !== '' && !('event' in event.attributes);
  const fields = tagsOf(event.attributes);
  return {
    timestamp: micros(event.timeUnixNano),
    fields: named ? [{ key: 'event', type: 'string', value: event.name }, ...fields] : fields,
  };
}

function samplingTags(summary: SamplingSummary): JaegerTag[] {
  const tags: JaegerTag[] = [
    { key: SAMPLING_TAGS.policy, type: 'string', value: summary.policy },
    { key: SAMPLING_TAGS.probability, type: 'float64', value: summary.probability },
    { key: SAMPLING_TAGS.adjustedCount, type: 'float64', value: summary.adjustedCount },
  ];
  if (summary.threshold !== '')
    tags.push({ key: SAMPLING_TAGS.threshold, type: 'string', value: summary.threshold });
  if (summary.reason !== '') tags.push({ key: SAMPLING_TAGS.reason, type: 'string', value: summary.reason });
  return tags;
}

/** Processes of a trace, one per distinct service name and tags, keyed p1, p2, ... */
class ProcessTable {
  private readonly byResource = new Map<Resource, string>();
  private readonly byContent = new Map<string, string>();
  private readonly entries: Record<string, JaegerProcess> = {};

  public keyOf(resource: Resource): string {
    const known = this.byResource.get(resource);
    if (known) return known;
    const process: JaegerProcess = {
      serviceName: resource.serviceName,
      tags: tagsOf(resource.attributes, 'service.name'),
    };
    // Spans of one ResourceSpans share their Resource object; equal resources sent apart still
    // share a process, as Jaeger compares processes by content.
    const content = JSON.stringify(process);
    let key = this.byContent.get(content);
    if (!key) {
      key = `p${this.byContent.size + 1}`;
      this.byContent.set(content, key);
      this.entries[key] = process;
    }
    this.byResource.set(resource, key);
    return key;
  }

  public processes(): Readonly<Record<string, JaegerProcess>> {
    return this.entries;
  }
}
