/**
 * Bounds of every string stored in a trace item (pure). Span names, service names, policies and
 * reasons come from senders (a budget key is an attribute value), and DynamoDB refuses an item over
 * 400 KB or an index key over 2048 bytes: one hostile name must not fail its batch neighbours. A
 * string over its bound is cut at a character boundary and ends with TRUNCATION_MARKER, and the
 * item names it in `truncated`; the full strings stay in the spans and in Parquet.
 *
 * The bounds keep an index item (keys and projected attributes) under 1 KB, one write unit
 * (layout.ts states the rate one index key takes).
 */
import type { SamplingDecision } from '../../shared/sampling/kept-trace.ts';
import type { TraceSummary } from '../enrich/summary.ts';

/** UTF-8 bytes of each stored string, marker included. */
export const STORED_STRING_BYTES = {
  service: 256,
  rootName: 256,
  policy: 128,
  reason: 512,
  threshold: 32,
  rootSpanId: 64,
} as const;

/** Services listed in a summary; the rest are counted in `servicesOmitted`. */
export const MAX_STORED_SERVICES = 50;

export const TRUNCATION_MARKER = '\u2026';
const MARKER_BYTES = Buffer.byteLength(TRUNCATION_MARKER);

/** `text` when it fits in `maxBytes` of UTF-8, else its longest prefix that fits with the marker. */
export function boundedText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Each UTF-16 unit takes at least one byte: a string this short cannot be over the bound.
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  const budget = maxBytes - MARKER_BYTES;
  let used = 0;
  let end = 0;
  for (const char of text.slice(0, budget + 1)) {
    const point = char.codePointAt(0) as number;
    if (point >= 0xd800 && point <= 0xdfff) break; // half a surrogate pair, cut by the slice
    const bytes = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (used + bytes > budget) break;
    used += bytes;
    end += char.length;
  }
  return { text: `${text.slice(0, end)}${TRUNCATION_MARKER}`, truncated: true };
}

/** A decision with its sender-influenced strings bounded, as the store records it. */
export function boundedDecision(decision: SamplingDecision): SamplingDecision {
  return {
    ...decision,
    policy: boundedText(decision.policy, STORED_STRING_BYTES.policy).text,
    reason: boundedText(decision.reason, STORED_STRING_BYTES.reason).text,
    threshold: boundedText(decision.threshold, STORED_STRING_BYTES.threshold).text,
  };
}

/** A summary as stored: every string bounded, the truncated ones named. */
export interface StoredSummary extends TraceSummary {
  /** Item attribute names of the strings cut to their bound (each ends with TRUNCATION_MARKER). */
  readonly truncated: readonly string[];
  /** Services beyond MAX_STORED_SERVICES, left out of `services`. */
  readonly servicesOmitted: number;
}

/** Bounds a summary; `earlier` truncations (of a first write a late fragment merges with) are kept. */
export function boundSummary(summary: TraceSummary, earlier: readonly string[] = []): StoredSummary {
  const truncated = new Set(earlier);
  const bound = (attribute: string, text: string, maxBytes: number): string => {
    const out = boundedText(text, maxBytes);
    if (out.truncated) truncated.add(attribute);
    return out.text;
  };
  const services = new Set<string>();
  for (const service of summary.services)
    services.add(bound('services', service, STORED_STRING_BYTES.service));
  const listed = [...services].slice(0, MAX_STORED_SERVICES);
  const servicesOmitted = services.size - listed.length;
  if (servicesOmitted > 0) truncated.add('services');
  return {
    ...summary,
    rootSpanId: bound('root_span_id', summary.rootSpanId, STORED_STRING_BYTES.rootSpanId),
    rootService: bound('root_service', summary.rootService, STORED_STRING_BYTES.service),
    rootName: bound('root_name', summary.rootName, STORED_STRING_BYTES.rootName),
    services: listed,
    policy: bound('policy', summary.policy, STORED_STRING_BYTES.policy),
    reason: bound('reason', summary.reason, STORED_STRING_BYTES.reason),
    threshold: bound('threshold', summary.threshold, STORED_STRING_BYTES.threshold),
    truncated: [...truncated].sort(),
    servicesOmitted,
  };
}
