/**
 * Full decoder: OTLP protobuf ExportTraceServiceRequest / TracesData bytes -> Span[].
 *
 * Both messages have `repeated ResourceSpans resource_spans = 1`, so one decoder reads both.
 * Field numbers are named in fields.ts. Unknown fields are skipped, as proto3 requires.
 */

import { hexOf, isAllZero } from '../span/ids.ts';
import {
  type AttributeValue,
  EMPTY_SCOPE,
  type InstrumentationScope,
  type KeyValueList,
  makeResource,
  newAttributes,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from '../span/model.ts';
import {
  AttributeCollector,
  type CutCounts,
  type DecodeLimits,
  newCutCounts,
  UNLIMITED,
  ValueBudget,
} from './decode-limits.ts';
import { OtlpField } from './fields.ts';
import { ProtoReader, WireType } from './wire.ts';

// Module constants, not imported bindings: V8 folds them into the hot loops (see fields.ts).
const {
  AnyValueField,
  ArrayValueField,
  GroupField,
  KeyValueField,
  KeyValueListField,
  ResourceField,
  ScopeField,
  SpanEventField,
  SpanField,
  SpanLinkField,
  StatusField,
  TraceRequestField,
} = OtlpField;

/** Nesting of array/kvlist values beyond this is rejected: it guards the stack against hostile input. */
export const MAX_ANY_VALUE_DEPTH = 32;

const EMPTY_RESOURCE: Resource = makeResource(newAttributes());

export function decodeTraceRequest(bytes: Uint8Array): Span[] {
  const r = new ProtoReader(bytes);
  const out: Span[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === TraceRequestField.RESOURCE_SPANS) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      decodeResourceSpans(new ProtoReader(bytes, r.pos, end), out);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  return out;
}

/**
 * ResourceSpans and ScopeSpans share one wire shape (GroupField): the head message (resource or
 * scope), the repeated children (scope_spans or spans), schema_url. The head may follow its
 * children on the wire, so the ranges are noted first and decoded after.
 */
interface GroupRanges {
  head: [number, number] | undefined;
  /** start, end pairs, flattened. */
  children: number[];
  schemaUrl: string;
}

function readGroupRanges(r: ProtoReader): GroupRanges {
  const group: GroupRanges = { head: undefined, children: [], schemaUrl: '' };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case GroupField.HEAD: {
        r.expect(tag, WireType.LEN);
        const end = r.delimitedEnd();
        group.head = [r.pos, end];
        r.pos = end;
        break;
      }
      case GroupField.CHILDREN: {
        r.expect(tag, WireType.LEN);
        const end = r.delimitedEnd();
        group.children.push(r.pos, end);
        r.pos = end;
        break;
      }
      case GroupField.SCHEMA_URL:
        r.expect(tag, WireType.LEN);
        group.schemaUrl = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return group;
}

function decodeResourceSpans(r: ProtoReader, out: Span[]): void {
  const { head, children, schemaUrl } = readGroupRanges(r);
  const resource = head
    ? decodeResource(new ProtoReader(r.buf, head[0], head[1]), schemaUrl)
    : schemaUrl === ''
      ? EMPTY_RESOURCE
      : makeResource(newAttributes(), 0, schemaUrl);
  for (let i = 0; i < children.length; i += 2) {
    decodeScopeSpans(new ProtoReader(r.buf, children[i], children[i + 1]), resource, out);
  }
}

export function decodeResource(
  r: ProtoReader,
  schemaUrl: string,
  limits: DecodeLimits = UNLIMITED,
  counts: CutCounts = newCutCounts(),
): Resource {
  const budget = new ValueBudget(limits, counts);
  const attributes = new AttributeCollector(budget, Number.POSITIVE_INFINITY);
  let dropped = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case ResourceField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        readKeyValue(r, attributes, 0, budget);
        break;
      case ResourceField.DROPPED_ATTRIBUTES_COUNT:
        r.expect(tag, WireType.VARINT);
        dropped = r.uint32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return makeResource(attributes.map, dropped + attributes.dropped, schemaUrl);
}

function decodeScopeSpans(r: ProtoReader, resource: Resource, out: Span[]): void {
  const { head, children, schemaUrl } = readGroupRanges(r);
  const scope = head
    ? decodeScope(new ProtoReader(r.buf, head[0], head[1]), schemaUrl)
    : schemaUrl === ''
      ? EMPTY_SCOPE
      : { ...EMPTY_SCOPE, schemaUrl };
  for (let i = 0; i < children.length; i += 2) {
    out.push(decodeSpan(new ProtoReader(r.buf, children[i], children[i + 1]), resource, scope));
  }
}

export function decodeScope(
  r: ProtoReader,
  schemaUrl: string,
  limits: DecodeLimits = UNLIMITED,
  counts: CutCounts = newCutCounts(),
): InstrumentationScope {
  let name = '';
  let version = '';
  const budget = new ValueBudget(limits, counts);
  const attributes = new AttributeCollector(budget, Number.POSITIVE_INFINITY);
  let dropped = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case ScopeField.NAME:
        r.expect(tag, WireType.LEN);
        name = r.string();
        break;
      case ScopeField.VERSION:
        r.expect(tag, WireType.LEN);
        version = r.string();
        break;
      case ScopeField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        readKeyValue(r, attributes, 0, budget);
        break;
      case ScopeField.DROPPED_ATTRIBUTES_COUNT:
        r.expect(tag, WireType.VARINT);
        dropped = r.uint32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return {
    name,
    version,
    attributes: attributes.map,
    droppedAttributesCount: dropped + attributes.dropped,
    schemaUrl,
  };
}

/**
 * Decodes one Span message occupying r.pos..r.end. Id validity is the caller's business. Attributes,
 * events and links beyond `limits` are skipped unread, counted in `counts` and in the span's
 * dropped counts.
 */
export function decodeSpan(
  r: ProtoReader,
  resource: Resource,
  scope: InstrumentationScope,
  limits: DecodeLimits = UNLIMITED,
  counts: CutCounts = newCutCounts(),
): Span {
  const budget = new ValueBudget(limits, counts);
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attributes = new AttributeCollector(budget, limits.maxAttributes);
  let droppedAttributesCount = 0;
  let events: SpanEvent[] = NO_EVENTS;
  let droppedEventsCount = 0;
  let eventsCut = 0;
  let links: SpanLink[] = NO_LINKS;
  let droppedLinksCount = 0;
  let linksCut = 0;
  let statusCode = 0;
  let statusMessage = '';
  const buf = r.buf;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case SpanField.TRACE_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        traceId = hexOf(buf, r.pos, e);
        r.pos = e;
        break;
      }
      case SpanField.SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        spanId = hexOf(buf, r.pos, e);
        r.pos = e;
        break;
      }
      case SpanField.TRACE_STATE:
        r.expect(tag, WireType.LEN);
        traceState = r.string();
        break;
      case SpanField.PARENT_SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        // Some exporters send eight zero bytes for a root; OTLP means empty. Normalise to root.
        parentSpanId = isAllZero(buf, r.pos, e) ? '' : hexOf(buf, r.pos, e);
        r.pos = e;
        break;
      }
      case SpanField.NAME:
        r.expect(tag, WireType.LEN);
        name = r.string();
        break;
      case SpanField.KIND:
        r.expect(tag, WireType.VARINT);
        kind = r.uint32();
        break;
      case SpanField.START_TIME_UNIX_NANO:
        r.expect(tag, WireType.I64);
        start = r.fixed64();
        break;
      case SpanField.END_TIME_UNIX_NANO:
        r.expect(tag, WireType.I64);
        end = r.fixed64();
        break;
      case SpanField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        readKeyValue(r, attributes, 0, budget);
        break;
      case SpanField.DROPPED_ATTRIBUTES_COUNT:
        r.expect(tag, WireType.VARINT);
        droppedAttributesCount = r.uint32();
        break;
      case SpanField.EVENTS: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        if (events.length >= limits.maxEvents) eventsCut++;
        else {
          if (events === NO_EVENTS) events = [];
          events.push(decodeEvent(new ProtoReader(buf, r.pos, e), budget));
        }
        r.pos = e;
        break;
      }
      case SpanField.DROPPED_EVENTS_COUNT:
        r.expect(tag, WireType.VARINT);
        droppedEventsCount = r.uint32();
        break;
      case SpanField.LINKS: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        if (links.length >= limits.maxLinks) linksCut++;
        else {
          if (links === NO_LINKS) links = [];
          links.push(decodeLink(new ProtoReader(buf, r.pos, e), budget));
        }
        r.pos = e;
        break;
      }
      case SpanField.DROPPED_LINKS_COUNT:
        r.expect(tag, WireType.VARINT);
        droppedLinksCount = r.uint32();
        break;
      case SpanField.STATUS: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        const sr = new ProtoReader(buf, r.pos, e);
        while (sr.pos < sr.end) {
          const st = sr.tag();
          if (st >>> 3 === StatusField.MESSAGE) {
            sr.expect(st, WireType.LEN);
            statusMessage = sr.string();
          } else if (st >>> 3 === StatusField.CODE) {
            sr.expect(st, WireType.VARINT);
            statusCode = sr.uint32();
          } else sr.skip(st & 7);
        }
        r.pos = e;
        break;
      }
      case SpanField.FLAGS:
        r.expect(tag, WireType.I32);
        flags = r.fixed32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  budget.dropped(eventsCut + linksCut);
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    kind: (kind <= 5 ? kind : 0) as SpanKind,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: attributes.map,
    droppedAttributesCount: droppedAttributesCount + attributes.dropped,
    events,
    droppedEventsCount: droppedEventsCount + eventsCut,
    links,
    droppedLinksCount: droppedLinksCount + linksCut,
    status: { code: (statusCode <= 2 ? statusCode : 0) as StatusCode, message: statusMessage },
    resource,
    scope,
  };
}

// Shared empty arrays: most spans have no events or links. They are never mutated once returned.
const NO_EVENTS: SpanEvent[] = [];
const NO_LINKS: SpanLink[] = [];

function decodeEvent(r: ProtoReader, budget: ValueBudget): SpanEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes = new AttributeCollector(budget, budget.limits.maxAttributes);
  let dropped = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case SpanEventField.TIME_UNIX_NANO:
        r.expect(tag, WireType.I64);
        timeUnixNano = r.fixed64();
        break;
      case SpanEventField.NAME:
        r.expect(tag, WireType.LEN);
        name = r.string();
        break;
      case SpanEventField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        readKeyValue(r, attributes, 0, budget);
        break;
      case SpanEventField.DROPPED_ATTRIBUTES_COUNT:
        r.expect(tag, WireType.VARINT);
        dropped = r.uint32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return {
    timeUnixNano,
    name,
    attributes: attributes.map,
    droppedAttributesCount: dropped + attributes.dropped,
  };
}

function decodeLink(r: ProtoReader, budget: ValueBudget): SpanLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes = new AttributeCollector(budget, budget.limits.maxAttributes);
  let dropped = 0;
  let flags = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case SpanLinkField.TRACE_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        traceId = hexOf(r.buf, r.pos, e);
        r.pos = e;
        break;
      }
      case SpanLinkField.SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const e = r.delimitedEnd();
        spanId = hexOf(r.buf, r.pos, e);
        r.pos = e;
        break;
      }
      case SpanLinkField.TRACE_STATE:
        r.expect(tag, WireType.LEN);
        traceState = r.string();
        break;
      case SpanLinkField.ATTRIBUTES:
        r.expect(tag, WireType.LEN);
        readKeyValue(r, attributes, 0, budget);
        break;
      case SpanLinkField.DROPPED_ATTRIBUTES_COUNT:
        r.expect(tag, WireType.VARINT);
        dropped = r.uint32();
        break;
      case SpanLinkField.FLAGS:
        r.expect(tag, WireType.I32);
        flags = r.fixed32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return {
    traceId,
    spanId,
    traceState,
    attributes: attributes.map,
    droppedAttributesCount: dropped + attributes.dropped,
    flags,
  };
}

/**
 * Reads a length-delimited KeyValue at r.pos into `into`; the tag has been read. The key is read
 * first (it may follow the value on the wire), so a value that is not admitted is never decoded.
 */
function readKeyValue(r: ProtoReader, into: AttributeCollector, depth: number, budget: ValueBudget): void {
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  let key = '';
  let valueAt = -1;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case KeyValueField.KEY:
        r.expect(tag, WireType.LEN);
        key = r.string();
        break;
      case KeyValueField.VALUE:
        r.expect(tag, WireType.LEN);
        valueAt = r.pos;
        r.pos = r.delimitedEnd();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (into.admits(key)) {
    let value: AttributeValue = '';
    if (valueAt >= 0) {
      r.pos = valueAt;
      value = readAnyValue(r, depth, budget);
    }
    into.set(key, value);
  }
  r.pos = end;
  r.end = outerEnd;
}

/** Reads a length-delimited AnyValue at r.pos; the tag has been read. An empty AnyValue reads as ''. */
function readAnyValue(r: ProtoReader, depth: number, budget: ValueBudget): AttributeValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) r.fail(`attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  let value: AttributeValue = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case AnyValueField.STRING_VALUE:
        r.expect(tag, WireType.LEN);
        value = r.string();
        break;
      case AnyValueField.BOOL_VALUE:
        r.expect(tag, WireType.VARINT);
        value = r.bool();
        break;
      case AnyValueField.INT_VALUE:
        r.expect(tag, WireType.VARINT);
        value = r.int64();
        break;
      case AnyValueField.DOUBLE_VALUE:
        r.expect(tag, WireType.I64);
        value = r.double();
        break;
      case AnyValueField.ARRAY_VALUE:
        r.expect(tag, WireType.LEN);
        value = readArrayValue(r, depth, budget);
        break;
      case AnyValueField.KVLIST_VALUE:
        r.expect(tag, WireType.LEN);
        value = readKeyValueList(r, depth, budget);
        break;
      case AnyValueField.BYTES_VALUE:
        r.expect(tag, WireType.LEN);
        value = r.bytes().slice();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outerEnd;
  return value;
}

function readArrayValue(r: ProtoReader, depth: number, budget: ValueBudget): AttributeValue[] {
  const arrEnd = r.delimitedEnd();
  const items: AttributeValue[] = [];
  const saved = r.end;
  r.end = arrEnd;
  while (r.pos < arrEnd) {
    const t = r.tag();
    if (t >>> 3 !== ArrayValueField.VALUES) r.skip(t & 7);
    else {
      r.expect(t, WireType.LEN);
      if (budget.take()) items.push(readAnyValue(r, depth + 1, budget));
      else r.pos = r.delimitedEnd();
    }
  }
  r.end = saved;
  return items;
}

function readKeyValueList(r: ProtoReader, depth: number, budget: ValueBudget): KeyValueList {
  const listEnd = r.delimitedEnd();
  const map = new AttributeCollector(budget, Number.POSITIVE_INFINITY);
  const saved = r.end;
  r.end = listEnd;
  while (r.pos < listEnd) {
    const t = r.tag();
    if (t >>> 3 === KeyValueListField.VALUES) {
      r.expect(t, WireType.LEN);
      readKeyValue(r, map, depth + 1, budget);
    } else r.skip(t & 7);
  }
  r.end = saved;
  return map.map;
}
