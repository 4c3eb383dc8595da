/**
 * The one internal representation of a span, shared by every stage of tracesift.
 *
 * It mirrors the OTLP data model (opentelemetry/proto/trace/v1/trace.proto) with ids as lowercase
 * hex and times as bigint nanoseconds, so nothing is lost between the wire and the stores.
 * `resource` and `scope` objects are shared by every span that came in the same ResourceSpans /
 * ScopeSpans, which lets encoders regroup spans without comparing attribute maps.
 */

/** OTLP AnyValue. int64 values are `number` when they fit in 2^53, `bigint` otherwise. */
export type AttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | readonly AttributeValue[]
  | KeyValueList;

/** OTLP KeyValueList: a nested map. Plain objects are always kvlists, never other types. */
export interface KeyValueList {
  readonly [key: string]: AttributeValue;
}

export type Attributes = Record<string, AttributeValue>;

/**
 * A new, empty attribute map. Attribute keys come from senders, so maps have no prototype: a key
 * such as `__proto__`, `constructor` or `toString` is an ordinary attribute, never an inherited
 * member (a `__proto__` key on a plain object would replace its prototype, and its entries would
 * then be enumerated as attributes without passing any limit or redaction rule).
 */
export function newAttributes(): Attributes {
  return Object.create(null) as Attributes;
}

/** SpanKind as in the OTLP enum. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** Status code as in the OTLP enum. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface Resource {
  /** `service.name` of the resource, or `unknown_service` as the OpenTelemetry SDKs default it. */
  readonly serviceName: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface SpanStatus {
  readonly code: StatusCode;
  readonly message: string;
}

export interface Span {
  /** 32 lowercase hex characters, never all zero. */
  readonly traceId: string;
  /** 16 lowercase hex characters, never all zero. */
  readonly spanId: string;
  /** 16 lowercase hex characters, or '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  /** W3C trace flags in the low 8 bits, OTLP span flags above. */
  readonly flags: number;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly events: readonly SpanEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly SpanLink[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
}

export const UNKNOWN_SERVICE = 'unknown_service';

/** Span duration in nanoseconds as a number (exact below 104 days); 0 when end precedes start. */
export function spanDurationNano(span: Pick<Span, 'startTimeUnixNano' | 'endTimeUnixNano'>): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d) : 0;
}

export function isRootSpan(span: Pick<Span, 'parentSpanId'>): boolean {
  return span.parentSpanId === '';
}

/** Builds a Resource, deriving the service name the way the OpenTelemetry SDKs do. */
export function makeResource(attributes: Attributes, droppedAttributesCount = 0, schemaUrl = ''): Resource {
  const serviceName = attributes['service.name'];
  return {
    serviceName: typeof serviceName === 'string' && serviceName !== '' ? serviceName : UNKNOWN_SERVICE,
    attributes,
    droppedAttributesCount,
    schemaUrl,
  };
}

export const EMPTY_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: Object.freeze(newAttributes()),
  droppedAttributesCount: 0,
  schemaUrl: '',
});
