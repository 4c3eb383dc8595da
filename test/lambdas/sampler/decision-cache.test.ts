import { describe, expect, it } from 'vitest';
import { DecisionCache } from '../../../lambdas/sampler/decision-cache.ts';
import type { SamplingDecision } from '../../../lambdas/shared/sampling/kept-trace.ts';

const decision = (policy: string): SamplingDecision => ({
  keep: true,
  policy,
  probability: 1,
  threshold: '0',
  reason: '',
});

describe('DecisionCache', () => {
  it('evicts the least recently used entry beyond its capacity', () => {
    // Prepare
    const cache = new DecisionCache(2);
    cache.set('a', decision('a'));
    cache.set('b', decision('b'));

    // Act: touch a, then add c
    cache.get('a');
    cache.set('c', decision('c'));

    // Assess
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.policy).toBe('a');
    expect(cache.get('c')?.policy).toBe('c');
  });

  it('replaces an existing entry without growing', () => {
    // Prepare
    const cache = new DecisionCache(2);
    cache.set('a', decision('x'));

    // Act
    cache.set('a', decision('y'));
    cache.set('b', decision('b'));

    // Assess: both fit, so the replacement took no second slot
    expect(cache.get('a')?.policy).toBe('y');
    expect(cache.get('b')?.policy).toBe('b');
  });

  it('remembers nothing with capacity 0', () => {
    const cache = new DecisionCache(0);
    cache.set('a', decision('a'));
    expect(cache.get('a')).toBeUndefined();
  });
});
