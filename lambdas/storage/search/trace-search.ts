/**
 * What the query API asks of the search index (docs/STORAGE.md "Search"): the services and
 * operations catalogue, traces matching a search, and the service dependency graph. Times are
 * epoch milliseconds or nanoseconds as named; every answer is bounded (see each member).
 */
import type { StoredTraceView } from '../dynamodb/trace-reader.ts';

/**
 * One search, with Jaeger's semantics: a trace matches when its start lies in the window and one
 * of its spans is of `service` (and `operation`), carries every tag of `tags` (span tags, process
 * tags or log fields, values compared as text: searchTermsOf) and lasts within the duration bounds
 * (both inclusive).
 */
export interface TraceQuery {
  readonly service: string;
  readonly operation?: string;
  /** Tag key and value pairs, all required on one span. */
  readonly tags: readonly (readonly [key: string, value: string])[];
  readonly minDurationNano?: number;
  readonly maxDurationNano?: number;
  /** Trace start window (epoch ns, both ends included). */
  readonly startNano: bigint;
  readonly endNano: bigint;
  /** Most traces returned, newest first. */
  readonly limit: number;
}

export interface FoundTraces {
  /** Whole traces, newest start first, at most `limit`. */
  readonly traces: readonly StoredTraceView[];
  /** Read units the search consumed (index items and traces read), for metrics and the benchmark. */
  readonly readUnits: number;
  /**
   * True when the search stopped at its read budget before it had `limit` traces or had read the
   * whole window: older matches may exist (narrow the window or the filters).
   */
  readonly partial: boolean;
}

/** An operation of a service, as Jaeger's `/api/operations` lists it. */
export interface ServiceOperation {
  readonly name: string;
  /** `server`, `client`, `producer`, `consumer`, `internal`, or '' for an unspecified kind. */
  readonly spanKind: string;
}

/** Calls from one service to another over a time range. */
export interface ServiceDependency {
  readonly parent: string;
  readonly child: string;
  /** Calls seen in kept traces. */
  readonly keptCalls: number;
  /** Calls of all traffic estimated from the kept traces' adjusted counts. */
  readonly estimatedCalls: number;
  /** Of the estimated calls, those whose child span has status ERROR. */
  readonly estimatedErrors: number;
}

export interface TraceSearch {
  /** Services with kept traces within the retention, sorted. */
  services(nowMs: number): Promise<string[]>;
  /** The operations of a service (all kinds when `spanKind` is undefined), sorted by name then kind. */
  operations(service: string, nowMs: number, spanKind?: string): Promise<ServiceOperation[]>;
  findTraces(query: TraceQuery, nowMs: number): Promise<FoundTraces>;
  /** Dependencies of traces started in [fromMs, toMs], sorted by parent then child. */
  dependencies(fromMs: number, toMs: number): Promise<ServiceDependency[]>;
}
