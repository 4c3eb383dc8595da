/**
 * Full encoder: Span[] -> OTLP protobuf ExportTraceServiceRequest (byte-identical to TracesData).
 * Spans are regrouped under their Resource and InstrumentationScope by object identity, in
 * first-seen order; default values are omitted, as proto3 serializers do.
 */

import { bytesOfHex } from '../span/ids.ts';
import type { Attributes, AttributeValue, InstrumentationScope, Resource, Span } from '../span/model.ts';
import { ProtoWriter, WireType } from './wire.ts';

export function encodeTraceRequest(spans: readonly Span[], writer = new ProtoWriter(64 * 1024)): Uint8Array {
  writer.reset();
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    writer.tag(1, WireType.LEN).fork();
    writeResource(writer, resource);
    for (const [scope, scopeSpans] of scopes) {
      writer.tag(2, WireType.LEN).fork();
      writeScope(writer, scope);
      for (const span of scopeSpans) {
        writer.tag(2, WireType.LEN).fork();
        writeSpan(writer, span);
        writer.join();
      }
      if (scope.schemaUrl !== '') writer.tag(3, WireType.LEN).string(scope.schemaUrl);
      writer.join();
    }
    if (resource.schemaUrl !== '') writer.tag(3, WireType.LEN).string(resource.schemaUrl);
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
      w.tag(1, WireType.LEN).fork();
      writeResource(w, span.resource);
      this.resource = span.resource;
    }
    if (span.scope !== this.scope) {
      this.closeScope();
      w.tag(2, WireType.LEN).fork();
      writeScope(w, span.scope);
      this.scope = span.scope;
    }
    w.tag(2, WireType.LEN).fork();
    writeSpan(w, span);
    w.join();
  }

  public finish(): Uint8Array {
    this.closeResource();
    return this.w.finish();
  }

  private closeScope(): void {
    if (!this.scope) return;
    if (this.scope.schemaUrl !== '') this.w.tag(3, WireType.LEN).string(this.scope.schemaUrl);
    this.w.join();
    this.scope = undefined;
  }

  private closeResource(): void {
    this.closeScope();
    if (!this.resource) return;
    if (this.resource.schemaUrl !== '') this.w.tag(3, WireType.LEN).string(this.resource.schemaUrl);
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
  w.tag(1, WireType.LEN).fork();
  writeAttributes(w, 1, resource.attributes);
  if (resource.droppedAttributesCount) w.tag(2, WireType.VARINT).uint32(resource.droppedAttributesCount);
  w.join();
}

function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  w.tag(1, WireType.LEN).fork();
  if (scope.name !== '') w.tag(1, WireType.LEN).string(scope.name);
  if (scope.version !== '') w.tag(2, WireType.LEN).string(scope.version);
  writeAttributes(w, 3, scope.attributes);
  if (scope.droppedAttributesCount) w.tag(4, WireType.VARINT).uint32(scope.droppedAttributesCount);
  w.join();
}

/** Writes the fields of one Span message (without its own tag and length). */
export function writeSpan(w: ProtoWriter, span: Span): void {
  writeId(w, 1, span.traceId);
  writeId(w, 2, span.spanId);
  if (span.traceState !== '') w.tag(3, WireType.LEN).string(span.traceState);
  if (span.parentSpanId !== '') writeId(w, 4, span.parentSpanId);
  if (span.name !== '') w.tag(5, WireType.LEN).string(span.name);
  if (span.kind !== 0) w.tag(6, WireType.VARINT).uint32(span.kind);
  w.tag(7, WireType.I64).fixed64(span.startTimeUnixNano);
  w.tag(8, WireType.I64).fixed64(span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount) w.tag(10, WireType.VARINT).uint32(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, WireType.LEN).fork();
    if (event.timeUnixNano !== 0n) w.tag(1, WireType.I64).fixed64(event.timeUnixNano);
    if (event.name !== '') w.tag(2, WireType.LEN).string(event.name);
    writeAttributes(w, 3, event.attributes);
    if (event.droppedAttributesCount) w.tag(4, WireType.VARINT).uint32(event.droppedAttributesCount);
    w.join();
  }
  if (span.droppedEventsCount) w.tag(12, WireType.VARINT).uint32(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, WireType.LEN).fork();
    writeId(w, 1, link.traceId);
    writeId(w, 2, link.spanId);
    if (link.traceState !== '') w.tag(3, WireType.LEN).string(link.traceState);
    writeAttributes(w, 4, link.attributes);
    if (link.droppedAttributesCount) w.tag(5, WireType.VARINT).uint32(link.droppedAttributesCount);
    if (link.flags) w.tag(6, WireType.I32).fixed32(link.flags);
    w.join();
  }
  if (span.droppedLinksCount) w.tag(14, WireType.VARINT).uint32(span.droppedLinksCount);
  if (span.status.code !== 0 || span.status.message !== '') {
    w.tag(15, WireType.LEN).fork();
    if (span.status.message !== '') w.tag(2, WireType.LEN).string(span.status.message);
    if (span.status.code !== 0) w.tag(3, WireType.VARINT).uint32(span.status.code);
    w.join();
  }
  if (span.flags) w.tag(16, WireType.I32).fixed32(span.flags);
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
    w.tag(1, WireType.LEN).string(key);
    w.tag(2, WireType.LEN).fork();
    writeAnyValue(w, attributes[key] as AttributeValue);
    w.join();
    w.join();
  }
}

/** Writes the fields of an AnyValue. Integral numbers are int_value, others double_value. */
function writeAnyValue(w: ProtoWriter, value: AttributeValue): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, WireType.LEN).string(value);
      return;
    case 'boolean':
      w.tag(2, WireType.VARINT).uint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) w.tag(3, WireType.VARINT).int64(value);
      else w.tag(4, WireType.I64).double(value);
      return;
    case 'bigint':
      w.tag(3, WireType.VARINT).int64(value);
      return;
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, WireType.LEN).bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, WireType.LEN).fork();
    for (const item of value as readonly AttributeValue[]) {
      w.tag(1, WireType.LEN).fork();
      writeAnyValue(w, item);
      w.join();
    }
    w.join();
  } else {
    w.tag(6, WireType.LEN).fork();
    writeAttributes(w, 1, value as Attributes);
    w.join();
  }
}
