import { describe, expect, it } from 'vitest';
import {
  commitTally,
  MAX_STATE_AGE_MS,
  newSamplerState,
  restoreState,
  type StateDocument,
  toStateDocument,
} from '../../../../lambdas/sampler/state/sampler-state.ts';
import { parseConfig } from '../../../../lambdas/shared/config/index.ts';

const config = parseConfig({ sampling: { budget: { tracesPerSecond: 5 } } }).sampling;
const NOW = 1_700_000_000_000;

function documentOf(
  shardId: string,
  share: number,
  durations: readonly number[],
  perSecond: number,
  savedAtMs = NOW,
): StateDocument {
  const state = newSamplerState(config, 0, 1);
  commitTally(
    state,
    {
      latencies: durations.map((durationMs) => ({
        service: 'checkout',
        operation: 'POST /checkout',
        durationMs,
      })),
      budget: { counts: new Map([['checkout', perSecond * 10]]), coveredMs: 10_000 },
    },
    NOW,
  );
  return toStateDocument(state, shardId, share, savedAtMs);
}

describe('restoreState', () => {
  it("prefers the shard's own document", () => {
    // Prepare
    const own = documentOf('shardId-1', 0.5, [100, 200, 300], 4);
    const state = newSamplerState(config, NOW, 1);

    // Act
    const source = restoreState(state, own, [documentOf('shardId-2', 0.5, [1], 100)], 0.5, NOW);

    // Assess
    expect(source).toBe('own');
    expect(state.sketches.quantile('checkout', 'POST /checkout', 0.5)?.count).toBe(3);
    expect(state.rates.ratePerSecond('checkout', 0, 0)).toBeCloseTo(4, 6);
  });

  it('after a split, merges the other shards: sketches add up, rates scale to the new share', () => {
    // Prepare: the parent (share 1) saw 8/s; this child owns half the range
    const parent = documentOf('shardId-0', 1, [100, 200], 8);
    const state = newSamplerState(config, NOW, 1);

    // Act
    const source = restoreState(state, undefined, [parent], 0.5, NOW);

    // Assess
    expect(source).toBe('others');
    expect(state.sketches.quantile('checkout', 'POST /checkout', 0.5)?.count).toBe(2);
    expect(state.rates.ratePerSecond('checkout', 0, 0)).toBeCloseTo(4, 6);
  });

  it.each([
    ['no documents at all', undefined, []],
    [
      'only stale documents',
      documentOf('shardId-1', 1, [1], 1, NOW - MAX_STATE_AGE_MS - 1),
      [documentOf('shardId-2', 1, [1], 1, NOW - MAX_STATE_AGE_MS - 1)],
    ],
  ])('starts empty with %s', (_name, own, others) => {
    const state = newSamplerState(config, NOW, 1);
    expect(restoreState(state, own, others, 1, NOW)).toBe('none');
    expect(state.sketches.size).toBe(0);
  });

  it('accepts a document exactly at the maximum age', () => {
    const state = newSamplerState(config, NOW, 1);
    expect(restoreState(state, documentOf('s', 1, [1], 1, NOW - MAX_STATE_AGE_MS), [], 1, NOW)).toBe('own');
  });
});
