/**
 * What ingest changes in spans before they enter the stream: the OpenTelemetry span limits
 * (attribute, event and link counts, string value length) and the redaction rules of the
 * configuration. Pure functions over the span model; spans that need no change are returned as is.
 */
import { createHash } from 'node:crypto';
import type { TracesiftConfig } from '../shared/config/schema.ts';
import type { Attributes, AttributeValue, Resource, Span } from '../shared/span/model.ts';
import { makeResource } from '../shared/span/model.ts';

export type KeyAction = 'drop' | 'mask' | 'hash';

export const MASK = '***';

export interface SpanRules {
  readonly maxAttributesPerSpan: number;
  readonly maxEventsPerSpan: number;
  readonly maxLinksPerSpan: number;
  readonly maxAttributeValueLength: number;
  /** The redaction action for an attribute key, or undefined when it is kept as is. */
  keyAction(key: string): KeyAction | undefined;
  readonly hasKeyRules: boolean;
  readonly valueRules: ReadonlyArray<{ readonly pattern: RegExp; readonly replacement: string }>;
}

export interface RuleCounters {
  attributesRedacted: number;
  valuesRedacted: number;
  valuesTruncated: number;
  itemsDropped: number;
}

export function compileSpanRules(config: TracesiftConfig): SpanRules {
  const keyRules = config.redaction.keys.map((rule) => ({
    pattern: new RegExp(rule.key, 'i'),
    action: rule.action,
  }));
  // Attribute keys repeat endlessly; a bounded cache turns the regex tests into one Map lookup.
  const cache = new Map<string, KeyAction | null>();
  return {
    ...config.ingest.limits,
    hasKeyRules: keyRules.length > 0,
    keyAction(key) {
      if (keyRules.length === 0) return undefined;
      let action = cache.get(key);
      if (action === undefined) {
        action = keyRules.find((rule) => rule.pattern.test(key))?.action ?? null;
        if (cache.size > 10_000) cache.clear();
        cache.set(key, action);
      }
      return action ?? undefined;
    },
    valueRules: config.redaction.values.map((rule) => ({
      pattern: new RegExp(rule.pattern, 'g'),
      replacement: rule.replacement,
    })),
  };
}

export function newRuleCounters(): RuleCounters {
  return { attributesRedacted: 0, valuesRedacted: 0, valuesTruncated: 0, itemsDropped: 0 };
}

/** Applies the rules to every span; resources shared by spans stay shared after rewriting. */
export function applySpanRules(spans: readonly Span[], rules: SpanRules, counters: RuleCounters): Span[] {
  const resources = new Map<Resource, Resource>();
  return spans.map((span) => {
    let resource = resources.get(span.resource);
    if (!resource) {
      const r = limitAttributes(
        span.resource.attributes,
        span.resource.droppedAttributesCount,
        Number.POSITIVE_INFINITY,
        rules,
        counters,
      );
      resource = r ? makeResource(r.attributes, r.dropped, span.resource.schemaUrl) : span.resource;
      resources.set(span.resource, resource);
    }
    return applyToSpan(span, resource, rules, counters);
  });
}

function applyToSpan(span: Span, resource: Resource, rules: SpanRules, counters: RuleCounters): Span {
  const attrs = limitAttributes(
    span.attributes,
    span.droppedAttributesCount,
    rules.maxAttributesPerSpan,
    rules,
    counters,
  );
  const events = limitItems(span.events, span.droppedEventsCount, rules.maxEventsPerSpan, rules, counters);
  const links = limitItems(span.links, span.droppedLinksCount, rules.maxLinksPerSpan, rules, counters);
  if (!attrs && !events && !links && resource === span.resource) return span;
  return {
    ...span,
    resource,
    attributes: attrs ? attrs.attributes : span.attributes,
    droppedAttributesCount: attrs ? attrs.dropped : span.droppedAttributesCount,
    events: events ? events.items : span.events,
    droppedEventsCount: events ? events.dropped : span.droppedEventsCount,
    links: links ? links.items : span.links,
    droppedLinksCount: links ? links.dropped : span.droppedLinksCount,
  };
}

/**
 * Events or links after the count limit (the excess dropped and counted) and the rules on their
 * attributes, or undefined when nothing changes.
 */
function limitItems<T extends { readonly attributes: Attributes; readonly droppedAttributesCount: number }>(
  items: readonly T[],
  dropped: number,
  maxCount: number,
  rules: SpanRules,
  counters: RuleCounters,
): { items: readonly T[]; dropped: number } | undefined {
  let out: readonly T[] = items;
  let droppedNow = 0;
  if (items.length > maxCount) {
    droppedNow = items.length - maxCount;
    counters.itemsDropped += droppedNow;
    out = items.slice(0, maxCount);
  }
  let changed = out !== items;
  out = out.map((item) => {
    const a = limitAttributes(
      item.attributes,
      item.droppedAttributesCount,
      rules.maxAttributesPerSpan,
      rules,
      counters,
    );
    if (!a) return item;
    changed = true;
    return { ...item, attributes: a.attributes, droppedAttributesCount: a.dropped };
  });
  return changed ? { items: out, dropped: dropped + droppedNow } : undefined;
}

/** The attributes after the rules, or undefined when nothing changes. */
function limitAttributes(
  attributes: Attributes,
  dropped: number,
  maxCount: number,
  rules: SpanRules,
  counters: RuleCounters,
): { attributes: Attributes; dropped: number } | undefined {
  let out: Attributes | undefined;
  let kept = 0;
  let droppedNow = 0;
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = attributes[key] as AttributeValue;
    const action = rules.keyAction(key);
    let next: AttributeValue | undefined = value;
    if (action === 'drop') next = undefined;
    else if (action === 'mask') next = MASK;
    else if (action === 'hash')
      next = `sha256:${createHash('sha256').update(String(value)).digest('hex').slice(0, 16)}`;
    else next = limitValue(value, rules, counters);
    if (action) counters.attributesRedacted++;
    if (next !== undefined && kept >= maxCount) {
      next = undefined;
      counters.itemsDropped++;
    }
    if (next === undefined) droppedNow++;
    else kept++;
    if (next !== value && !out) out = copyFirst(attributes, keys, i);
    if (out && next !== undefined) out[key] = next;
  }
  return out ? { attributes: out, dropped: dropped + droppedNow } : undefined;
}

function copyFirst(attributes: Attributes, keys: readonly string[], count: number): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    out[key] = attributes[key] as AttributeValue;
  }
  return out;
}

/** Strings (and arrays of strings) redacted by value patterns, then truncated to the length limit. */
function limitValue(value: AttributeValue, rules: SpanRules, counters: RuleCounters): AttributeValue {
  if (typeof value === 'string') return limitString(value, rules, counters);
  if (Array.isArray(value)) {
    let changed = false;
    const items = (value as readonly AttributeValue[]).map((item) => {
      const next = typeof item === 'string' ? limitString(item, rules, counters) : item;
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  return value;
}

function limitString(value: string, rules: SpanRules, counters: RuleCounters): string {
  let out = value;
  for (const rule of rules.valueRules) {
    rule.pattern.lastIndex = 0;
    if (rule.pattern.test(out)) {
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, rule.replacement);
      counters.valuesRedacted++;
    }
  }
  if (out.length > rules.maxAttributeValueLength) {
    out = out.slice(0, rules.maxAttributeValueLength);
    counters.valuesTruncated++;
  }
  return out;
}
