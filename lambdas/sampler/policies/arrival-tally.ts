/**
 * The batch's arrivals per rate key, as the policies that learn rates from them (the throughput
 * budget, the error budget) record them. They share the shard's ArrivalRates, under keys that
 * cannot meet (budget keys are service names, error-budget keys carry a NUL prefix), so their
 * counts are added up in the one tally the commit observes, over the arrival time the batch covers.
 */
import type { DecisionContext } from './policy.ts';

export function tallyArrivals(context: DecisionContext, counts: ReadonlyMap<string, number>): void {
  const earlier = context.tally.budget;
  if (!earlier) {
    context.tally.budget = { counts, coveredMs: context.coveredMs };
    return;
  }
  const merged = new Map(earlier.counts);
  for (const [key, count] of counts) merged.set(key, (merged.get(key) ?? 0) + count);
  context.tally.budget = { counts: merged, coveredMs: earlier.coveredMs };
}
