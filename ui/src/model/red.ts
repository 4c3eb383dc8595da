/**
 * Rate, errors and duration of a service's operations, estimated from kept traces.
 *
 * A tail sampler does not keep traces uniformly: errors and slow traces are kept with probability
 * 1, the ordinary rest with some probability p. Counted as they are, kept traces overstate the error
 * rate and the tail latency (every error is there, only a p-th of the successes) and understate the
 * request rate. Each kept trace stands for 1/p traces like it (its adjusted count, written on its
 * root), so every figure here weighs a span by its trace's adjusted count: a sum of weights
 * estimates how many such spans there were, unbiased whatever mix of policies kept the traces.
 * The sample size is reported beside the figures, since a few heavily weighted traces make a
 * noisy estimate.
 */
import type { JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';
import { distinctSpans, durationOf, isErrorSpan, serviceOf, textOf } from './jaeger-fields.ts';
import { decisionOf } from './trace-view.ts';
import type { OperationRed } from './types.ts';

/** A duration and the weight of the span that lasted it. */
interface WeightedDuration {
  readonly durationUs: number;
  readonly weight: number;
}

interface OperationSample {
  spans: number;
  traces: number;
  /** Index of the last trace counted in `traces`. */
  lastTrace: number;
  weight: number;
  errorWeight: number;
  readonly durations: WeightedDuration[];
}

/**
 * RED figures of each operation of `service` over the given kept traces (repeated span ids of a
 * trace count once). `window` is the time the traces were searched over: the rate is the estimate
 * per second of it, 0 when it is empty.
 */
export function redByOperation(
  traces: readonly JaegerTrace[],
  service: string,
  window: { readonly fromUs: number; readonly toUs: number },
): OperationRed[] {
  const samples = new Map<string, OperationSample>();
  traces.forEach((trace, t) => {
    const weight = decisionOf(trace).adjustedCount;
    for (const span of distinctSpans(trace).values()) {
      if (serviceOf(trace, span) !== service) continue;
      const operation = textOf(span.operationName);
      let sample = samples.get(operation);
      if (!sample) {
        sample = { spans: 0, traces: 0, lastTrace: -1, weight: 0, errorWeight: 0, durations: [] };
        samples.set(operation, sample);
      }
      sample.spans++;
      if (sample.lastTrace !== t) sample.traces++;
      sample.lastTrace = t;
      sample.weight += weight;
      if (isErrorSpan(span)) sample.errorWeight += weight;
      sample.durations.push({ durationUs: durationOf(span), weight });
    }
  });
  const seconds = (window.toUs - window.fromUs) / 1e6;
  return [...samples]
    .map(([operation, sample]) => redOf(operation, sample, seconds))
    .sort(
      (a, b) =>
        b.estimatedRequests - a.estimatedRequests ||
        (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0),
    );
}

function redOf(operation: string, sample: OperationSample, seconds: number): OperationRed {
  const byDuration = sample.durations.sort((a, b) => a.durationUs - b.durationUs);
  return {
    operation,
    sampleSpans: sample.spans,
    sampleTraces: sample.traces,
    estimatedRequests: sample.weight,
    ratePerSecond: seconds > 0 && Number.isFinite(seconds) ? sample.weight / seconds : 0,
    errorRate: sample.errorWeight / sample.weight,
    p50Us: weightedQuantile(byDuration, sample.weight, 0.5),
    p99Us: weightedQuantile(byDuration, sample.weight, 0.99),
  };
}

/**
 * The weighted q-quantile: the smallest duration whose cumulative weight (the weights of all spans
 * lasting at most that long) reaches q × the total weight. With all weights 1 this is the
 * nearest-rank quantile (the ⌈q·n⌉-th smallest). A relative slack of 1e-9 of the total absorbs
 * the rounding of float sums, so weights such as 1/0.3 still hit an exact boundary.
 * `byDuration` is sorted by duration ascending and not empty.
 */
function weightedQuantile(byDuration: readonly WeightedDuration[], totalWeight: number, q: number): number {
  const target = q * totalWeight - 1e-9 * totalWeight;
  let cumulative = 0;
  for (const { durationUs, weight } of byDuration) {
    cumulative += weight;
    if (cumulative >= target) return durationUs;
  }
  return byDuration.at(-1)?.durationUs ?? 0;
}
