/**
 * Whether a trace matches a search, by Jaeger's rule (pure): its start lies in the window and one of
 * its spans is of the service (and operation), carries every asked term and lasts within the
 * duration bounds (microseconds, as Jaeger keeps them; both bounds inclusive). `entryMayMatch` is
 * the same rule over an index entry: false only when no span of the entry's write can match.
 */
import type { Span } from '../../shared/span/model.ts';
import type { StoredTraceView } from '../dynamodb/trace-reader.ts';
import {
  boundedOperation,
  boundedService,
  type OperationDigest,
  type SearchEntry,
  spanDurationMicros,
} from './search-entries.ts';
import { rootDecisionOf, searchTerm, searchTermsOf } from './search-terms.ts';
import { mayHoldTerm } from './term-filter.ts';
import type { TraceQuery } from './trace-search.ts';

export interface SearchCriteria {
  /** Service and operation bounded as the index stores them. */
  readonly service: string;
  readonly operation?: string;
  readonly terms: readonly string[];
  readonly minDurationNano: number;
  readonly maxDurationNano: number;
  readonly startNano: bigint;
  readonly endNano: bigint;
}

export function criteriaOf(query: TraceQuery): SearchCriteria {
  return {
    service: boundedService(query.service),
    ...(query.operation === undefined ? {} : { operation: boundedOperation(query.operation) }),
    terms: query.tags.map(([key, value]) => searchTerm(key, value)),
    minDurationNano: query.minDurationNano ?? 0,
    maxDurationNano: query.maxDurationNano ?? Number.POSITIVE_INFINITY,
    startNano: query.startNano,
    endNano: query.endNano,
  };
}

function lastsWithin(micros: number, criteria: SearchCriteria): boolean {
  const nanos = micros * 1000;
  return nanos >= criteria.minDurationNano && nanos <= criteria.maxDurationNano;
}

function startsWithin(startNano: bigint, criteria: SearchCriteria): boolean {
  return startNano >= criteria.startNano && startNano <= criteria.endNano;
}

export function entryMayMatch(entry: SearchEntry, criteria: SearchCriteria, nowMs: number): boolean {
  if (entry.service !== criteria.service || entry.expiresAt * 1000 <= nowMs) return false;
  if (!startsWithin(entry.startNano, criteria)) return false;
  if (!entry.allOperations && !entry.operations.some((op) => operationMayMatch(op, criteria))) return false;
  return criteria.terms.every((term) => mayHoldTerm(entry.filter, term));
}

function operationMayMatch(op: OperationDigest, criteria: SearchCriteria): boolean {
  if (criteria.operation !== undefined && op.name !== criteria.operation) return false;
  return (
    op.maxDurationMicros * 1000 >= criteria.minDurationNano &&
    op.minDurationMicros * 1000 <= criteria.maxDurationNano
  );
}

export function traceMatches(view: StoredTraceView, criteria: SearchCriteria): boolean {
  if (!startsWithin(view.summary.startTimeUnixNano, criteria)) return false;
  return view.spans.some((span) => spanMatches(span, view, criteria));
}

function spanMatches(span: Span, view: StoredTraceView, criteria: SearchCriteria): boolean {
  if (boundedService(span.resource.serviceName) !== criteria.service) return false;
  if (criteria.operation !== undefined && boundedOperation(span.name) !== criteria.operation) return false;
  if (!lastsWithin(spanDurationMicros(span), criteria)) return false;
  if (criteria.terms.length === 0) return true;
  const root = span.spanId === view.summary.rootSpanId ? rootDecisionOf(view.summary) : undefined;
  const terms = new Set(searchTermsOf(span, root));
  return criteria.terms.every((term) => terms.has(term));
}
