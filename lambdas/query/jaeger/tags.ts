/**
 * OTLP attributes as Jaeger tags, typed as the Collector's Jaeger translator types them
 * (opentelemetry-collector-contrib pkg/translator/jaeger): string, bool, int64, float64 and bytes
 * map to the tag type of the same name; arrays and kvlists become string tags holding their JSON.
 */
import type { Attributes, AttributeValue } from '../../shared/span/model.ts';
import { base64Of, jsonTextOf } from '../../storage/index.ts';
import type { JaegerTag } from './model.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function tagsOf(attributes: Attributes, skip?: string): JaegerTag[] {
  const tags: JaegerTag[] = [];
  for (const key in attributes) {
    if (key !== skip) tags.push(tagOf(key, attributes[key] as AttributeValue));
  }
  return tags;
}

export function tagOf(key: string, value: AttributeValue): JaegerTag {
  switch (typeof value) {
    case 'string':
      return { key, type: 'string', value };
    case 'boolean':
      return { key, type: 'bool', value };
    case 'bigint':
      return { key, type: 'int64', value: int64Value(value) };
    case 'number':
      // The span model keeps an OTLP int64 as a number when it is safe: the same rule as the
      // project's OTLP encoder, so a value reads as the same type through every API.
      if (Number.isSafeInteger(value)) return { key, type: 'int64', value };
      return { key, type: 'float64', value: Number.isFinite(value) ? value : String(value) };
    default:
      break;
  }
  if (value instanceof Uint8Array) return { key, type: 'binary', value: base64Of(value) };
  return { key, type: 'string', value: jsonTextOf(value) };
}

/** Jaeger writes int64 values beyond ±(2^53 − 1) as strings: JavaScript numbers would round them. */
function int64Value(value: bigint): number | string {
  return value > MAX_SAFE || value < -MAX_SAFE ? value.toString() : Number(value);
}
