/**
 * The plain data the web UI's views draw, computed by the pure functions of this folder from the
 * query API's answers (Jaeger's JSON, lambdas/query/jaeger/model.ts). No DOM here: these modules
 * are unit-tested under Node.
 */

/** The sampling decision tracesift writes on a trace's root span (`tracesift.sampling.*`). */
export interface SamplingDecision {
  readonly policy: string;
  /** Probability a trace like this one is kept; 1 when the root carries none. */
  readonly probability: number;
  /** 1 / probability: how many traces this one stands for; 1 when the root carries none. */
  readonly adjustedCount: number;
  readonly threshold: string;
  readonly reason: string;
}

/** One span of a trace, placed in its tree. Times in microseconds. */
export interface SpanNode {
  readonly spanId: string;
  /** The parent in this trace, or undefined for a root (no parent, parent missing, or a cycle). */
  readonly parentId: string | undefined;
  readonly service: string;
  readonly operation: string;
  /** `span.kind` tag value (server, client, ...), or '' when unset. */
  readonly kind: string;
  /** Microseconds since the trace's earliest span start. */
  readonly offsetUs: number;
  readonly durationUs: number;
  /** The span has `error` = true or `otel.status_code` = ERROR. */
  readonly error: boolean;
  /** Child span ids ordered by start, then span id. */
  readonly childIds: readonly string[];
  /** Microseconds of this span on the critical path (0 when off it). */
  readonly criticalUs: number;
}

export interface TraceView {
  readonly traceId: string;
  /** Microseconds since the Unix epoch of the earliest span start. */
  readonly startUs: number;
  /** From the earliest start to the latest end. */
  readonly durationUs: number;
  readonly spans: ReadonlyMap<string, SpanNode>;
  /** Root span ids, ordered by start; the trace's root (the decision's carrier) first. */
  readonly rootIds: readonly string[];
  readonly decision: SamplingDecision;
  /** Distinct services, sorted. */
  readonly services: readonly string[];
  readonly errorCount: number;
  /** Longest root-to-leaf chain (1 for a single span). */
  readonly depth: number;
}

/** A row of the waterfall: a span shown because none of its ancestors is collapsed. */
export interface WaterfallRow {
  readonly span: SpanNode;
  readonly depth: number;
  readonly hasChildren: boolean;
  readonly collapsed: boolean;
}

/** A search result's line. */
export interface TraceSummary {
  readonly traceId: string;
  readonly rootService: string;
  readonly rootOperation: string;
  readonly startUs: number;
  readonly durationUs: number;
  readonly spanCount: number;
  /** Services with their span counts, most spans first then by name. */
  readonly services: readonly { readonly name: string; readonly spans: number }[];
  readonly errorCount: number;
  readonly decision: SamplingDecision;
}

/** Re-weighted RED figures of one operation of a service. */
export interface OperationRed {
  readonly operation: string;
  /** Kept spans of this operation the figures are computed from. */
  readonly sampleSpans: number;
  /** Kept traces those spans come from. */
  readonly sampleTraces: number;
  /** Sum of the adjusted counts: the estimated number of such spans in the covered window. */
  readonly estimatedRequests: number;
  readonly ratePerSecond: number;
  /** Adjusted-count-weighted share of spans in error, 0..1. */
  readonly errorRate: number;
  /** Adjusted-count-weighted quantiles of the duration, microseconds. */
  readonly p50Us: number;
  readonly p99Us: number;
}

/** An edge of the service graph with per-second figures over its lookback. */
export interface GraphEdge {
  readonly parent: string;
  readonly child: string;
  readonly calls: number;
  readonly errors: number;
  readonly callsPerSecond: number;
  /** errors / calls, 0 when there are no calls. */
  readonly errorRate: number;
}

export interface GraphNode {
  readonly service: string;
  /** Column: 0 for services nobody calls; otherwise one more than the deepest caller (cycles broken). */
  readonly layer: number;
  /** Position in its column, 0 at the top. */
  readonly row: number;
  /** Calls received, summed over incoming edges. */
  readonly callsIn: number;
  readonly errorsIn: number;
}

export interface ServiceGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly layers: number;
  /** Most nodes in one column. */
  readonly rows: number;
}
