/**
 * What ingest changes in spans before they enter the stream: the OpenTelemetry span limits
 * (attribute, event and link counts, string value length) and the redaction rules of the
 * configuration, applied into kvlist and array values at any depth. Pure functions over the span
 * model; spans that need no change are returned as is.
 */
import type { TracesiftConfig, ValueTarget } from '../shared/config/index.ts';
import { anyValueJson, type DecodeLimits } from '../shared/otlp/index.ts';
import {
  type Attributes,
  type AttributeValue,
  type InstrumentationScope,
  type KeyValueList,
  makeResource,
  newAttributes,
  type Resource,
  type Span,
} from '../shared/span/model.ts';
import { HashKeysError } from './errors.ts';
import { type HashKeyring, keyedHash } from './hash-keys.ts';

export type KeyAction = 'drop' | 'mask' | 'hash';

export const MASK = '***';

export interface ValueRule {
  readonly pattern: RegExp;
  readonly replacement: string;
}

export interface SpanRules {
  readonly maxAttributesPerSpan: number;
  readonly maxEventsPerSpan: number;
  readonly maxLinksPerSpan: number;
  readonly maxAttributeValueLength: number;
  /** The limits the decoders enforce while reading, so nothing dropped here is materialised. */
  readonly decodeLimits: DecodeLimits;
  /** The redaction action for an attribute key, or undefined when it is kept as is. */
  keyAction(key: string): KeyAction | undefined;
  /** What the `hash` action replaces a value with (keyed: hash-keys.ts). */
  hash(value: AttributeValue): string;
  readonly hasKeyRules: boolean;
  /** Every value rule, whatever its targets. */
  readonly valueRules: readonly ValueRule[];
  /** The value rules of each target. */
  readonly valueRulesFor: Readonly<Record<ValueTarget, readonly ValueRule[]>>;
}

export interface RuleCounters {
  attributesRedacted: number;
  valuesRedacted: number;
  valuesTruncated: number;
  itemsDropped: number;
}

/**
 * The rules of a configuration. `hashKeys` is required when a key rule hashes: a hash rule without
 * its secret key fails here, at start-up, never as an unkeyed hash.
 */
export function compileSpanRules(config: TracesiftConfig, hashKeys?: HashKeyring): SpanRules {
  const keyRules = config.redaction.keys.map((rule) => ({
    pattern: new RegExp(rule.key, 'i'),
    action: rule.action,
  }));
  if (!hashKeys && keyRules.some((rule) => rule.action === 'hash'))
    throw new HashKeysError('none given', 'are needed: a redaction key rule hashes');
  // Attribute keys repeat endlessly; a bounded cache turns the regex tests into one Map lookup.
  const cache = new Map<string, KeyAction | null>();
  const keyAction = (key: string): KeyAction | undefined => {
    if (keyRules.length === 0) return undefined;
    let action = cache.get(key);
    if (action === undefined) {
      action = keyRules.find((rule) => rule.pattern.test(key))?.action ?? null;
      if (cache.size > 10_000) cache.clear();
      cache.set(key, action);
    }
    return action ?? undefined;
  };
  const valueRules = config.redaction.values.map((rule) => ({
    pattern: new RegExp(rule.pattern, 'g'),
    replacement: rule.replacement,
    targets: rule.targets,
  }));
  const rulesFor = (target: ValueTarget): ValueRule[] =>
    valueRules.filter((rule) => rule.targets.includes(target));
  const limits = config.ingest.limits;
  return {
    ...limits,
    decodeLimits: {
      maxAttributes: limits.maxAttributesPerSpan,
      maxEvents: limits.maxEventsPerSpan,
      maxLinks: limits.maxLinksPerSpan,
      maxValues: limits.maxValuesPerSpan,
      ...(keyRules.length > 0 ? { dropsKey: (key: string) => keyAction(key) === 'drop' } : {}),
    },
    hasKeyRules: keyRules.length > 0,
    keyAction,
    hash: (value) => hashOf(value, hashKeys as HashKeyring),
    valueRules,
    valueRulesFor: {
      attributes: rulesFor('attributes'),
      spanName: rulesFor('spanName'),
      statusMessage: rulesFor('statusMessage'),
      eventName: rulesFor('eventName'),
    },
  };
}

export function newRuleCounters(): RuleCounters {
  return { attributesRedacted: 0, valuesRedacted: 0, valuesTruncated: 0, itemsDropped: 0 };
}

/** Applies the rules to every span; resources and scopes shared by spans stay shared after rewriting. */
export function applySpanRules(spans: readonly Span[], rules: SpanRules, counters: RuleCounters): Span[] {
  return spans.map(spanRewriter(rules, counters));
}

/**
 * A function applying the rules to one span at a time, remembering the rewritten resources and
 * scopes (by identity) so that spans sharing them still share them.
 */
export function spanRewriter(rules: SpanRules, counters: RuleCounters): (span: Span) => Span {
  const resources = new Map<Resource, Resource>();
  const scopes = new Map<InstrumentationScope, InstrumentationScope>();
  return (span) => {
    let resource = resources.get(span.resource);
    if (!resource) {
      resource = applyToResource(span.resource, rules, counters);
      resources.set(span.resource, resource);
    }
    let scope = scopes.get(span.scope);
    if (!scope) {
      scope = applyToScope(span.scope, rules, counters);
      scopes.set(span.scope, scope);
    }
    return applyToSpan(span, resource, scope, rules, counters);
  };
}

function applyToResource(resource: Resource, rules: SpanRules, counters: RuleCounters): Resource {
  const r = limitAttributes(
    resource.attributes,
    resource.droppedAttributesCount,
    Number.POSITIVE_INFINITY,
    rules,
    counters,
  );
  return r ? makeResource(r.attributes, r.dropped, resource.schemaUrl) : resource;
}

function applyToScope(
  scope: InstrumentationScope,
  rules: SpanRules,
  counters: RuleCounters,
): InstrumentationScope {
  const r = limitAttributes(
    scope.attributes,
    scope.droppedAttributesCount,
    Number.POSITIVE_INFINITY,
    rules,
    counters,
  );
  return r ? { ...scope, attributes: r.attributes, droppedAttributesCount: r.dropped } : scope;
}

function applyToSpan(
  span: Span,
  resource: Resource,
  scope: InstrumentationScope,
  rules: SpanRules,
  counters: RuleCounters,
): Span {
  const attrs = limitAttributes(
    span.attributes,
    span.droppedAttributesCount,
    rules.maxAttributesPerSpan,
    rules,
    counters,
  );
  const events = limitItems(span.events, span.droppedEventsCount, rules.maxEventsPerSpan, rules, counters);
  const links = limitItems(span.links, span.droppedLinksCount, rules.maxLinksPerSpan, rules, counters);
  const name = redactText(span.name, rules.valueRulesFor.spanName, counters);
  const message = redactText(span.status.message, rules.valueRulesFor.statusMessage, counters);
  if (
    !attrs &&
    !events &&
    !links &&
    resource === span.resource &&
    scope === span.scope &&
    name === span.name &&
    message === span.status.message
  ) {
    return span;
  }
  return {
    ...span,
    name,
    status: message === span.status.message ? span.status : { ...span.status, message },
    resource,
    scope,
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
 * attributes (and on event names), or undefined when nothing changes.
 */
function limitItems<
  T extends {
    readonly attributes: Attributes;
    readonly droppedAttributesCount: number;
    readonly name?: string;
  },
>(
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
    const name =
      item.name === undefined ? undefined : redactText(item.name, rules.valueRulesFor.eventName, counters);
    if (!a && name === item.name) return item;
    changed = true;
    return {
      ...item,
      ...(a ? { attributes: a.attributes, droppedAttributesCount: a.dropped } : {}),
      ...(name === undefined ? {} : { name }),
    };
  });
  return changed ? { items: out, dropped: dropped + droppedNow } : undefined;
}

/** The attributes (or kvlist entries) after the rules, or undefined when nothing changes. */
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
    else if (action === 'hash') next = rules.hash(value);
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

/**
 * The keyed hash of a value under the current key. Scalars hash their text; arrays, kvlists and
 * bytes their OTLP/JSON form, so equal values hash equally and no key of theirs (`toString`,
 * `valueOf`) is ever called as a method.
 */
function hashOf(value: AttributeValue, hashKeys: HashKeyring): string {
  const text =
    typeof value === 'object' ? JSON.stringify(anyValueJson(value)) : String(value as string | number);
  return keyedHash(hashKeys.current, text);
}

function copyFirst(attributes: Attributes, keys: readonly string[], count: number): Attributes {
  const out = newAttributes();
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    out[key] = attributes[key] as AttributeValue;
  }
  return out;
}

/**
 * Strings redacted by value patterns, then truncated to the length limit; arrays and kvlists
 * item by item, with the key rules applied to kvlist keys, at any depth.
 */
function limitValue(value: AttributeValue, rules: SpanRules, counters: RuleCounters): AttributeValue {
  if (typeof value === 'string') return limitString(value, rules, counters);
  if (typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const items = (value as readonly AttributeValue[]).map((item) => {
      const next = limitValue(item, rules, counters);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  const entries = limitAttributes(value as Attributes, 0, Number.POSITIVE_INFINITY, rules, counters);
  return entries ? (entries.attributes as KeyValueList) : value;
}

function limitString(value: string, rules: SpanRules, counters: RuleCounters): string {
  let out = redactText(value, rules.valueRulesFor.attributes, counters);
  if (out.length > rules.maxAttributeValueLength) {
    out = out.slice(0, rules.maxAttributeValueLength);
    counters.valuesTruncated++;
  }
  return out;
}

function redactText(value: string, valueRules: readonly ValueRule[], counters: RuleCounters): string {
  let out = value;
  for (const rule of valueRules) {
    rule.pattern.lastIndex = 0;
    if (rule.pattern.test(out)) {
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, rule.replacement);
      counters.valuesRedacted++;
    }
  }
  return out;
}
