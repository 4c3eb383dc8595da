/** Jaeger traces for the UI model tests, built from short span specs. */
import type {
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from '../../../lambdas/query/jaeger/model.ts';
import { SAMPLING_TAGS } from '../../../lambdas/query/jaeger/translate.ts';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** 2017-01-26T21:46:31.639875Z in µs: a fixed epoch, so times read as offsets from it. */
export const EPOCH_US = 1_485_467_191_639_875;

export interface SpanSpec {
  readonly id: string;
  /** A CHILD_OF reference first in the references. */
  readonly parent?: string;
  /** References after the parent's. */
  readonly refs?: readonly JaegerReference[];
  readonly service?: string;
  readonly operation?: string;
  /** µs after EPOCH_US. */
  readonly start?: number;
  readonly duration?: number;
  readonly error?: boolean;
  readonly kind?: string;
  readonly tags?: readonly JaegerTag[];
  /** Overrides of the built span's fields, for values the spec's types do not allow. */
  readonly raw?: Record<string, unknown>;
}

/** A trace of the specs' spans, in order; processes p1, p2, ... by first use of a service. */
export function jaegerTrace(specs: readonly SpanSpec[]): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const keys = new Map<string, string>();
  const processOf = (service: string): string => {
    let key = keys.get(service);
    if (!key) {
      key = `p${keys.size + 1}`;
      keys.set(service, key);
      processes[key] = { serviceName: service, tags: [] };
    }
    return key;
  };
  const spans = specs.map((spec) => jaegerSpan(spec, processOf(spec.service ?? 'frontend')));
  return { traceID: TRACE_ID, spans, processes, warnings: null };
}

function jaegerSpan(spec: SpanSpec, processID: string): JaegerSpan {
  const tags: JaegerTag[] = [];
  if (spec.kind) tags.push({ key: 'span.kind', type: 'string', value: spec.kind });
  if (spec.error) {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    tags.push({ key: 'error', type: 'bool', value: true });
  }
  tags.push(...(spec.tags ?? []));
  const built: JaegerSpan = {
    traceID: TRACE_ID,
    spanID: spec.id,
    operationName: spec.operation ?? `op ${spec.id}`,
    references: [...(spec.parent ? [childOf(spec.parent)] : []), ...(spec.refs ?? [])],
    startTime: EPOCH_US + (spec.start ?? 0),
    duration: spec.duration ?? 10,
    tags,
    logs: [],
    processID,
    warnings: null,
  };
  return { ...built, ...spec.raw } as JaegerSpan;
}

export function childOf(spanID: string): JaegerReference {
  return { refType: 'CHILD_OF', traceID: TRACE_ID, spanID };
}

export function followsFrom(spanID: string): JaegerReference {
  return { refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID };
}

/** The root tags translate.ts writes; values as given, so tests can pass strings and junk. */
export function samplingTags(decision: {
  readonly policy?: unknown;
  readonly probability?: unknown;
  readonly adjustedCount?: unknown;
  readonly threshold?: unknown;
  readonly reason?: unknown;
}): JaegerTag[] {
  return (Object.keys(SAMPLING_TAGS) as (keyof typeof SAMPLING_TAGS)[])
    .filter((field) => field in decision)
    .map((field) => {
      const value = decision[field];
      return {
        key: SAMPLING_TAGS[field],
        type: typeof value === 'number' ? 'float64' : 'string',
        value,
      } as JaegerTag;
    });
}

/** A root with the decision of adjusted count 1/probability (as the sampler writes both). */
export function keptWith(probability: number): readonly JaegerTag[] {
  return samplingTags({ policy: 'baseline', probability, adjustedCount: 1 / probability });
}
