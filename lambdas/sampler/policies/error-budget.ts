/**
 * The error budget: a combinator over the errors policy that bounds what one service's error traces
 * can cost. While the service's stream-wide rate of error traces stays within its budget every one
 * is kept, as before; beyond it they are sampled consistently (R >= T) with p = budget / rate,
 * clamped to [minProbability, 1], and each kept one records p, so its adjusted count 1/p keeps the
 * estimated error traffic unbiased.
 *
 * Verdicts stay final and keep the errors policy's name: an error trace sampled away is dropped by
 * `errors`, never passed on to latency or rules, whose keeps would make its probability depend on
 * them. So every error trace is still counted, kept or dropped, under Policy=errors (TracesKept,
 * TracesDropped, SpansKept, SpansDropped).
 *
 * Rates are learnt as the throughput budget learns them (budget.ts): error traces per service in
 * the shard's ArrivalRates, whose share of the stream cancels in p, under keys that cannot meet a
 * budget key. A service beyond the rates' key limit is not budgeted (every error trace kept).
 */
import type { ErrorBudgetConfig } from '../../shared/config/index.ts';
import { passes, type Threshold, thresholdOfProbability } from '../probability.ts';
import type { TraceView } from '../trace-view.ts';
import { tallyArrivals } from './arrival-tally.ts';
import type { DecisionContext, PolicyVerdict, SamplingPolicy } from './policy.ts';

/** The rate key of a service's error traces: a NUL cannot start a budget key (a service name). */
export function errorRateKey(service: string): string {
  return `\u0000errors\u0000${service}`;
}

/** How the budget samples one service's error traces in this batch (undefined threshold: all kept). */
interface ServiceSampling {
  readonly threshold: Threshold | undefined;
  readonly reason: string;
}

export function errorBudget(
  errors: SamplingPolicy,
  budget: ErrorBudgetConfig,
  serviceOf: (trace: TraceView) => string | undefined,
): SamplingPolicy {
  const goalOf = (service: string): number => budget.overrides[service] ?? budget.tracesPerSecond;
  const samplingOf = (service: string, count: number, context: DecisionContext): ServiceSampling => {
    const localRate = context.state.rates.ratePerSecond(errorRateKey(service), count, context.coveredMs);
    const goal = goalOf(service);
    const wanted = localRate > 0 ? (goal * context.streamShare) / localRate : 1;
    const probability = Math.max(budget.minProbability, wanted);
    if (probability >= 1) return { threshold: undefined, reason: '' };
    const threshold = thresholdOfProbability(probability);
    const streamRate = localRate / context.streamShare;
    return {
      threshold,
      reason: `error budget ${goal}/s for ${service} at ~${streamRate.toPrecision(3)}/s (p ${threshold?.probability.toPrecision(3) ?? 0})`,
    };
  };
  return {
    name: errors.name,
    decide(traces, context) {
      const verdicts = errors.decide(traces, context);
      const services = traces.map((trace, i) => {
        const verdict = verdicts[i];
        if (!verdict?.keep || verdict.threshold !== undefined) return undefined;
        const service = serviceOf(trace);
        if (service === undefined || goalOf(service) === 0) return undefined;
        return context.state.rates.tracks(errorRateKey(service)) ? service : undefined;
      });
      const counts = arrivals(traces, services, context);
      const perService = new Map<string, ServiceSampling>();
      return verdicts.map((verdict, i): PolicyVerdict | undefined => {
        const service = services[i];
        if (!verdict || service === undefined) return verdict;
        const sampling =
          perService.get(service) ?? samplingOf(service, counts.get(errorRateKey(service)) ?? 0, context);
        perService.set(service, sampling);
        if (!sampling.threshold) return verdict;
        const keep = passes((traces[i] as TraceView).randomness, sampling.threshold);
        return {
          keep,
          policy: verdict.policy,
          threshold: sampling.threshold,
          reason: `${verdict.reason}; ${keep ? 'kept within' : 'sampled away by'} ${sampling.reason}`,
        };
      });
    },
  };
}

/**
 * Error traces per service among those that arrive (not asked ahead), recorded in the tally with
 * the arrival time the batch covers when there are any: as the throughput budget observes only
 * batches with candidates, the rate is that of error traces over the batches that carried them,
 * which overstates a sparse service's rate (sampling sooner, never with a dishonest count) and is
 * exact for the sustained rates the budget exists for.
 */
function arrivals(
  traces: readonly TraceView[],
  services: ReadonlyArray<string | undefined>,
  context: DecisionContext,
): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  traces.forEach((trace, i) => {
    const service = services[i];
    if (service === undefined || context.lookahead?.has(trace)) return;
    const key = errorRateKey(service);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  if (counts.size > 0) tallyArrivals(context, counts);
  return counts;
}
