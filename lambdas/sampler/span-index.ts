/**
 * A light pass over an OTLP ExportTraceServiceRequest: for each span, the byte range of its message
 * and only the facts the sampler decides on (ids, times, kind, status, HTTP server status,
 * exception events). Nothing else is decoded: most traces are dropped, and a dropped span never
 * needs its attributes as objects. FACTS.md measured conversion to objects costing more than
 * decoding itself (150k vs 600k spans/s); kept traces are decoded fully later, from these ranges,
 * and deferred traces are re-encoded by copying the ranges verbatim.
 */
import {
  decodeResource,
  decodeScope,
  decodeSpan,
  OtlpField,
  ProtoReader,
  utf8Slice,
  WireType,
} from '../shared/otlp/index.ts';
import { isAllZero, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../shared/span/ids.ts';
import { type InstrumentationScope, type Resource, type Span, SpanKind } from '../shared/span/model.ts';

// Module constants, not imported bindings: V8 folds them into the per-span loop (see fields.ts).
const {
  AnyValueField,
  KeyValueField,
  ResourceSpansField,
  ScopeSpansField,
  SpanEventField,
  SpanField,
  StatusField,
  TraceRequestField,
} = OtlpField;

/** One ScopeSpans of a payload, with its resource and scope as byte ranges and (lazily) objects. */
export interface SpanGroup {
  /** [start, end) pairs of the ResourceSpans' `resource` and `schema_url` fields, tag included. */
  readonly resourceFields: readonly number[];
  /** [start, end) pairs of the ScopeSpans' `scope` and `schema_url` fields, tag included. */
  readonly scopeFields: readonly number[];
  /** Index of the enclosing ResourceSpans in the payload. */
  readonly resourceIndex: number;
  readonly resource: Resource;
  scope: InstrumentationScope | undefined;
  readonly scopeRange: readonly [number, number] | undefined;
  readonly scopeSchemaUrl: string;
}

/** A decoded record payload: the bytes every span range points into. */
export interface IndexedPayload {
  readonly bytes: Uint8Array;
  readonly groups: readonly SpanGroup[];
  /** Position of the record in its batch: orders spans when payloads are re-encoded. */
  readonly ordinal: number;
}

/** What the sampler knows about a span without decoding it. */
export interface SpanFacts {
  readonly payload: IndexedPayload;
  readonly group: number;
  /** [start, end) of the Span message body in payload.bytes. */
  readonly start: number;
  readonly end: number;
  readonly traceIdAt: number;
  readonly spanIdAt: number;
  readonly isRoot: boolean;
  /** Epoch nanoseconds as doubles: about 256 ns resolution today, plenty for durations. */
  readonly startNano: number;
  readonly endNano: number;
  readonly kind: number;
  readonly statusCode: number;
  /** HTTP response status of a SERVER span (0 when absent or not a server span). */
  readonly httpStatus: number;
  /** The span has an event named `exception` (the semantic conventions' recorded exception). */
  readonly exceptionEvent: boolean;
  /** [start, end) of the span name bytes. */
  readonly nameStart: number;
  readonly nameEnd: number;
  /** [start, end) of the trace_state bytes; equal when empty. */
  readonly traceStateStart: number;
  readonly traceStateEnd: number;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const HTTP_RESPONSE_STATUS = ascii('http.response.status_code');
const HTTP_STATUS_LEGACY = ascii('http.status_code');
const EXCEPTION = ascii('exception');

function bytesEqual(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

/** Indexes every span of a payload. Throws WireFormatError when the bytes are not a valid request. */
export function indexPayload(bytes: Uint8Array, out: SpanFacts[], ordinal = 0): IndexedPayload {
  const groups: SpanGroup[] = [];
  const payload: IndexedPayload = { bytes, groups, ordinal };
  const r = new ProtoReader(bytes);
  let resourceIndex = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === TraceRequestField.RESOURCE_SPANS) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      indexResourceSpans(new ProtoReader(bytes, r.pos, end), resourceIndex++, payload, groups, out);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  return payload;
}

function indexResourceSpans(
  r: ProtoReader,
  resourceIndex: number,
  payload: IndexedPayload,
  groups: SpanGroup[],
  out: SpanFacts[],
): void {
  const resourceFields: number[] = [];
  const scopeRanges: number[] = [];
  let resourceRange: [number, number] | undefined;
  let schemaUrl = '';
  while (r.pos < r.end) {
    const fieldStart = r.pos;
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === ResourceSpansField.RESOURCE || field === ResourceSpansField.SCHEMA_URL) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      if (field === ResourceSpansField.RESOURCE) resourceRange = [r.pos, end];
      else schemaUrl = utf8Slice(r.buf, r.pos, end);
      r.pos = end;
      resourceFields.push(fieldStart, end);
    } else if (field === ResourceSpansField.SCOPE_SPANS) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      scopeRanges.push(r.pos, end);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  const resource = decodeResource(
    resourceRange ? new ProtoReader(r.buf, resourceRange[0], resourceRange[1]) : new ProtoReader(r.buf, 0, 0),
    schemaUrl,
  );
  for (let i = 0; i < scopeRanges.length; i += 2) {
    const sr = new ProtoReader(r.buf, scopeRanges[i], scopeRanges[i + 1]);
    const scopeFields: number[] = [];
    const spanRanges: number[] = [];
    let scopeRange: [number, number] | undefined;
    let scopeSchemaUrl = '';
    while (sr.pos < sr.end) {
      const fieldStart = sr.pos;
      const tag = sr.tag();
      const field = tag >>> 3;
      if (field === ScopeSpansField.SCOPE || field === ScopeSpansField.SCHEMA_URL) {
        sr.expect(tag, WireType.LEN);
        const end = sr.delimitedEnd();
        if (field === ScopeSpansField.SCOPE) scopeRange = [sr.pos, end];
        else scopeSchemaUrl = utf8Slice(sr.buf, sr.pos, end);
        sr.pos = end;
        scopeFields.push(fieldStart, end);
      } else if (field === ScopeSpansField.SPANS) {
        sr.expect(tag, WireType.LEN);
        const end = sr.delimitedEnd();
        spanRanges.push(sr.pos, end);
        sr.pos = end;
      } else sr.skip(tag & 7);
    }
    const group = groups.length;
    groups.push({
      resourceFields,
      scopeFields,
      resourceIndex,
      resource,
      scope: undefined,
      scopeRange,
      scopeSchemaUrl,
    });
    const reader = new ProtoReader(r.buf);
    for (let j = 0; j < spanRanges.length; j += 2) {
      reader.pos = spanRanges[j] as number;
      reader.end = spanRanges[j + 1] as number;
      out.push(indexSpan(reader, payload, group));
    }
  }
}

function indexSpan(r: ProtoReader, payload: IndexedPayload, group: number): SpanFacts {
  const buf = r.buf;
  const start = r.pos;
  const end = r.end;
  let traceIdAt = -1;
  let spanIdAt = -1;
  let parentAt = -1;
  let parentLen = 0;
  let nameStart = start;
  let nameEnd = start;
  let traceStateStart = start;
  let traceStateEnd = start;
  let kind = 0;
  let startNano = 0;
  let endNano = 0;
  let statusCode = 0;
  let hasAttributes = false;
  let exceptionEvent = false;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case SpanField.TRACE_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        if (e - r.pos !== TRACE_ID_BYTES || isAllZero(buf, r.pos, e)) r.fail('invalid trace id');
        traceIdAt = r.pos;
        r.pos = e;
        break;
      }
      case SpanField.SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        if (e - r.pos !== SPAN_ID_BYTES || isAllZero(buf, r.pos, e)) r.fail('invalid span id');
        spanIdAt = r.pos;
        r.pos = e;
        break;
      }
      case SpanField.TRACE_STATE: {
        r.expect(tag, WireType.LEN);
        traceStateEnd = r.delimitedEnd();
        traceStateStart = r.pos;
        r.pos = traceStateEnd;
        break;
      }
      case SpanField.PARENT_SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        parentLen = e - r.pos;
        if (parentLen !== 0 && parentLen !== SPAN_ID_BYTES) r.fail('invalid parent span id');
        parentAt = r.pos;
        r.pos = e;
        break;
      }
      case SpanField.NAME: {
        r.expect(tag, WireType.LEN);
        nameEnd = r.delimitedEnd();
        nameStart = r.pos;
        r.pos = nameEnd;
        break;
      }
      case SpanField.KIND:
        r.expect(tag, WireType.VARINT);
        kind = r.uint32();
        break;
      case SpanField.START_TIME_UNIX_NANO:
        r.expect(tag, WireType.I64);
        startNano = r.fixed64AsNumber();
        break;
      case SpanField.END_TIME_UNIX_NANO:
        r.expect(tag, WireType.I64);
        endNano = r.fixed64AsNumber();
        break;
      case SpanField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        hasAttributes = true;
        r.pos = r.delimitedEnd();
        break;
      case SpanField.EVENTS: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        if (!exceptionEvent) exceptionEvent = isExceptionEvent(r, e);
        r.pos = e;
        break;
      }
      case SpanField.STATUS: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        statusCode = readStatusCode(r, e);
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (traceIdAt < 0) r.fail('span without trace id');
  if (spanIdAt < 0) r.fail('span without span id');
  let httpStatus = 0;
  if (kind === SpanKind.SERVER && hasAttributes) {
    r.pos = start;
    httpStatus = readHttpStatus(r, end);
  }
  return {
    payload,
    group,
    start,
    end,
    traceIdAt,
    spanIdAt,
    // An all-zero parent means root, as the full decoder normalises it.
    isRoot: parentLen === 0 || isAllZero(buf, parentAt, parentAt + parentLen),
    startNano,
    endNano,
    kind,
    statusCode,
    httpStatus,
    exceptionEvent,
    nameStart,
    nameEnd,
    traceStateStart,
    traceStateEnd,
  };
}

/*
 * The nested readers below move the span's own reader within [its position, `end`) and restore its
 * bound, rather than allocating a reader per nested message: a reader (with its DataView) per
 * status and event was the largest allocation of the pass in a CPU profile (GC 26 % of sampler time).
 */

/** Whether the Event message in [r.pos, end) is named `exception`. */
function isExceptionEvent(r: ProtoReader, end: number): boolean {
  const outer = r.end;
  r.end = end;
  let found = false;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === SpanEventField.NAME && (tag & 7) === WireType.LEN) {
      const e = r.delimitedEnd();
      found = bytesEqual(r.buf, r.pos, e, EXCEPTION);
      break;
    }
    r.skip(tag & 7);
  }
  r.end = outer;
  return found;
}

/** The code of the Status message in [r.pos, end). */
function readStatusCode(r: ProtoReader, end: number): number {
  const outer = r.end;
  r.end = end;
  let code = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === StatusField.CODE) {
      r.expect(tag, WireType.VARINT);
      code = r.uint32();
    } else r.skip(tag & 7);
  }
  r.end = outer;
  return code;
}

/** The HTTP response status among the attributes of the span in [r.pos, end) (current or legacy key), 0 if absent. */
function readHttpStatus(r: ProtoReader, end: number): number {
  const buf = r.buf;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 !== SpanField.ATTRIBUTES) {
      r.skip(tag & 7);
      continue;
    }
    const kvEnd = r.delimitedEnd();
    r.end = kvEnd;
    let isStatus = false;
    let status = 0;
    while (r.pos < kvEnd) {
      const t = r.tag();
      if (t >>> 3 === KeyValueField.KEY && (t & 7) === WireType.LEN) {
        const e = r.delimitedEnd();
        isStatus =
          bytesEqual(buf, r.pos, e, HTTP_RESPONSE_STATUS) || bytesEqual(buf, r.pos, e, HTTP_STATUS_LEGACY);
        r.pos = e;
        if (!isStatus) break;
      } else if (t >>> 3 === KeyValueField.VALUE && (t & 7) === WireType.LEN) {
        status = readStatusValue(r);
      } else r.skip(t & 7);
    }
    r.end = end;
    r.pos = kvEnd;
    if (isStatus && status > 0) return status;
  }
  return 0;
}

/** An AnyValue holding an int, or a string of digits (some instrumentations send strings). */
function readStatusValue(r: ProtoReader): number {
  const end = r.delimitedEnd();
  const outer = r.end;
  r.end = end;
  let value = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === AnyValueField.INT_VALUE && (tag & 7) === WireType.VARINT) value = Number(r.int64());
    else if (tag >>> 3 === AnyValueField.STRING_VALUE && (tag & 7) === WireType.LEN) {
      const text = r.string();
      value = /^\d{3}$/.test(text) ? Number(text) : 0;
    } else r.skip(tag & 7);
  }
  r.end = outer;
  r.pos = end;
  return value;
}

/** The span's name, decoded on demand (roots only, for the latency key). */
export function spanName(span: SpanFacts): string {
  return utf8Slice(span.payload.bytes, span.nameStart, span.nameEnd);
}

export function spanTraceState(span: SpanFacts): string {
  return utf8Slice(span.payload.bytes, span.traceStateStart, span.traceStateEnd);
}

/** The full span: only for kept traces and for rules that read attributes. */
export function decodeIndexedSpan(span: SpanFacts): Span {
  const group = span.payload.groups[span.group] as SpanGroup;
  if (!group.scope) {
    group.scope = group.scopeRange
      ? decodeScope(
          new ProtoReader(span.payload.bytes, group.scopeRange[0], group.scopeRange[1]),
          group.scopeSchemaUrl,
        )
      : decodeScope(new ProtoReader(span.payload.bytes, 0, 0), group.scopeSchemaUrl);
  }
  return decodeSpan(new ProtoReader(span.payload.bytes, span.start, span.end), group.resource, group.scope);
}

export function resourceOf(span: SpanFacts): Resource {
  return (span.payload.groups[span.group] as SpanGroup).resource;
}
