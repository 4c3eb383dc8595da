/**
 * OTLP/JSON (the protobuf JSON mapping with the OTLP exceptions: hex ids, enums as integers) to and
 * from the span model.
 *
 * Reading is lenient where the protobuf JSON mapping is: lowerCamelCase and original snake_case keys,
 * int64 as strings or numbers, enum names as well as numbers; unknown fields are ignored. Wrong
 * types are errors that name the JSON path. Ids that are not hex are kept as sent so that span
 * validation rejects the span (reported through partial_success) instead of failing the request.
 */
import {
  type Attributes,
  type AttributeValue,
  EMPTY_SCOPE,
  type InstrumentationScope,
  type KeyValueList,
  makeResource,
  newAttributes,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from '../span/model.ts';
import { MAX_ANY_VALUE_DEPTH } from './decode.ts';
import {
  AttributeCollector,
  type CutCounts,
  type DecodeLimits,
  newCutCounts,
  UNLIMITED,
  ValueBudget,
} from './decode-limits.ts';
import { groupByResourceAndScope } from './encode.ts';
import { JsonFormatError, TooManySpansError } from './errors.ts';

type Json = unknown;
type JsonObject = Record<string, Json>;

const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** How the conversion from parsed JSON is bounded, and where what it cuts is counted. */
export interface JsonDecodeOptions {
  readonly limits?: DecodeLimits;
  readonly counts?: CutCounts;
  /** More spans than this (counted before any is converted) throw TooManySpansError. */
  readonly maxSpans?: number;
}

/**
 * Parses the text of an OTLP/JSON ExportTraceServiceRequest. JSON.parse materialises the whole
 * document, so the caller bounds its size (ingest has a lower size limit for JSON than protobuf);
 * the conversion to spans then cuts what exceeds `limits` without converting it.
 */
export function decodeTraceRequestJson(text: string, options: JsonDecodeOptions = {}): Span[] {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new JsonFormatError(`body is not valid JSON (${(error as Error).message})`, '', { cause: error });
  }
  return decodeTraceRequestObject(doc, options);
}

interface Conversion {
  readonly limits: DecodeLimits;
  readonly counts: CutCounts;
}

/** Converts an already parsed OTLP/JSON ExportTraceServiceRequest or TracesData. */
export function decodeTraceRequestObject(doc: Json, options: JsonDecodeOptions = {}): Span[] {
  const root = asObject(doc, '');
  const at: Conversion = { limits: options.limits ?? UNLIMITED, counts: options.counts ?? newCutCounts() };
  const out: Span[] = [];
  const resourceSpans = asArray(field(root, 'resourceSpans', 'resource_spans'), 'resourceSpans');
  const maxSpans = options.maxSpans ?? Number.POSITIVE_INFINITY;
  const count = countSpans(resourceSpans);
  if (count > maxSpans) throw new TooManySpansError(count, maxSpans);
  for (let i = 0; i < resourceSpans.length; i++) {
    const path = `resourceSpans[${i}]`;
    const rs = asObject(resourceSpans[i], path);
    const schemaUrl = asString(field(rs, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`);
    const resourceJson = field(rs, 'resource', 'resource');
    let resource = makeResource(newAttributes(), 0, schemaUrl);
    if (resourceJson !== undefined && resourceJson !== null) {
      const r = asObject(resourceJson, `${path}.resource`);
      const attributes = readAttributes(
        field(r, 'attributes', 'attributes'),
        `${path}.resource.attributes`,
        new AttributeCollector(new ValueBudget(at.limits, at.counts), Number.POSITIVE_INFINITY),
      );
      resource = makeResource(
        attributes.map,
        asUint32(field(r, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.resource`) +
          attributes.dropped,
        schemaUrl,
      );
    }
    const scopeSpans = asArray(field(rs, 'scopeSpans', 'scope_spans'), `${path}.scopeSpans`);
    for (let j = 0; j < scopeSpans.length; j++) {
      const spath = `${path}.scopeSpans[${j}]`;
      const ss = asObject(scopeSpans[j], spath);
      const scope = readScope(ss, spath, at);
      const spans = asArray(field(ss, 'spans', 'spans'), `${spath}.spans`);
      for (let k = 0; k < spans.length; k++) {
        out.push(
          readSpan(asObject(spans[k], `${spath}.spans[${k}]`), `${spath}.spans[${k}]`, resource, scope, at),
        );
      }
    }
  }
  return out;
}

/** Spans in the request, counted before any is converted; malformed parts are left to the conversion. */
function countSpans(resourceSpans: readonly Json[]): number {
  let count = 0;
  for (const rs of resourceSpans) {
    if (!isObject(rs)) continue;
    const scopeSpans = field(rs, 'scopeSpans', 'scope_spans');
    if (!Array.isArray(scopeSpans)) continue;
    for (const ss of scopeSpans) {
      const spans = isObject(ss) ? field(ss, 'spans', 'spans') : undefined;
      if (Array.isArray(spans)) count += spans.length;
    }
  }
  return count;
}

function readScope(ss: JsonObject, path: string, at: Conversion): InstrumentationScope {
  const schemaUrl = asString(field(ss, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`);
  const scopeJson = field(ss, 'scope', 'scope');
  if (scopeJson === undefined || scopeJson === null) {
    return schemaUrl === '' ? EMPTY_SCOPE : { ...EMPTY_SCOPE, schemaUrl };
  }
  const s = asObject(scopeJson, `${path}.scope`);
  const attributes = readAttributes(
    s.attributes,
    `${path}.scope.attributes`,
    new AttributeCollector(new ValueBudget(at.limits, at.counts), Number.POSITIVE_INFINITY),
  );
  return {
    name: asString(s.name, `${path}.scope.name`),
    version: asString(s.version, `${path}.scope.version`),
    attributes: attributes.map,
    droppedAttributesCount:
      asUint32(field(s, 'droppedAttributesCount', 'dropped_attributes_count'), path) + attributes.dropped,
    schemaUrl,
  };
}

/** The first `max` items (read by `read`) and how many were left out unread. */
function limitedItems<T>(
  json: Json,
  path: string,
  max: number,
  read: (item: Json, path: string) => T,
): { items: T[]; cut: number } {
  const list = asArray(json, path);
  const kept = Math.min(list.length, max);
  const items: T[] = new Array(kept);
  for (let i = 0; i < kept; i++) items[i] = read(list[i], `${path}[${i}]`);
  return { items, cut: list.length - kept };
}

function readSpan(
  s: JsonObject,
  path: string,
  resource: Span['resource'],
  scope: InstrumentationScope,
  at: Conversion,
): Span {
  const budget = new ValueBudget(at.limits, at.counts);
  const attributes = readAttributes(
    s.attributes,
    `${path}.attributes`,
    new AttributeCollector(budget, at.limits.maxAttributes),
  );
  const events = limitedItems(s.events, `${path}.events`, at.limits.maxEvents, (e, p) =>
    readEvent(e, p, budget),
  );
  const links = limitedItems(s.links, `${path}.links`, at.limits.maxLinks, (l, p) => readLink(l, p, budget));
  budget.dropped(events.cut + links.cut);
  const statusJson = s.status;
  let statusCode = 0;
  let statusMessage = '';
  if (statusJson !== undefined && statusJson !== null) {
    const st = asObject(statusJson, `${path}.status`);
    statusCode = asEnum(st.code, STATUS_CODE_NAMES, `${path}.status.code`);
    statusMessage = asString(st.message, `${path}.status.message`);
  }
  const kind = asEnum(s.kind, SPAN_KIND_NAMES, `${path}.kind`);
  return {
    traceId: asId(field(s, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: asId(field(s, 'spanId', 'span_id'), `${path}.spanId`),
    parentSpanId: asParentId(field(s, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`),
    traceState: asString(field(s, 'traceState', 'trace_state'), `${path}.traceState`),
    flags: asUint32(s.flags, `${path}.flags`),
    name: asString(s.name, `${path}.name`),
    kind: (kind <= 5 ? kind : 0) as SpanKind,
    startTimeUnixNano: asUint64(
      field(s, 'startTimeUnixNano', 'start_time_unix_nano'),
      `${path}.startTimeUnixNano`,
    ),
    endTimeUnixNano: asUint64(field(s, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes: attributes.map,
    droppedAttributesCount:
      asUint32(field(s, 'droppedAttributesCount', 'dropped_attributes_count'), path) + attributes.dropped,
    events: events.items,
    droppedEventsCount: asUint32(field(s, 'droppedEventsCount', 'dropped_events_count'), path) + events.cut,
    links: links.items,
    droppedLinksCount: asUint32(field(s, 'droppedLinksCount', 'dropped_links_count'), path) + links.cut,
    status: { code: (statusCode <= 2 ? statusCode : 0) as StatusCode, message: statusMessage },
    resource,
    scope,
  };
}

function readEvent(json: Json, path: string, budget: ValueBudget): SpanEvent {
  const e = asObject(json, path);
  const attributes = readAttributes(
    e.attributes,
    `${path}.attributes`,
    new AttributeCollector(budget, budget.limits.maxAttributes),
  );
  return {
    timeUnixNano: asUint64(field(e, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    name: asString(e.name, `${path}.name`),
    attributes: attributes.map,
    droppedAttributesCount:
      asUint32(field(e, 'droppedAttributesCount', 'dropped_attributes_count'), path) + attributes.dropped,
  };
}

function readLink(json: Json, path: string, budget: ValueBudget): SpanLink {
  const l = asObject(json, path);
  const attributes = readAttributes(
    l.attributes,
    `${path}.attributes`,
    new AttributeCollector(budget, budget.limits.maxAttributes),
  );
  return {
    traceId: asId(field(l, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: asId(field(l, 'spanId', 'span_id'), `${path}.spanId`),
    traceState: asString(field(l, 'traceState', 'trace_state'), `${path}.traceState`),
    attributes: attributes.map,
    droppedAttributesCount:
      asUint32(field(l, 'droppedAttributesCount', 'dropped_attributes_count'), path) + attributes.dropped,
    flags: asUint32(l.flags, `${path}.flags`),
  };
}

/** Reads a KeyValue list into `into`, converting only the values it admits. */
function readAttributes(
  json: Json,
  path: string,
  into: AttributeCollector,
  depth = 0,
  budget = into.budget,
): AttributeCollector {
  const list = asArray(json, path);
  for (let i = 0; i < list.length; i++) {
    const kv = asObject(list[i], `${path}[${i}]`);
    const key = asString(kv.key, `${path}[${i}].key`);
    if (into.admits(key)) into.set(key, readAnyValue(kv.value, `${path}[${i}].value`, depth, budget));
  }
  return into;
}

function readAnyValue(json: Json, path: string, depth: number, budget: ValueBudget): AttributeValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw new JsonFormatError(`attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`, path);
  }
  if (json === undefined || json === null) return '';
  const v = asObject(json, path);
  if ('stringValue' in v || 'string_value' in v)
    return asString(field(v, 'stringValue', 'string_value'), path);
  if ('boolValue' in v || 'bool_value' in v) {
    const b = field(v, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new JsonFormatError('expected a boolean', `${path}.boolValue`);
    return b;
  }
  if ('intValue' in v || 'int_value' in v)
    return asInt64(field(v, 'intValue', 'int_value'), `${path}.intValue`);
  if ('doubleValue' in v || 'double_value' in v) {
    return asDouble(field(v, 'doubleValue', 'double_value'), `${path}.doubleValue`);
  }
  if ('arrayValue' in v || 'array_value' in v) {
    const arr = asObject(field(v, 'arrayValue', 'array_value'), `${path}.arrayValue`);
    const items: AttributeValue[] = [];
    const values = asArray(arr.values, `${path}.arrayValue.values`);
    for (let i = 0; i < values.length; i++) {
      if (budget.take())
        items.push(readAnyValue(values[i], `${path}.arrayValue.values[${i}]`, depth + 1, budget));
    }
    return items;
  }
  if ('kvlistValue' in v || 'kvlist_value' in v) {
    const kv = asObject(field(v, 'kvlistValue', 'kvlist_value'), `${path}.kvlistValue`);
    const map = new AttributeCollector(budget, Number.POSITIVE_INFINITY);
    return readAttributes(kv.values, `${path}.kvlistValue.values`, map, depth + 1).map as KeyValueList;
  }
  if ('bytesValue' in v || 'bytes_value' in v) {
    const b64 = asString(field(v, 'bytesValue', 'bytes_value'), `${path}.bytesValue`);
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }
  return '';
}

function field(obj: JsonObject, camel: string, snake: string): Json {
  const v = obj[camel];
  return v === undefined ? obj[snake] : v;
}

function isObject(json: Json): json is JsonObject {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

function asObject(json: Json, path: string): JsonObject {
  if (!isObject(json)) {
    throw new JsonFormatError(`expected an object, got ${describe(json)}`, path);
  }
  return json as JsonObject;
}

function asArray(json: Json, path: string): readonly Json[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) throw new JsonFormatError(`expected an array, got ${describe(json)}`, path);
  return json;
}

function asString(json: Json, path: string): string {
  if (json === undefined || json === null) return '';
  if (typeof json !== 'string') throw new JsonFormatError(`expected a string, got ${describe(json)}`, path);
  return json;
}

/** Lowercase hex of an id. Anything else is kept as sent so that span validation rejects it. */
function asId(json: Json, path: string): string {
  return asString(json, path).toLowerCase();
}

/** As asId, with eight zero bytes (sent by some exporters for a root) meaning no parent. */
function asParentId(json: Json, path: string): string {
  const hex = asId(json, path);
  return hex === '0000000000000000' ? '' : hex;
}

const UINT_TEXT = /^\d{1,20}$/;
const INT_TEXT = /^-?\d{1,20}$/;
const MAX_UINT64 = (1n << 64n) - 1n;

function asUint64(json: Json, path: string): bigint {
  if (json === undefined || json === null) return 0n;
  // Numbers beyond 2^53 (every present-day nanosecond time) arrive already rounded by JSON.parse to
  // about 256 ns; they are accepted as sent, since the protobuf JSON mapping allows numbers.
  if (typeof json === 'number' && Number.isInteger(json) && json >= 0 && json < 2 ** 64) return BigInt(json);
  if (typeof json === 'string' && UINT_TEXT.test(json)) {
    const v = BigInt(json);
    if (v <= MAX_UINT64) return v;
  }
  throw new JsonFormatError(`expected an unsigned 64-bit integer, got ${describe(json)}`, path);
}

function asInt64(json: Json, path: string): number | bigint {
  if (typeof json === 'number' && Number.isSafeInteger(json)) return json;
  if (typeof json === 'number' && Number.isInteger(json) && Math.abs(json) < 2 ** 63) return BigInt(json);
  if (typeof json === 'string' && INT_TEXT.test(json)) {
    const v = BigInt(json);
    if (v >= -(1n << 63n) && v < 1n << 63n) {
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
  }
  throw new JsonFormatError(`expected a signed 64-bit integer, got ${describe(json)}`, path);
}

function asUint32(json: Json, path: string): number {
  if (json === undefined || json === null) return 0;
  if (typeof json === 'number' && Number.isInteger(json) && json >= 0 && json <= 0xffffffff) return json;
  if (typeof json === 'string' && UINT_TEXT.test(json) && Number(json) <= 0xffffffff) return Number(json);
  throw new JsonFormatError(`expected an unsigned 32-bit integer, got ${describe(json)}`, path);
}

function asDouble(json: Json, path: string): number {
  if (typeof json === 'number') return json;
  if (json === 'NaN') return Number.NaN;
  if (json === 'Infinity') return Number.POSITIVE_INFINITY;
  if (json === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json))) return Number(json);
  throw new JsonFormatError(`expected a number, got ${describe(json)}`, path);
}

function asEnum(json: Json, names: Record<string, number>, path: string): number {
  if (json === undefined || json === null) return 0;
  if (typeof json === 'number' && Number.isInteger(json) && json >= 0) return json;
  if (typeof json === 'string' && Object.hasOwn(names, json)) return names[json] as number;
  throw new JsonFormatError(`expected an enum number, got ${describe(json)}`, path);
}

function describe(json: Json): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'string') return json.length > 40 ? `a string "${json.slice(0, 40)}…"` : `"${json}"`;
  if (typeof json === 'object') return 'an object';
  return `${typeof json} ${String(json)}`;
}

// ---------------------------------------------------------------------------------------------
// Writing: Span[] -> OTLP/JSON TracesData (what the trace-by-id API returns).

export interface OtlpJsonTracesData {
  resourceSpans: JsonObject[];
}

export function encodeTracesDataJson(spans: readonly Span[]): OtlpJsonTracesData {
  const resourceSpans: JsonObject[] = [];
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    const scopeSpans: JsonObject[] = [];
    for (const [scope, list] of scopes) {
      scopeSpans.push(
        omitEmpty({
          scope: omitEmpty({
            name: scope.name,
            version: scope.version,
            attributes: attributesJson(scope.attributes),
            droppedAttributesCount: scope.droppedAttributesCount,
          }),
          spans: list.map(spanJson),
          schemaUrl: scope.schemaUrl,
        }),
      );
    }
    resourceSpans.push(
      omitEmpty({
        resource: omitEmpty({
          attributes: attributesJson(resource.attributes),
          droppedAttributesCount: resource.droppedAttributesCount,
        }),
        scopeSpans,
        schemaUrl: resource.schemaUrl,
      }),
    );
  }
  return { resourceSpans };
}

function spanJson(span: Span): JsonObject {
  return omitEmpty({
    traceId: span.traceId,
    spanId: span.spanId,
    traceState: span.traceState,
    parentSpanId: span.parentSpanId,
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: attributesJson(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) =>
      omitEmpty({
        timeUnixNano: e.timeUnixNano.toString(),
        name: e.name,
        attributes: attributesJson(e.attributes),
        droppedAttributesCount: e.droppedAttributesCount,
      }),
    ),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) =>
      omitEmpty({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes: attributesJson(l.attributes),
        droppedAttributesCount: l.droppedAttributesCount,
        flags: l.flags,
      }),
    ),
    droppedLinksCount: span.droppedLinksCount,
    status: omitEmpty({ message: span.status.message, code: span.status.code }),
  });
}

export function attributesJson(attributes: Attributes): JsonObject[] {
  const out: JsonObject[] = [];
  for (const key in attributes) out.push({ key, value: anyValueJson(attributes[key] as AttributeValue) });
  return out;
}

/** The OTLP/JSON form of an AnyValue. */
export function anyValueJson(value: AttributeValue): JsonObject {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      if (Number.isSafeInteger(value)) return { intValue: String(value) };
      return { doubleValue: Number.isFinite(value) ? value : String(value) };
    case 'bigint':
      return { intValue: value.toString() };
    default:
      break;
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: (value as AttributeValue[]).map(anyValueJson) } };
  return { kvlistValue: { values: attributesJson(value as Attributes) } };
}

/** Drops fields holding proto3 default values, as the protobuf JSON mapping does. */
function omitEmpty(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key in obj) {
    const v = obj[key];
    if (v === '' || v === 0 || v === '0' || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}
