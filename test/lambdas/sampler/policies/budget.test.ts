import { describe, expect, it } from 'vitest';
import { BUDGET_POLICY, budgetPolicy } from '../../../../lambdas/sampler/policies/budget.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import { commitTally, emptyTally, newSamplerState } from '../../../../lambdas/sampler/state/sampler-state.ts';
import type { TraceView } from '../../../../lambdas/sampler/trace-view.ts';
import { budgetConfigSchema, parseConfig } from '../../../../lambdas/shared/config/index.ts';
import { traceHashKeyOfHex } from '../../../../lambdas/shared/routing/index.ts';
import { contextOf, traceIds, traceOf, viewsOf } from '../../../support/sampler.ts';

const budget = (input: Record<string, unknown>) =>
  budgetConfigSchema.parse({ tracesPerSecond: 10, ...input });

function views(count: number, seed: number, service = 'checkout', name = 'POST /checkout'): TraceView[] {
  return viewsOf(traceIds(count, seed).flatMap((id) => traceOf(id, { service, name, children: 0 })));
}

describe('budgetPolicy', () => {
  it('keeps traces with probability goal / arrival rate, consistently on the trace id', () => {
    // Prepare: 1,000 candidates in a batch covering 10 s -> 100/s arriving, goal 10/s -> p 0.1
    const batch = views(1_000, 1);
    const context = contextOf({ coveredMs: 10_000, streamShare: 1 });

    // Act
    const verdicts = budgetPolicy(budget({})).decide(batch, context);

    // Assess: exactly the traces with R >= T(0.1) are kept; the threshold is recorded
    const threshold = thresholdOfProbability(0.1);
    batch.forEach((view, i) => {
      expect(verdicts[i]?.keep).toBe(threshold !== undefined && passes(view.randomness, threshold));
      expect(verdicts[i]?.policy).toBe(`${BUDGET_POLICY}:checkout`);
      expect(verdicts[i]?.threshold?.th).toBe('e666');
    });
    const kept = verdicts.filter((v) => v?.keep).length;
    expect(kept).toBeGreaterThan(75);
    expect(kept).toBeLessThan(125);
    expect(context.tally.budget).toEqual({ counts: new Map([['checkout', 1_000]]), coveredMs: 10_000 });
  });

  it.each([
    ['whole stream', 1, 0.1],
    ['a quarter of the stream', 0.25, 0.025],
    ['one lane of two on half the stream', 0.25, 0.025],
  ])("scales the goal to the shard's share: %s", (_name, streamShare, expected) => {
    // Prepare: the shard sees 100/s locally; the stream then carries 100 / share per second
    const context = contextOf({ coveredMs: 10_000, streamShare });

    // Act
    const [verdict] = budgetPolicy(budget({})).decide(views(1_000, 2), context);

    // Assess
    expect(verdict?.threshold?.probability).toBeCloseTo(expected, 3);
  });

  it.each([
    ['above the maximum', { maxProbability: 0.5 }, 10, 0.5],
    ['below the minimum', { minProbability: 0.05 }, 10_000, 0.05],
    ['rate below goal', {}, 10, 1],
  ])('clamps the probability %s', (_name, limits, candidates, expected) => {
    const [verdict] = budgetPolicy(budget({ tracesPerSecond: 10, ...limits })).decide(
      views(candidates, 3),
      contextOf(),
    );
    expect(verdict?.threshold?.probability).toBeCloseTo(expected, 3);
  });

  it('applies per-key overrides and keys by service and operation when asked', () => {
    // Prepare
    const policy = budgetPolicy(budget({ key: 'operation', overrides: { 'checkout GET /cart': 50 } }));
    const batch = [...views(1_000, 4, 'checkout', 'GET /cart'), ...views(1_000, 5, 'checkout', 'POST /pay')];

    // Act
    const verdicts = policy.decide(batch, contextOf({ coveredMs: 10_000 }));

    // Assess: 100/s each; 50/s goal -> 0.5, default 10/s -> 0.1
    expect(verdicts[0]?.policy).toBe('budget:checkout GET /cart');
    expect(verdicts[0]?.threshold?.probability).toBeCloseTo(0.5, 3);
    expect(verdicts[1_000]?.policy).toBe('budget:checkout POST /pay');
    expect(verdicts[1_000]?.threshold?.probability).toBeCloseTo(0.1, 3);
  });

  it('passes on traces without a root and keys beyond maxKeys', () => {
    // Prepare: one key already tracked, maxKeys 1
    const config = parseConfig({ sampling: { budget: { tracesPerSecond: 10, maxKeys: 1 } } }).sampling;
    const context = contextOf({}, config);
    context.state.rates.observe(new Map([['search', 5]]), 1_000);
    const child = viewsOf(traceOf(traceIds(1, 9)[0] as string).slice(1));

    // Act
    const verdicts = budgetPolicy(config.budget as NonNullable<typeof config.budget>).decide(
      [...child, ...views(1, 6, 'checkout')],
      context,
    );

    // Assess
    expect(verdicts).toEqual([undefined, undefined]);
  });

  it('blends the batch with the rate learnt from earlier batches', () => {
    // Prepare: 60 s of history at 10/s, then a batch at 100/s over 10 s (smoothing 60 s)
    const config = parseConfig({ sampling: { budget: { tracesPerSecond: 10 } } }).sampling;
    const state = newSamplerState(config, 0, 1);
    for (let i = 0; i < 6; i++) {
      commitTally(
        state,
        { latencies: [], budget: { counts: new Map([['checkout', 100]]), coveredMs: 10_000 } },
        0,
      );
    }

    // Act
    const [verdict] = budgetPolicy(config.budget as NonNullable<typeof config.budget>).decide(
      views(1_000, 7),
      contextOf({ state, tally: emptyTally(), coveredMs: 10_000 }),
    );

    // Assess: the estimate lies between 10/s and 100/s, so p between 0.1 and 1
    const p = verdict?.threshold?.probability as number;
    expect(p).toBeGreaterThan(0.1);
    expect(p).toBeLessThan(1);
  });
});

describe('budget across shards', () => {
  it('meets the stream-wide goal with every shard deciding alone', () => {
    // Prepare: 4 shards with uneven hash ranges; 200 s of traffic at 200 traces/s, 10 s batches
    const config = parseConfig({ sampling: { budget: { tracesPerSecond: 20 } } }).sampling;
    const bounds = [0n, 2n ** 126n, 2n ** 127n, 3n * 2n ** 126n + 2n ** 125n, 2n ** 128n];
    const shards = bounds.slice(0, -1).map((start, i) => ({
      start,
      end: (bounds[i + 1] as bigint) - 1n,
      share: Number((bounds[i + 1] as bigint) - start) / 2 ** 128,
      state: newSamplerState(config, 0, 1),
    }));
    const policy = budgetPolicy(config.budget as NonNullable<typeof config.budget>);
    let kept = 0;
    let keptLate = 0;

    // Act
    for (let batch = 0; batch < 20; batch++) {
      const ids = traceIds(2_000, 100 + batch).map((id) => ({ id, hash: traceHashKeyOfHex(id) }));
      for (const shard of shards) {
        const mine = ids.filter(({ hash }) => hash >= shard.start && hash <= shard.end).map(({ id }) => id);
        const context = contextOf({
          state: shard.state,
          tally: emptyTally(),
          coveredMs: 10_000,
          streamShare: shard.share,
        });
        const verdicts = policy.decide(viewsOf(mine.flatMap((id) => traceOf(id, { children: 0 }))), context);
        const n = verdicts.filter((v) => v?.keep).length;
        kept += n;
        if (batch >= 10) keptLate += n;
        commitTally(shard.state, context.tally, 0);
      }
    }

    // Assess: 20 traces/s over the stream, within sampling noise (binomial sd about 2 % overall, 3 % late)
    expect(kept / 200).toBeGreaterThan(20 * 0.9);
    expect(kept / 200).toBeLessThan(20 * 1.1);
    expect(keptLate / 100).toBeGreaterThan(20 * 0.85);
    expect(keptLate / 100).toBeLessThan(20 * 1.15);
  });
});

describe('budgetPolicy asked ahead (context.lookahead)', () => {
  it('decides traces asked ahead at the probability of the arriving ones, without counting them', () => {
    // Prepare: 1,000 arriving and 1,000 asked-ahead traces of one key over 10 s: 100/s arriving
    const arriving = views(1_000, 11);
    const ahead = views(1_000, 12);
    const context = contextOf({ coveredMs: 10_000, streamShare: 1, lookahead: new Set(ahead) });

    // Act
    const verdicts = budgetPolicy(budget({})).decide([...ahead, ...arriving], context);

    // Assess: p 0.1 for all (200/s would give 0.05), and only the arriving traces observed
    for (const verdict of verdicts) expect(verdict?.threshold?.th).toBe('e666');
    expect(context.tally.budget).toEqual({ counts: new Map([['checkout', 1_000]]), coveredMs: 10_000 });
  });

  it('observes nothing when every trace it is asked about was asked ahead', () => {
    // Prepare
    const ahead = views(10, 13);
    const context = contextOf({ coveredMs: 10_000, lookahead: new Set(ahead) });

    // Act
    const verdicts = budgetPolicy(budget({ tracesPerSecond: 1_000 })).decide(ahead, context);

    // Assess: decided (p 1, nothing arrived to make the rate), but no observation for the rate
    expect(verdicts.every((v) => v?.keep === true && v.threshold?.probability === 1)).toBe(true);
    expect(context.tally.budget).toBeUndefined();
  });
});
