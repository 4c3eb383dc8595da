/**
 * Reads of the query API's Jaeger JSON that never throw: the views draw whatever a trace holds,
 * so a tag of an unexpected type, a NaN time or a process key that is missing reads as a neutral
 * value (0, '', false) instead of breaking the page. The structure (arrays and objects where
 * model.ts declares them) is taken as given; the values inside are not.
 */
import type { JaegerSpan, JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';

/** A finite number from a number or a numeric string (float64 tags JSON cannot hold are strings). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A count or a time: a finite number at least 0, else 0. */
export function nonNegativeOf(value: unknown): number {
  const n = numberOf(value);
  return n !== undefined && n > 0 ? n : 0;
}

export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** The value of the span's first tag named `key`, or undefined. */
export function tagValueOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}

/**
 * Microseconds since the epoch; 0 when not a number within ±2^53 µs (285 years), so that sums and
 * differences of times stay finite and convertible to bigint nanoseconds.
 */
export function startOf(span: JaegerSpan): number {
  const start = numberOf(span.startTime);
  return start !== undefined && Math.abs(start) <= Number.MAX_SAFE_INTEGER ? start : 0;
}

/** Microseconds; 0 when negative or not a number up to 2^53. */
export function durationOf(span: JaegerSpan): number {
  const duration = nonNegativeOf(span.duration);
  return duration <= Number.MAX_SAFE_INTEGER ? duration : 0;
}

/** `error` = true (or "true") or `otel.status_code` = ERROR, as the Collector's translator writes. */
export function isErrorSpan(span: JaegerSpan): boolean {
  const error = tagValueOf(span, 'error');
  return error === true || error === 'true' || tagValueOf(span, 'otel.status_code') === 'ERROR';
}

export function kindOf(span: JaegerSpan): string {
  return textOf(tagValueOf(span, 'span.kind'));
}

/** The span's service; '' when its process is missing or names none. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return textOf(trace.processes[span.processID]?.serviceName);
}

/** The trace's spans with distinct ids: a repeated id keeps its first span. */
export function distinctSpans(trace: JaegerTrace): Map<string, JaegerSpan> {
  const byId = new Map<string, JaegerSpan>();
  for (const span of trace.spans) if (!byId.has(span.spanID)) byId.set(span.spanID, span);
  return byId;
}

/** The first CHILD_OF reference to another span of the trace, or undefined for a root. */
export function parentIdOf(span: JaegerSpan, spans: ReadonlyMap<string, JaegerSpan>): string | undefined {
  const parent = span.references.find(
    (ref) => ref.refType === 'CHILD_OF' && ref.spanID !== span.spanID && spans.has(ref.spanID),
  );
  return parent?.spanID;
}
