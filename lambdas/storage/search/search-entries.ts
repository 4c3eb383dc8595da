/**
 * Index entries of a trace write (pure): one per service with spans in the write, saying what a
 * search can rule out without reading the trace: the trace's start, its expiry, each operation of
 * the service in the write (name, span kind, shortest and longest span, whether one failed) and a
 * filter of the service's spans' search terms. A late fragment writes entries for its new spans
 * only; a search unions the entries of a trace, and since the spans a search asks for lie in one
 * write, the entry of that write passes its checks.
 */
import { type Span, StatusCode, spanDurationNano } from '../../shared/span/model.ts';
import { boundedText, STORED_STRING_BYTES } from '../dynamodb/bounds.ts';
import { type RootDecision, searchTermsOf } from './search-terms.ts';
import { type TermFilter, termFilterOf } from './term-filter.ts';

/** Bound of an operation name in the index and the catalogue, as the summary's root name. */
export const OPERATION_NAME_BYTES = STORED_STRING_BYTES.rootName;

/**
 * Operations an entry lists at most: span names carrying ids could otherwise make one entry larger
 * than a DynamoDB item. An entry over it lists none and says any operation may match
 * (`allOperations`), so a search reads its trace and checks it exactly.
 */
export const MAX_ENTRY_OPERATIONS = 64;

export interface OperationDigest {
  /** The span name, bounded to OPERATION_NAME_BYTES. */
  readonly name: string;
  readonly kind: number;
  /** Shortest and longest span of the operation (spanDurationMicros). */
  readonly minDurationMicros: number;
  readonly maxDurationMicros: number;
  readonly error: boolean;
}

export interface SearchEntry {
  readonly traceId: string;
  /** The service, bounded as the summary bounds services. */
  readonly service: string;
  /** The trace's start (epoch ns): the start of its summary when written. */
  readonly startNano: bigint;
  /** The trace's TTL (epoch s). */
  readonly expiresAt: number;
  /** Empty when `allOperations`. */
  readonly operations: readonly OperationDigest[];
  /** The write had more than MAX_ENTRY_OPERATIONS operations of the service: any may match. */
  readonly allOperations: boolean;
  readonly filter: TermFilter;
}

/** What a trace write tells the index. */
export interface IndexedWrite {
  readonly traceId: string;
  readonly startNano: bigint;
  readonly expiresAt: number;
  /** The spans being written (a late fragment's new ones). */
  readonly spans: readonly Span[];
  /** The root span's id and the decision its tags carry. */
  readonly rootSpanId: string;
  readonly decision: RootDecision;
}

export function boundedService(service: string): string {
  return boundedText(service, STORED_STRING_BYTES.service).text;
}

export function boundedOperation(name: string): string {
  return boundedText(name, OPERATION_NAME_BYTES).text;
}

export function searchEntriesOf(write: IndexedWrite): SearchEntry[] {
  const byService = new Map<string, { operations: Map<string, OperationDigest>; terms: string[] }>();
  for (const span of write.spans) {
    const service = boundedService(span.resource.serviceName);
    let group = byService.get(service);
    if (!group) {
      group = { operations: new Map(), terms: [] };
      byService.set(service, group);
    }
    addOperation(group.operations, span);
    const root = span.spanId === write.rootSpanId ? write.decision : undefined;
    for (const term of searchTermsOf(span, root)) group.terms.push(term);
  }
  return [...byService].map(([service, group]) => {
    const allOperations = group.operations.size > MAX_ENTRY_OPERATIONS;
    return {
      traceId: write.traceId,
      service,
      startNano: write.startNano,
      expiresAt: write.expiresAt,
      operations: allOperations ? [] : [...group.operations.values()],
      allOperations,
      filter: termFilterOf(group.terms),
    };
  });
}

/** A span's duration as Jaeger shows and compares it: whole microseconds, truncated. */
export function spanDurationMicros(span: Pick<Span, 'startTimeUnixNano' | 'endTimeUnixNano'>): number {
  return Math.floor(spanDurationNano(span) / 1000);
}

function addOperation(operations: Map<string, OperationDigest>, span: Span): void {
  const name = boundedOperation(span.name);
  const key = `${span.kind}\u0000${name}`;
  const micros = spanDurationMicros(span);
  const error = span.status.code === StatusCode.ERROR;
  const known = operations.get(key);
  operations.set(key, {
    name,
    kind: span.kind,
    minDurationMicros: known ? Math.min(known.minDurationMicros, micros) : micros,
    maxDurationMicros: known ? Math.max(known.maxDurationMicros, micros) : micros,
    error: (known?.error ?? false) || error,
  });
}
