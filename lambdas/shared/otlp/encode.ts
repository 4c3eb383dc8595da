/**
 * Full encoder: Span[] -> OTLP protobuf ExportTraceServiceRequest (byte-identical to TracesData).
 * Spans are regrouped under their Resource and InstrumentationScope by object identity, in
 * first-seen order; default values are omitted, as proto3 serializers do.
 */

import { bytesOfHex } from '../span/ids.ts';
import type {
  Attributes,
  AttributeValue,
  InstrumentationScope,
  Resource,
  Span,
  SpanEvent,
  SpanLink,
} from '../span/model.ts';
import { OtlpField } from './fields.ts';
import { ProtoWriter, WireType } from './wire.ts';

// Module constants, not imported bindings: V8 folds them into the hot loops (see fields.ts).
const {
  AnyValueField,
  ArrayValueField,
  KeyValueField,
  KeyValueListField,
  ResourceField,
  ResourceSpansField,
  ScopeField,
  ScopeSpansField,
  SpanEventField,
  SpanField,
  SpanLinkField,
  StatusField,
  TraceRequestField,
} = OtlpField;

export function encodeTraceRequest(spans: readonly Span[], writer = new ProtoWriter(64 * 1024)): Uint8Array {
  writer.reset();
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    writer.tag(TraceRequestField.RESOURCE_SPANS, WireType.LEN).fork();
    writeResource(writer, resource);
    for (const [scope, scopeSpans] of scopes) {
      writer.tag(ResourceSpansField.SCOPE_SPANS, WireType.LEN).fork();
      writeScope(writer, scope);
      for (const span of scopeSpans) {
        writer.tag(ScopeSpansField.SPANS, WireType.LEN).fork();
        writeSpan(writer, span);
        writer.join();
      }
      if (scope.schemaUrl !== '')
        writer.tag(ScopeSpansField.SCHEMA_URL, WireType.LEN).string(scope.schemaUrl);
      writer.join();
    }
    if (resource.schemaUrl !== '')
      writer.tag(ResourceSpansField.SCHEMA_URL, WireType.LEN).string(resource.schemaUrl);
    writer.join();
  }
  return writer.finish();
}

/**
 * Writes an ExportTraceServiceRequest one span at a time, so that a caller rewriting a request
 * never holds more than one decoded span: a new ResourceSpans (ScopeSpans) starts whenever a span's
 * resource (scope) is another object than the previous span's.
 */
export class TraceRequestWriter {
  private readonly w: ProtoWriter;
  private resource: Resource | undefined;
  private scope: InstrumentationScope | undefined;

  public constructor(writer: ProtoWriter) {
    this.w = writer.reset();
  }

  public add(span: Span): void {
    const w = this.w;
    if (span.resource !== this.resource) {
      this.closeResource();
      w.tag(TraceRequestField.RESOURCE_SPANS, WireType.LEN).fork();
      writeResource(w, span.resource);
      this.resource = span.resource;
    }
    if (span.scope !== this.scope) {
      this.closeScope();
      w.tag(ResourceSpansField.SCOPE_SPANS, WireType.LEN).fork();
      writeScope(w, span.scope);
      this.scope = span.scope;
    }
    w.tag(ScopeSpansField.SPANS, WireType.LEN).fork();
    writeSpan(w, span);
    w.join();
  }

  public finish(): Uint8Array {
    this.closeResource();
    return this.w.finish();
  }

  private closeScope(): void {
    if (!this.scope) return;
    if (this.scope.schemaUrl !== '')
      this.w.tag(ScopeSpansField.SCHEMA_URL, WireType.LEN).string(this.scope.schemaUrl);
    this.w.join();
    this.scope = undefined;
  }

  private closeResource(): void {
    this.closeScope();
    if (!this.resource) return;
    if (this.resource.schemaUrl !== '')
      this.w.tag(ResourceSpansField.SCHEMA_URL, WireType.LEN).string(this.resource.schemaUrl);
    this.w.join();
    this.resource = undefined;
  }
}

export function groupByResourceAndScope(
  spans: readonly Span[],
): Map<Resource, Map<InstrumentationScope, Span[]>> {
  const groups = new Map<Resource, Map<InstrumentationScope, Span[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (!scopes) {
      scopes = new Map();
      groups.set(span.resource, scopes);
    }
    let list = scopes.get(span.scope);
    if (!list) {
      list = [];
      scopes.set(span.scope, list);
    }
    list.push(span);
  }
  return groups;
}

function writeResource(w: ProtoWriter, resource: Resource): void {
  w.tag(ResourceSpansField.RESOURCE, WireType.LEN).fork();
  writeAttributes(w, ResourceField.ATTRIBUTES, resource.attributes);
  if (resource.droppedAttributesCount)
    w.tag(ResourceField.DROPPED_ATTRIBUTES_COUNT, WireType.VARINT).uint32(resource.droppedAttributesCount);
  w.join();
}

function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  w.tag(ScopeSpansField.SCOPE, WireType.LEN).fork();
  if (scope.name !== '') w.tag(ScopeField.NAME, WireType.LEN).string(scope.name);
  if (scope.version !== '') w.tag(ScopeField.VERSION, WireType.LEN).string(scope.version);
  writeAttributes(w, ScopeField.ATTRIBUTES, scope.attributes);
  if (scope.droppedAttributesCount)
    w.tag(ScopeField.DROPPED_ATTRIBUTES_COUNT, WireType.VARINT).uint32(scope.droppedAttributesCount);
  w.join();
}

/** Writes the fields of one Span message (without its own tag and length). */
export function writeSpan(w: ProtoWriter, span: Span): void {
  writeId(w, SpanField.TRACE_ID, span.traceId);
  writeId(w, SpanField.SPAN_ID, span.spanId);
  if (span.traceState !== '') w.tag(SpanField.TRACE_STATE, WireType.LEN).string(span.traceState);
  if (span.parentSpanId !== '') writeId(w, SpanField.PARENT_SPAN_ID, span.parentSpanId);
  if (span.name !== '') w.tag(SpanField.NAME, WireType.LEN).string(span.name);
  if (span.kind !== 0) w.tag(SpanField.KIND, WireType.VARINT).uint32(span.kind);
  w.tag(SpanField.START_TIME_UNIX_NANO, WireType.I64).fixed64(span.startTimeUnixNano);
  w.tag(SpanField.END_TIME_UNIX_NANO, WireType.I64).fixed64(span.endTimeUnixNano);
  writeAttributes(w, SpanField.ATTRIBUTES, span.attributes);
  if (span.droppedAttributesCount)
    w.tag(SpanField.DROPPED_ATTRIBUTES_COUNT, WireType.VARINT).uint32(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  if (span.droppedEventsCount)
    w.tag(SpanField.DROPPED_EVENTS_COUNT, WireType.VARINT).uint32(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  if (span.droppedLinksCount)
    w.tag(SpanField.DROPPED_LINKS_COUNT, WireType.VARINT).uint32(span.droppedLinksCount);
  if (span.status.code !== 0 || span.status.message !== '') {
    w.tag(SpanField.STATUS, WireType.LEN).fork();
    if (span.status.message !== '') w.tag(StatusField.MESSAGE, WireType.LEN).string(span.status.message);
    if (span.status.code !== 0) w.tag(StatusField.CODE, WireType.VARINT).uint32(span.status.code);
    w.join();
  }
  if (span.flags) w.tag(SpanField.FLAGS, WireType.I32).fixed32(span.flags);
}

function writeEvent(w: ProtoWriter, event: SpanEvent): void {
  w.tag(SpanField.EVENTS, WireType.LEN).fork();
  if (event.timeUnixNano !== 0n)
    w.tag(SpanEventField.TIME_UNIX_NANO, WireType.I64).fixed64(event.timeUnixNano);
  if (event.name !== '') w.tag(SpanEventField.NAME, WireType.LEN).string(event.name);
  writeAttributes(w, SpanEventField.ATTRIBUTES, event.attributes);
  if (event.droppedAttributesCount)
    w.tag(SpanEventField.DROPPED_ATTRIBUTES_COUNT, WireType.VARINT).uint32(event.droppedAttributesCount);
  w.join();
}

function writeLink(w: ProtoWriter, link: SpanLink): void {
  w.tag(SpanField.LINKS, WireType.LEN).fork();
  writeId(w, SpanLinkField.TRACE_ID, link.traceId);
  writeId(w, SpanLinkField.SPAN_ID, link.spanId);
  if (link.traceState !== '') w.tag(SpanLinkField.TRACE_STATE, WireType.LEN).string(link.traceState);
  writeAttributes(w, SpanLinkField.ATTRIBUTES, link.attributes);
  if (link.droppedAttributesCount)
    w.tag(SpanLinkField.DROPPED_ATTRIBUTES_COUNT, WireType.VARINT).uint32(link.droppedAttributesCount);
  if (link.flags) w.tag(SpanLinkField.FLAGS, WireType.I32).fixed32(link.flags);
  w.join();
}

function writeId(w: ProtoWriter, field: number, hex: string): void {
  if (hex === '') return;
  const bytes = bytesOfHex(hex);
  if (!bytes) throw new Error(`not a hex id: ${hex}`);
  w.tag(field, WireType.LEN).bytes(bytes);
}

export function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    w.tag(field, WireType.LEN).fork();
    w.tag(KeyValueField.KEY, WireType.LEN).string(key);
    w.tag(KeyValueField.VALUE, WireType.LEN).fork();
    writeAnyValue(w, attributes[key] as AttributeValue);
    w.join();
    w.join();
  }
}

/** Writes the fields of an AnyValue. Integral numbers are int_value, others double_value. */
function writeAnyValue(w: ProtoWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      w.tag(AnyValueField.STRING_VALUE, WireType.LEN).string(value);
      return;
    case 'boolean':
      w.tag(AnyValueField.BOOL_VALUE, WireType.VARINT).uint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) w.tag(AnyValueField.INT_VALUE, WireType.VARINT).int64(value);
      else w.tag(AnyValueField.DOUBLE_VALUE, WireType.I64).double(value);
      return;
    case 'bigint':
      w.tag(AnyValueField.INT_VALUE, WireType.VARINT).int64(value);
      return;
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    w.tag(AnyValueField.BYTES_VALUE, WireType.LEN).bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(AnyValueField.ARRAY_VALUE, WireType.LEN).fork();
    for (const item of value as readonly AttributeValue[]) {
      w.tag(ArrayValueField.VALUES, WireType.LEN).fork();
      writeAnyValue(w, item);
      w.join();
    }
    w.join();
  } else {
    w.tag(AnyValueField.KVLIST_VALUE, WireType.LEN).fork();
    writeAttributes(w, KeyValueListField.VALUES, value as Attributes);
    w.join();
  }
}
