/**
 * Validating scan of an OTLP protobuf ExportTraceServiceRequest, without materialising spans.
 *
 * The ingest stage only needs each span's trace id (to route it) and the guarantee that what it
 * forwards will decode later; it never needs attribute values. So the scan walks every nested
 * message to check the wire format (the same rules the full decoder enforces, so anything accepted
 * here decodes in the sampler) and records byte ranges that the record builder copies verbatim.
 * Measured on the benchmark workload this is several times faster than a full decode (see
 * BENCHMARKS.md).
 */
import { isAllZero, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../span/ids.ts';
import { MAX_ANY_VALUE_DEPTH } from './decode.ts';
import { TooManySpansError } from './errors.ts';
import { OtlpField } from './fields.ts';
import { SpanRejection } from './validate.ts';
import { ProtoReader, utf8Slice, WireType } from './wire.ts';

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

/** A ScopeSpans of the request: the verbatim bytes of its resource and scope fields (tag included). */
export interface ScannedGroup {
  /** Index of the enclosing ResourceSpans in the request. */
  readonly resourceIndex: number;
  /** [start, end) of the ResourceSpans' `resource` and `schema_url` fields, tag included; -1 if absent. */
  readonly resourceFields: readonly number[];
  /** [start, end) of the ScopeSpans' `scope` and `schema_url` fields, tag included. */
  readonly scopeFields: readonly number[];
}

export interface ScannedSpan {
  /** [start, end) of the Span message body. */
  readonly start: number;
  readonly end: number;
  /** Offset of the 16 trace id bytes. */
  readonly traceIdAt: number;
  /** Index into ScannedRequest.groups. */
  readonly group: number;
}

/**
 * What would make ingest rewrite a span (span limits, redaction): the scan flags requests that
 * might need it, cheaply, and ingest then takes the full decode path for those only.
 */
export interface ScanHints {
  readonly maxAttributes: number;
  readonly maxEvents: number;
  readonly maxLinks: number;
  /** Attribute values (array elements and kvlist entries included) of a span, resource or scope. */
  readonly maxValues: number;
  /** A string value of more UTF-8 bytes than this may exceed the length limit. */
  readonly maxValueBytes: number;
  /** True for attribute keys a redaction rule names; absent when there are no key rules. */
  readonly keyNeedsRewrite?: (key: string) => boolean;
}

/** Per-scan state threaded through validation. */
interface ScanState {
  readonly hints: ScanHints | undefined;
  needsRewrite: boolean;
  /** AnyValues seen in the span, resource or scope being validated. */
  values: number;
  /** Spans seen, accepted or not. */
  received: number;
  readonly maxSpans: number;
}

export interface ScannedRequest {
  readonly bytes: Uint8Array;
  readonly groups: readonly ScannedGroup[];
  /** Accepted spans, in request order. */
  readonly spans: readonly ScannedSpan[];
  readonly rejected: ReadonlyMap<SpanRejection, number>;
  /** Some span or resource may exceed a limit or carry a redacted key (only with hints). */
  readonly needsRewrite: boolean;
}

/**
 * Scans a request. Throws WireFormatError when the bytes are not a well-formed request, and
 * TooManySpansError (after counting them all, without recording those beyond the limit) when it
 * holds more than `maxSpans` spans; spans with bad ids are left out and counted in `rejected`.
 */
export function scanTraceRequest(
  bytes: Uint8Array,
  hints?: ScanHints,
  maxSpans = Number.POSITIVE_INFINITY,
): ScannedRequest {
  const state: ScanState = { hints, needsRewrite: false, values: 0, received: 0, maxSpans };
  const r = new ProtoReader(bytes);
  const groups: ScannedGroup[] = [];
  const spans: ScannedSpan[] = [];
  const rejected = new Map<SpanRejection, number>();
  let resourceIndex = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === TraceRequestField.RESOURCE_SPANS) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      scanResourceSpans(new ProtoReader(bytes, r.pos, end), resourceIndex++, groups, spans, rejected, state);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  if (state.received > maxSpans) throw new TooManySpansError(state.received, maxSpans);
  return { bytes, groups, spans, rejected, needsRewrite: state.needsRewrite };
}

function scanResourceSpans(
  r: ProtoReader,
  resourceIndex: number,
  groups: ScannedGroup[],
  spans: ScannedSpan[],
  rejected: Map<SpanRejection, number>,
  state: ScanState,
): void {
  const resourceFields: number[] = [];
  const scopeRanges: number[] = [];
  while (r.pos < r.end) {
    const fieldStart = r.pos;
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === ResourceSpansField.RESOURCE || field === ResourceSpansField.SCHEMA_URL) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      if (field === ResourceSpansField.RESOURCE) validateHead(r, end, RESOURCE, state);
      r.pos = end;
      resourceFields.push(fieldStart, end);
    } else if (field === ResourceSpansField.SCOPE_SPANS) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      scopeRanges.push(r.pos, end);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  // One reader for every span: a reader (and its DataView) a span was 4% of ingest (issue 18).
  const spanReader = new ProtoReader(r.buf);
  for (let i = 0; i < scopeRanges.length; i += 2) {
    const sr = new ProtoReader(r.buf, scopeRanges[i], scopeRanges[i + 1]);
    const scopeFields: number[] = [];
    const spanRanges: number[] = [];
    while (sr.pos < sr.end) {
      const fieldStart = sr.pos;
      const tag = sr.tag();
      const field = tag >>> 3;
      if (field === ScopeSpansField.SCOPE || field === ScopeSpansField.SCHEMA_URL) {
        sr.expect(tag, WireType.LEN);
        const end = sr.delimitedEnd();
        if (field === ScopeSpansField.SCOPE) validateHead(sr, end, SCOPE, state);
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
    groups.push({ resourceIndex, resourceFields, scopeFields });
    for (let j = 0; j < spanRanges.length; j += 2) {
      const start = spanRanges[j] as number;
      const end = spanRanges[j + 1] as number;
      spanReader.pos = start;
      spanReader.end = end;
      const traceIdAt = scanSpan(spanReader, rejected, state);
      // Beyond the span limit the request is refused: spans are still validated and counted, not kept.
      if (traceIdAt >= 0 && state.received <= state.maxSpans) spans.push({ start, end, traceIdAt, group });
    }
  }
}

/** Validates one Span message; returns its trace id offset, or -1 if its ids are invalid. */
function scanSpan(r: ProtoReader, rejected: Map<SpanRejection, number>, state: ScanState): number {
  const buf = r.buf;
  let traceIdAt = -1;
  let traceIdLen = 0;
  let spanIdAt = -1;
  let spanIdLen = 0;
  let parentLen = 0;
  let attributes = 0;
  let events = 0;
  let links = 0;
  state.received++;
  state.values = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    switch (field) {
      case SpanField.TRACE_ID:
      case SpanField.SPAN_ID:
      case SpanField.PARENT_SPAN_ID: {
        r.expect(tag, WireType.LEN);
        const end = r.delimitedEnd();
        if (field === SpanField.TRACE_ID) {
          traceIdAt = r.pos;
          traceIdLen = end - r.pos;
        } else if (field === SpanField.SPAN_ID) {
          spanIdAt = r.pos;
          spanIdLen = end - r.pos;
        } else parentLen = end - r.pos;
        r.pos = end;
        break;
      }
      case SpanField.ATTRIBUTES:
        attributes++;
        validateAttribute(r, tag, SPAN, state);
        break;
      // The scalar fields every span has, checked here rather than through the schema (issue 18).
      case SpanField.NAME:
        validateScalar(r, tag, SPAN, WireType.LEN);
        break;
      case SpanField.KIND:
        validateScalar(r, tag, SPAN, WireType.VARINT);
        break;
      case SpanField.START_TIME_UNIX_NANO:
      case SpanField.END_TIME_UNIX_NANO:
        validateScalar(r, tag, SPAN, WireType.I64);
        break;
      case SpanField.EVENTS:
        events++;
        validateField(r, tag, SPAN, 0, state);
        break;
      case SpanField.LINKS:
        links++;
        validateField(r, tag, SPAN, 0, state);
        break;
      default:
        validateField(r, tag, SPAN, 0, state);
    }
  }
  const hints = state.hints;
  if (
    hints &&
    (attributes > hints.maxAttributes ||
      events > hints.maxEvents ||
      links > hints.maxLinks ||
      state.values > hints.maxValues)
  ) {
    state.needsRewrite = true;
  }
  let reason: SpanRejection | undefined;
  if (traceIdLen !== TRACE_ID_BYTES || isAllZero(buf, traceIdAt, traceIdAt + TRACE_ID_BYTES)) {
    reason = SpanRejection.TRACE_ID;
  } else if (spanIdLen !== SPAN_ID_BYTES || isAllZero(buf, spanIdAt, spanIdAt + SPAN_ID_BYTES)) {
    reason = SpanRejection.SPAN_ID;
  } else if (parentLen !== 0 && parentLen !== SPAN_ID_BYTES) {
    reason = SpanRejection.PARENT_SPAN_ID;
  }
  if (reason) {
    rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
    return -1;
  }
  return traceIdAt;
}

// --- Schema-driven validation --------------------------------------------------------------------
// A message schema maps field numbers to their wire type and, for nested messages, their schema.
// Fields not listed are unknown and skipped; listed fields with another wire type are malformed,
// exactly as in the full decoder. KeyValue and AnyValue, which every attribute is, have loops of
// their own with the same rules (validateKeyValue, validateAnyValue): through the tables, two calls
// and a table lookup a field, they took most of the scan's time (issue 18).

interface FieldRule {
  readonly wireType: number;
  readonly message?: MessageSchema;
}
interface MessageSchema {
  readonly name: string;
  readonly fields: Array<FieldRule | undefined>;
  /** AnyValue: counts towards the nesting limit. */
  readonly isAnyValue?: boolean;
}

const LEN: FieldRule = { wireType: WireType.LEN };
const VARINT: FieldRule = { wireType: WireType.VARINT };
const I64: FieldRule = { wireType: WireType.I64 };
const I32: FieldRule = { wireType: WireType.I32 };

/** Rules indexed by field number, a dense array for the hot lookup; numbers not given are unknown. */
function fieldRules(...rules: ReadonlyArray<readonly [number, FieldRule]>): Array<FieldRule | undefined> {
  const fields = Array.from<FieldRule | undefined>({
    length: Math.max(...rules.map(([field]) => field)) + 1,
  });
  for (const [field, rule] of rules) fields[field] = rule;
  return fields;
}

// Fields in validateAnyValue and validateKeyValue: these two name the messages and mark the nesting.
const ANY_VALUE: MessageSchema = { name: 'AnyValue', fields: [], isAnyValue: true };
const KEY_VALUE: MessageSchema = { name: 'KeyValue', fields: [] };
const ARRAY_VALUE: MessageSchema = {
  name: 'ArrayValue',
  fields: fieldRules([ArrayValueField.VALUES, { wireType: WireType.LEN, message: ANY_VALUE }]),
};
const KEY_VALUE_LIST: MessageSchema = {
  name: 'KeyValueList',
  fields: fieldRules([KeyValueListField.VALUES, { wireType: WireType.LEN, message: KEY_VALUE }]),
};
const ATTRIBUTE: FieldRule = { wireType: WireType.LEN, message: KEY_VALUE };

const RESOURCE: MessageSchema = {
  name: 'Resource',
  fields: fieldRules([ResourceField.ATTRIBUTES, ATTRIBUTE], [ResourceField.DROPPED_ATTRIBUTES_COUNT, VARINT]),
};
const SCOPE: MessageSchema = {
  name: 'InstrumentationScope',
  fields: fieldRules(
    [ScopeField.NAME, LEN],
    [ScopeField.VERSION, LEN],
    [ScopeField.ATTRIBUTES, ATTRIBUTE],
    [ScopeField.DROPPED_ATTRIBUTES_COUNT, VARINT],
  ),
};
const EVENT: MessageSchema = {
  name: 'Span.Event',
  fields: fieldRules(
    [SpanEventField.TIME_UNIX_NANO, I64],
    [SpanEventField.NAME, LEN],
    [SpanEventField.ATTRIBUTES, ATTRIBUTE],
    [SpanEventField.DROPPED_ATTRIBUTES_COUNT, VARINT],
  ),
};
const LINK: MessageSchema = {
  name: 'Span.Link',
  fields: fieldRules(
    [SpanLinkField.TRACE_ID, LEN],
    [SpanLinkField.SPAN_ID, LEN],
    [SpanLinkField.TRACE_STATE, LEN],
    [SpanLinkField.ATTRIBUTES, ATTRIBUTE],
    [SpanLinkField.DROPPED_ATTRIBUTES_COUNT, VARINT],
    [SpanLinkField.FLAGS, I32],
  ),
};
const STATUS: MessageSchema = {
  name: 'Status',
  fields: fieldRules([StatusField.MESSAGE, LEN], [StatusField.CODE, VARINT]),
};
const SPAN: MessageSchema = {
  name: 'Span',
  fields: fieldRules(
    [SpanField.TRACE_ID, LEN],
    [SpanField.SPAN_ID, LEN],
    [SpanField.TRACE_STATE, LEN],
    [SpanField.PARENT_SPAN_ID, LEN],
    [SpanField.NAME, LEN],
    [SpanField.KIND, VARINT],
    [SpanField.START_TIME_UNIX_NANO, I64],
    [SpanField.END_TIME_UNIX_NANO, I64],
    [SpanField.ATTRIBUTES, ATTRIBUTE],
    [SpanField.DROPPED_ATTRIBUTES_COUNT, VARINT],
    [SpanField.EVENTS, { wireType: WireType.LEN, message: EVENT }],
    [SpanField.DROPPED_EVENTS_COUNT, VARINT],
    [SpanField.LINKS, { wireType: WireType.LEN, message: LINK }],
    [SpanField.DROPPED_LINKS_COUNT, VARINT],
    [SpanField.STATUS, { wireType: WireType.LEN, message: STATUS }],
    [SpanField.FLAGS, I32],
  ),
};

/** A resource or scope: validated, with its values counted against the limit. */
function validateHead(r: ProtoReader, end: number, schema: MessageSchema, state: ScanState): void {
  state.values = 0;
  validateMessage(r, end, schema, 0, state);
  if (state.hints && state.values > state.hints.maxValues) state.needsRewrite = true;
}

function validateMessage(
  r: ProtoReader,
  end: number,
  schema: MessageSchema,
  depth: number,
  state: ScanState,
): void {
  const outerEnd = r.end;
  r.end = end;
  let attributes = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (schema.fields[tag >>> 3] === ATTRIBUTE) attributes++;
    validateField(r, tag, schema, depth, state);
  }
  if (state.hints && attributes > state.hints.maxAttributes) state.needsRewrite = true;
  r.end = outerEnd;
}

function validateField(
  r: ProtoReader,
  tag: number,
  schema: MessageSchema,
  depth: number,
  state: ScanState,
): void {
  const rule = schema.fields[tag >>> 3];
  if (rule === undefined) {
    r.skip(tag & 7);
    return;
  }
  if ((tag & 7) !== rule.wireType) wrongWireType(r, schema, tag, rule.wireType);
  if (rule.message === undefined) {
    r.skip(rule.wireType);
    return;
  }
  const end = r.delimitedEnd();
  // What the decoder takes from its value budget: each attribute or kvlist entry, each array item.
  if (rule.message === KEY_VALUE || schema === ARRAY_VALUE) state.values++;
  if (rule.message.isAnyValue && depth >= MAX_ANY_VALUE_DEPTH) tooDeep(r);
  if (rule.message === KEY_VALUE) validateKeyValue(r, end, depth, state);
  else if (rule.message === ANY_VALUE) validateAnyValue(r, end, depth, state);
  else validateMessage(r, end, rule.message, depth, state);
  r.pos = end;
}

/** validateField for a scalar field of the given wire type, without its lookups. */
function validateScalar(r: ProtoReader, tag: number, schema: MessageSchema, wireType: number): void {
  if ((tag & 7) !== wireType) wrongWireType(r, schema, tag, wireType);
  r.skip(wireType);
}

/** A span's attribute: validateField for the ATTRIBUTE rule, without its lookups. */
function validateAttribute(r: ProtoReader, tag: number, schema: MessageSchema, state: ScanState): void {
  if ((tag & 7) !== WireType.LEN) wrongWireType(r, schema, tag, WireType.LEN);
  const end = r.delimitedEnd();
  state.values++;
  validateKeyValue(r, end, 0, state);
  r.pos = end;
}

function validateKeyValue(r: ProtoReader, end: number, depth: number, state: ScanState): void {
  const outerEnd = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === KeyValueField.KEY) {
      if ((tag & 7) !== WireType.LEN) wrongWireType(r, KEY_VALUE, tag, WireType.LEN);
      const keyEnd = r.delimitedEnd();
      if (state.hints?.keyNeedsRewrite?.(utf8Slice(r.buf, r.pos, keyEnd))) state.needsRewrite = true;
      r.pos = keyEnd;
    } else if (field === KeyValueField.VALUE) {
      if ((tag & 7) !== WireType.LEN) wrongWireType(r, KEY_VALUE, tag, WireType.LEN);
      const valueEnd = r.delimitedEnd();
      if (depth >= MAX_ANY_VALUE_DEPTH) tooDeep(r);
      validateAnyValue(r, valueEnd, depth, state);
      r.pos = valueEnd;
    } else r.skip(tag & 7);
  }
  r.end = outerEnd;
}

function validateAnyValue(r: ProtoReader, end: number, depth: number, state: ScanState): void {
  const outerEnd = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case AnyValueField.STRING_VALUE: {
        if ((tag & 7) !== WireType.LEN) wrongWireType(r, ANY_VALUE, tag, WireType.LEN);
        const stringEnd = r.delimitedEnd();
        if (state.hints && stringEnd - r.pos > state.hints.maxValueBytes) state.needsRewrite = true;
        r.pos = stringEnd;
        break;
      }
      case AnyValueField.BOOL_VALUE:
      case AnyValueField.INT_VALUE:
        if ((tag & 7) !== WireType.VARINT) wrongWireType(r, ANY_VALUE, tag, WireType.VARINT);
        r.skip(WireType.VARINT);
        break;
      case AnyValueField.DOUBLE_VALUE:
        if ((tag & 7) !== WireType.I64) wrongWireType(r, ANY_VALUE, tag, WireType.I64);
        r.skip(WireType.I64);
        break;
      case AnyValueField.BYTES_VALUE:
        if ((tag & 7) !== WireType.LEN) wrongWireType(r, ANY_VALUE, tag, WireType.LEN);
        r.skip(WireType.LEN);
        break;
      case AnyValueField.ARRAY_VALUE:
      case AnyValueField.KVLIST_VALUE: {
        if ((tag & 7) !== WireType.LEN) wrongWireType(r, ANY_VALUE, tag, WireType.LEN);
        const listEnd = r.delimitedEnd();
        // An array's or kvlist's contents are one level deeper.
        const list = tag >>> 3 === AnyValueField.ARRAY_VALUE ? ARRAY_VALUE : KEY_VALUE_LIST;
        validateMessage(r, listEnd, list, depth + 1, state);
        r.pos = listEnd;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outerEnd;
}

function wrongWireType(r: ProtoReader, schema: MessageSchema, tag: number, expected: number): never {
  return r.fail(`${schema.name} field ${tag >>> 3} has wire type ${tag & 7}, expected ${expected}`);
}

function tooDeep(r: ProtoReader): never {
  return r.fail(`attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
}
