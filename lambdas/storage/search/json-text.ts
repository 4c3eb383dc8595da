/**
 * Attribute values as JSON text, as the Collector's Jaeger translator writes arrays and kvlists into
 * string tags: shared by the Jaeger translation (lambdas/query/jaeger/tags.ts) and the search terms.
 */
import type { Attributes, AttributeValue } from '../../shared/span/model.ts';

/**
 * Compact JSON of an attribute value as Go's encoding/json writes the Collector's raw value: int64
 * as exact digits (a bigint is never rounded), bytes as base64, kvlist keys sorted. Two departures,
 * both where Go would fail or garble: a non-finite float is a string ("NaN"), and <, >, & are not
 * escaped as \u003c... (Go's HTML escaping, meaningless in a tag shown as text).
 */
export function jsonTextOf(value: AttributeValue): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    default:
      break;
  }
  if (value instanceof Uint8Array) return JSON.stringify(base64Of(value));
  if (Array.isArray(value)) return `[${(value as readonly AttributeValue[]).map(jsonTextOf).join(',')}]`;
  const map = value as Attributes;
  const members = Object.keys(map)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${jsonTextOf(map[key] as AttributeValue)}`);
  return `{${members.join(',')}}`;
}

/** Bytes as standard base64, as Go encodes a []byte in JSON. */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
