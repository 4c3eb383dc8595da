import { describe, expect, it } from 'vitest';
import { median, pairedRatio, peakMemory, timeInterleaved } from '../../bench/harness.ts';

describe('the benchmark harness', () => {
  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [7], expected: 7 },
  ])('takes the median of $values', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('times functions round-robin after the warm-up, one time per run each', () => {
    // Prepare
    const calls: string[] = [];

    // Act
    const times = timeInterleaved({ a: () => calls.push('a'), b: () => calls.push('b') }, 3, 1);

    // Assess
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    expect(times.a).toHaveLength(3);
    expect(times.b).toHaveLength(3);
    for (const t of [...times.a, ...times.b]) expect(t).toBeGreaterThanOrEqual(0);
  });

  it('takes ratios run by run, not as a ratio of medians', () => {
    const ratio = pairedRatio('ratio', 'a / b', [10, 40, 9], [5, 10, 3]);
    expect(ratio.runs).toEqual([2, 4, 3]);
    expect(ratio.value).toBe(3);
    expect(ratio.unit).toBe('x');
  });

  it('sees the resident memory a stage holds', async () => {
    // Act: 64 MiB written (so resident) and still referenced when the stage returns.
    const { result, peakAboveBaseMiB } = await peakMemory(() => Buffer.alloc(64 * 2 ** 20, 1));

    // Assess
    expect(result.length).toBe(64 * 2 ** 20);
    expect(peakAboveBaseMiB).toBeGreaterThanOrEqual(60);
  });

  it('passes a failing stage’s error through and stops its sampler', async () => {
    await expect(
      peakMemory(() => {
        throw new Error('stage failed');
      }),
    ).rejects.toThrow('stage failed');
  });
});
