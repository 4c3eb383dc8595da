/**
 * The per-trace caps (sampling.maxSpansPerTrace, maxBytesPerTrace) applied to late fragments, and
 * the span cap to a first write larger than it (pure).
 * A trace reaching a cap is decided at once, but its later spans would merge without end: a kept
 * trace must not grow past what trace-by-id can return, however many fragments a sender adds.
 * Bytes are OTLP protobuf bytes, as the stored parts record them (span_bytes).
 */
import type { Span } from '../../shared/span/model.ts';
import { spansProtobufBytes } from './span-blob.ts';

export interface TraceCaps {
  readonly maxSpans: number;
  readonly maxBytes: number;
}

/** What a trace holds already. */
export interface StoredExtent {
  readonly spans: number;
  readonly bytes: number;
}

export function isFull(stored: StoredExtent, caps: TraceCaps): boolean {
  return stored.spans >= caps.maxSpans || stored.bytes >= caps.maxBytes;
}

/**
 * The fresh spans that fit beside `stored` under the caps, earliest start first (span id breaks
 * ties, so a redelivered fragment admits the same spans), and how many do not.
 */
export function spansWithinCaps(
  stored: StoredExtent,
  fresh: readonly Span[],
  caps: TraceCaps,
): { admitted: Span[]; dropped: number } {
  if (isFull(stored, caps)) return { admitted: [], dropped: fresh.length };
  const fits = stored.spans + fresh.length <= caps.maxSpans;
  if (fits && stored.bytes + spansProtobufBytes(fresh) <= caps.maxBytes) {
    return { admitted: [...fresh], dropped: 0 };
  }
  const ordered = [...fresh].sort(
    (a, b) =>
      (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0) ||
      (a.spanId < b.spanId ? -1 : 1),
  );
  const admitted: Span[] = [];
  let spans = stored.spans;
  let bytes = stored.bytes;
  for (const span of ordered) {
    // Each span measured alone carries its resource: a slight over-count, on the safe side.
    const size = spansProtobufBytes([span]);
    if (spans + 1 > caps.maxSpans || bytes + size > caps.maxBytes) break;
    admitted.push(span);
    spans++;
    bytes += size;
  }
  return { admitted, dropped: fresh.length - admitted.length };
}
