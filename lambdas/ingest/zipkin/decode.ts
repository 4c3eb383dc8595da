/**
 * Zipkin v2 JSON (zipkin2-api.yaml, `POST /api/v2/spans`): a list of spans, checked field by field
 * into plain data. What the Zipkin model says a field is, it must be: ids hex of their length
 * (trace 16 or 32, span 16, never all zeros), times non-negative integer microseconds, tag values
 * strings, IP addresses that parse. Absent and null fields take their empty values, unknown fields
 * are ignored (as zipkin-go's decoder, which the Collector's receiver uses, does).
 *
 * The first bad field refuses the whole list with the span's index and the field's name: Zipkin
 * has no partial success, so a client is told exactly what to fix instead of losing spans silently.
 */
import { isIP } from 'node:net';
import { ZipkinJsonError, ZipkinSpanCountError, ZipkinSpanError } from './errors.ts';

export interface ZipkinEndpoint {
  readonly serviceName: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** 0 when absent. */
  readonly port: number;
}

export interface ZipkinAnnotation {
  /** Epoch microseconds. */
  readonly timestamp: number;
  readonly value: string;
}

export interface ZipkinSpan {
  /** Lowercase hex, 16 or 32 characters as sent. */
  readonly traceId: string;
  /** 16 lowercase hex characters. */
  readonly id: string;
  /** 16 lowercase hex characters, or '' when absent. */
  readonly parentId: string;
  readonly name: string;
  /** CLIENT, SERVER, PRODUCER, CONSUMER as sent, or '' when absent. */
  readonly kind: string;
  /** Epoch microseconds, 0 when absent. */
  readonly timestamp: number;
  /** Microseconds, 0 when absent. */
  readonly duration: number;
  readonly debug: boolean;
  readonly shared: boolean;
  readonly localEndpoint: ZipkinEndpoint | undefined;
  readonly remoteEndpoint: ZipkinEndpoint | undefined;
  readonly annotations: readonly ZipkinAnnotation[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface ZipkinDecodeOptions {
  /** More spans than this (counted before any is read) throw ZipkinSpanCountError. */
  readonly maxSpans?: number;
}

type JsonObject = Record<string, unknown>;

const TRACE_ID = /^(?:[0-9a-fA-F]{16}){1,2}$/;
const SPAN_ID = /^[0-9a-fA-F]{16}$/;
const ALL_ZEROS = /^0+$/;

/** The spans of a Zipkin v2 JSON body (its text). */
export function decodeZipkinJson(text: string, options: ZipkinDecodeOptions = {}): ZipkinSpan[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ZipkinJsonError(`body is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(doc)) {
    throw new ZipkinJsonError(`body must be a JSON list of Zipkin v2 spans, got ${describe(doc)}`);
  }
  const maxSpans = options.maxSpans ?? Number.POSITIVE_INFINITY;
  if (doc.length > maxSpans) throw new ZipkinSpanCountError(doc.length, maxSpans);
  const spans: ZipkinSpan[] = new Array(doc.length);
  for (let i = 0; i < doc.length; i++) spans[i] = readSpan(doc[i], i);
  return spans;
}

function readSpan(json: unknown, index: number): ZipkinSpan {
  if (!isObject(json)) throw new ZipkinSpanError(index, '', `expected a span object, got ${describe(json)}`);
  const s = json;
  // A v1 span read as v2 would lose its service name and tags without a word (zipkin-js's
  // HttpLogger encodes v1 unless told JSON_V2): say so instead.
  if (s.binaryAnnotations !== undefined && s.binaryAnnotations !== null) {
    throw new ZipkinSpanError(
      index,
      'binaryAnnotations',
      'is a Zipkin v1 field; this endpoint takes Zipkin v2 JSON (zipkin-js: jsonEncoder JSON_V2)',
    );
  }
  return {
    traceId: readId(s.traceId, index, 'traceId', TRACE_ID, '16 or 32'),
    id: readId(s.id, index, 'id', SPAN_ID, '16'),
    parentId: readParentId(s.parentId, index),
    name: readString(s.name, index, 'name'),
    kind: readString(s.kind, index, 'kind'),
    timestamp: readMicros(s.timestamp, index, 'timestamp'),
    duration: readMicros(s.duration, index, 'duration'),
    debug: readBoolean(s.debug, index, 'debug'),
    shared: readBoolean(s.shared, index, 'shared'),
    localEndpoint: readEndpoint(s.localEndpoint, index, 'localEndpoint'),
    remoteEndpoint: readEndpoint(s.remoteEndpoint, index, 'remoteEndpoint'),
    annotations: readAnnotations(s.annotations, index),
    tags: readTags(s.tags, index),
  };
}

function readId(json: unknown, index: number, field: string, pattern: RegExp, lengths: string): string {
  if (json === undefined || json === null || json === '')
    throw new ZipkinSpanError(index, field, 'is required');
  if (typeof json !== 'string' || !pattern.test(json)) {
    throw new ZipkinSpanError(index, field, `expected ${lengths} hex characters, got ${describe(json)}`);
  }
  if (ALL_ZEROS.test(json)) throw new ZipkinSpanError(index, field, 'must not be all zeros');
  return json.toLowerCase();
}

function readParentId(json: unknown, index: number): string {
  if (json === undefined || json === null || json === '') return '';
  if (typeof json !== 'string' || !SPAN_ID.test(json)) {
    throw new ZipkinSpanError(index, 'parentId', `expected 16 hex characters, got ${describe(json)}`);
  }
  return json.toLowerCase();
}

function readString(json: unknown, index: number, field: string): string {
  if (json === undefined || json === null) return '';
  if (typeof json !== 'string')
    throw new ZipkinSpanError(index, field, `expected a string, got ${describe(json)}`);
  return json;
}

function readBoolean(json: unknown, index: number, field: string): boolean {
  if (json === undefined || json === null) return false;
  if (typeof json !== 'boolean') {
    throw new ZipkinSpanError(index, field, `expected true or false, got ${describe(json)}`);
  }
  return json;
}

/** Microseconds: a non-negative integer JSON.parse holds exactly (below 2^53, the year 2255). */
function readMicros(json: unknown, index: number, field: string): number {
  if (json === undefined || json === null) return 0;
  if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 0) {
    throw new ZipkinSpanError(
      index,
      field,
      `expected a non-negative integer number of microseconds, got ${describe(json)}`,
    );
  }
  return json;
}

function readEndpoint(json: unknown, index: number, field: string): ZipkinEndpoint | undefined {
  if (json === undefined || json === null) return undefined;
  if (!isObject(json)) throw new ZipkinSpanError(index, field, `expected an object, got ${describe(json)}`);
  const port = json.port;
  if (
    port !== undefined &&
    port !== null &&
    (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535)
  ) {
    throw new ZipkinSpanError(
      index,
      `${field}.port`,
      `expected a port from 0 to 65535, got ${describe(port)}`,
    );
  }
  return {
    serviceName: readString(json.serviceName, index, `${field}.serviceName`),
    ipv4: readAddress(json.ipv4, index, `${field}.ipv4`),
    ipv6: readAddress(json.ipv6, index, `${field}.ipv6`),
    port: typeof port === 'number' ? port : 0,
  };
}

/** An IP address as sent, once it parses (either family in either field, as zipkin-go allows). */
function readAddress(json: unknown, index: number, field: string): string {
  const text = readString(json, index, field);
  if (text !== '' && isIP(text) === 0) {
    throw new ZipkinSpanError(index, field, `expected an IP address, got ${describe(text)}`);
  }
  return text;
}

function readAnnotations(json: unknown, index: number): ZipkinAnnotation[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) {
    throw new ZipkinSpanError(index, 'annotations', `expected a list, got ${describe(json)}`);
  }
  const annotations: ZipkinAnnotation[] = new Array(json.length);
  for (let i = 0; i < json.length; i++) {
    const field = `annotations[${i}]`;
    const a = json[i];
    if (!isObject(a)) throw new ZipkinSpanError(index, field, `expected an object, got ${describe(a)}`);
    annotations[i] = {
      timestamp: readMicros(a.timestamp, index, `${field}.timestamp`),
      value: readString(a.value, index, `${field}.value`),
    };
  }
  return annotations;
}

function readTags(json: unknown, index: number): Record<string, string> {
  // Keys come from senders: a map without a prototype takes `__proto__` as an ordinary key.
  const tags = Object.create(null) as Record<string, string>;
  if (json === undefined || json === null) return tags;
  if (!isObject(json)) throw new ZipkinSpanError(index, 'tags', `expected an object, got ${describe(json)}`);
  for (const key of Object.keys(json)) {
    const value = json[key];
    if (typeof value !== 'string') {
      throw new ZipkinSpanError(
        index,
        `tags[${JSON.stringify(key)}]`,
        `expected a string, got ${describe(value)}`,
      );
    }
    tags[key] = value;
  }
  return tags;
}

function isObject(json: unknown): json is JsonObject {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

function describe(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'a list';
  if (typeof json === 'string') return json.length > 40 ? `"${json.slice(0, 40)}…"` : `"${json}"`;
  if (typeof json === 'object') return 'an object';
  return `${typeof json} ${String(json)}`;
}
