/**
 * The JSON that Jaeger's query API answers with (jaegertracing/jaeger internal/uimodel/model.go),
 * which the Jaeger UI and Grafana's Jaeger data source read. Field names, optional fields and
 * `null`s follow what Go's encoding/json writes for those structs: `flags` is left out when 0,
 * `warnings` is `null` when there are none, every other list is present even when empty.
 */

export const RefType = { CHILD_OF: 'CHILD_OF', FOLLOWS_FROM: 'FOLLOWS_FROM' } as const;
export type RefType = (typeof RefType)[keyof typeof RefType];

/**
 * A typed tag. int64 values beyond ±(2^53 − 1) are decimal strings, as Jaeger writes them, so a
 * JavaScript reader never rounds them; a float64 that JSON cannot hold (NaN, ±Infinity) is a string
 * too. Binary values are base64, as Go encodes a []byte.
 */
export type JaegerTag =
  | { readonly key: string; readonly type: 'string'; readonly value: string }
  | { readonly key: string; readonly type: 'bool'; readonly value: boolean }
  | { readonly key: string; readonly type: 'int64'; readonly value: number | string }
  | { readonly key: string; readonly type: 'float64'; readonly value: number | string }
  | { readonly key: string; readonly type: 'binary'; readonly value: string };

export interface JaegerReference {
  readonly refType: RefType;
  readonly traceID: string;
  readonly spanID: string;
}

export interface JaegerLog {
  /** Microseconds since the Unix epoch. */
  readonly timestamp: number;
  readonly fields: readonly JaegerTag[];
}

export interface JaegerProcess {
  readonly serviceName: string;
  readonly tags: readonly JaegerTag[];
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  /** Jaeger flags (1 = sampled); absent when 0. */
  readonly flags?: number;
  readonly operationName: string;
  readonly references: readonly JaegerReference[];
  /** Microseconds since the Unix epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly tags: readonly JaegerTag[];
  readonly logs: readonly JaegerLog[];
  /** Key of the span's process in the trace's `processes` (`p1`, `p2`, ...). */
  readonly processID: string;
  readonly warnings: readonly string[] | null;
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, JaegerProcess>>;
  readonly warnings: readonly string[] | null;
}

export interface JaegerError {
  /**
   * The HTTP status of a failed answer; absent (Go's omitempty of 0) on a note that comes with a
   * 200's data, such as a trace id of a search that was not found.
   */
  readonly code?: number;
  readonly msg: string;
  readonly traceID?: string;
}

/** The envelope of every answer of Jaeger's HTTP query API. */
export interface JaegerEnvelope<T> {
  readonly data: T;
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly errors: readonly JaegerError[] | null;
}
