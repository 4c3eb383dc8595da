/** Span-level validity rules of OTLP: what makes a span rejected inside an otherwise good request. */

import { isValidSpanIdHex, isValidTraceIdHex } from '../span/ids.ts';
import type { Span } from '../span/model.ts';

/** Why a span inside a well-formed request was rejected (reported through partial_success). */
export const SpanRejection = {
  TRACE_ID: 'invalid trace id (must be 16 bytes, not all zero)',
  SPAN_ID: 'invalid span id (must be 8 bytes, not all zero)',
  PARENT_SPAN_ID: 'invalid parent span id (must be empty or 8 bytes)',
  TOO_LARGE: 'a span too large for a Kinesis record even compressed',
  TRACE_RATE: 'its trace over the bytes one trace may put per second (ingest.traceRate)',
} as const;
export type SpanRejection = (typeof SpanRejection)[keyof typeof SpanRejection];

/** The reason a decoded span must be rejected, or undefined if it is valid. */
export function spanRejection(
  span: Pick<Span, 'traceId' | 'spanId' | 'parentSpanId'>,
): SpanRejection | undefined {
  if (!isValidTraceIdHex(span.traceId)) return SpanRejection.TRACE_ID;
  if (!isValidSpanIdHex(span.spanId)) return SpanRejection.SPAN_ID;
  // An all-zero parent was already normalised to '' (root) by the decoders.
  if (span.parentSpanId !== '' && !isValidSpanIdHex(span.parentSpanId)) return SpanRejection.PARENT_SPAN_ID;
  return undefined;
}

/** The partial_success error message for a set of rejections, e.g. "2 spans rejected: 2 invalid trace id (...)". */
export function rejectionMessage(rejected: ReadonlyMap<SpanRejection, number>): string {
  let total = 0;
  const parts: string[] = [];
  for (const [reason, count] of rejected) {
    total += count;
    parts.push(`${count} with ${reason}`);
  }
  return total === 0 ? '' : `${total} span${total === 1 ? '' : 's'} rejected: ${parts.join('; ')}`;
}
