/**
 * What a policy sees of a trace: the root's service, operation and duration, the light facts of
 * every span, the trace's consistent-sampling randomness and head threshold, and full spans on
 * demand (attribute rules), decoded at most once each.
 */
import { hexOf } from '../shared/span/ids.ts';
import type { Resource, Span } from '../shared/span/model.ts';
import type { TraceAssembly } from './batch.ts';
import {
  ALWAYS,
  type Bits56,
  parseOtelTraceState,
  passes,
  randomnessOfTraceId,
  type Threshold,
} from './probability.ts';
import { decodeIndexedSpan, resourceOf, type SpanFacts, spanName, spanTraceState } from './span-index.ts';

export interface RootView {
  readonly service: string;
  readonly operation: string;
  readonly durationMs: number;
}

export interface TraceView {
  readonly traceId: string;
  /** Undefined when the root has not arrived (a fragment decided at its timeout). */
  readonly root: RootView | undefined;
  readonly rootSpan: SpanFacts | undefined;
  readonly spans: readonly SpanFacts[];
  /** The 56 random bits decisions compare with thresholds. */
  readonly randomness: Bits56;
  /** The threshold applied upstream (head sampling, `ot=th`), ALWAYS when none. */
  readonly headThreshold: Threshold;
  /** Span `index` fully decoded (cached). */
  span(index: number): Span;
  resource(index: number): Resource;
}

class AssembledTraceView implements TraceView {
  public readonly traceId: string;
  public readonly root: RootView | undefined;
  public readonly rootSpan: SpanFacts | undefined;
  public readonly spans: readonly SpanFacts[];
  public readonly randomness: Bits56;
  public readonly headThreshold: Threshold;
  private decoded: Array<Span | undefined> | undefined;

  public constructor(trace: TraceAssembly) {
    this.traceId = hexOf(trace.idBytes, trace.idAt, trace.idAt + 16);
    this.spans = trace.spans;
    this.rootSpan = trace.root;
    const root = trace.root;
    this.root = root
      ? {
          service: resourceOf(root).serviceName,
          operation: spanName(root),
          durationMs: Math.max(0, root.endNano - root.startNano) / 1e6,
        }
      : undefined;
    // The root's tracestate speaks for the trace; without a root, the first span that has one.
    const stateSpan =
      root && root.traceStateEnd > root.traceStateStart
        ? root
        : trace.spans.find((s) => s.traceStateEnd > s.traceStateStart);
    const otel = stateSpan ? parseOtelTraceState(spanTraceState(stateSpan)) : {};
    this.randomness = otel.randomness ?? randomnessOfTraceId(trace.idBytes, trace.idAt);
    // The specification asks samplers to erase a threshold the randomness contradicts.
    this.headThreshold = otel.threshold && passes(this.randomness, otel.threshold) ? otel.threshold : ALWAYS;
  }

  public span(index: number): Span {
    this.decoded ??= new Array(this.spans.length);
    let span = this.decoded[index];
    if (!span) {
      span = decodeIndexedSpan(this.spans[index] as SpanFacts);
      this.decoded[index] = span;
    }
    return span;
  }

  public resource(index: number): Resource {
    return resourceOf(this.spans[index] as SpanFacts);
  }
}

export function viewOf(trace: TraceAssembly): TraceView {
  return new AssembledTraceView(trace);
}
