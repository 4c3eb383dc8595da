import { describe, expect, it } from 'vitest';
import {
  ALWAYS,
  looser,
  parseOtelTraceState,
  parseThreshold,
  passes,
  randomnessOfTraceId,
  stricter,
  thresholdOfProbability,
} from '../../../lambdas/sampler/probability.ts';

describe('thresholdOfProbability', () => {
  // The specification's table (tracestate-probability-sampling.md, precision 4).
  it.each([
    [1, '0', 1],
    [0.5, '8', 0.5],
    [1 / 3, 'aaab', 0.3333282470703125],
    [0.25, 'c', 0.25],
    [0.2, 'cccd', 0.1999969482421875],
    [0.125, 'e', 0.125],
    [0.1, 'e666', 0.100006103515625],
    [0.0625, 'f', 0.0625],
    [0.01, 'fd70a', 0.010000228881835938],
    [0.001, 'ffbe77', 0.0009999871253967285],
    [0.0001, 'fff9724', 0.00010000169277191162],
    [0.00001, 'ffff583a', 0.0000100000761449337],
    [0.000001, 'ffffef39', 0.00000100000761449337],
  ])('p = %s -> th:%s (actual probability %s)', (probability, th, actual) => {
    // Act
    const threshold = thresholdOfProbability(probability);

    // Assess
    expect(threshold?.th).toBe(th);
    expect(threshold?.probability).toBe(actual);
  });

  it.each([
    [0, undefined],
    [-1, undefined],
    [Number.NaN, undefined],
  ])('p = %s is never, not a probability sampler', (probability, expected) => {
    expect(thresholdOfProbability(probability)).toBe(expected);
  });

  it('clamps probabilities below the precision to the smallest representable one', () => {
    // Prepare / Act
    const tiny = thresholdOfProbability(1e-30);

    // Assess
    expect(tiny?.th).toBe('ffffffffffff');
    expect(tiny?.probability).toBeGreaterThan(0);
  });

  it('returns ALWAYS for probabilities of one and above', () => {
    expect(thresholdOfProbability(1)).toBe(ALWAYS);
    expect(thresholdOfProbability(2)).toBe(ALWAYS);
  });
});

describe('parseThreshold', () => {
  it.each([
    ['0', 0, 0, 1],
    ['8', 0x800000, 0, 0.5],
    ['fd70a', 0xfd70a0, 0, 0.010000228881835938],
    ['ffffffffffffff', 0xffffff, 0xffffffff, 2 ** -56],
  ])('th:%s', (th, hi, lo, probability) => {
    expect(parseThreshold(th)).toEqual({ hi, lo, th, probability });
  });

  it.each(['', 'FD70A', 'fffffffffffffff', 'xyz', '-1'])('rejects %j', (th) => {
    expect(parseThreshold(th)).toBeUndefined();
  });

  it('normalises trailing zeros', () => {
    expect(parseThreshold('c000')?.th).toBe('c');
  });
});

describe('passes: keep when R >= T', () => {
  const t = parseThreshold('80') as NonNullable<ReturnType<typeof parseThreshold>>;
  it.each([
    ['equal to the threshold', { hi: 0x800000, lo: 0 }, true],
    ['one below the threshold', { hi: 0x7fffff, lo: 0xffffffff }, false],
    ['one above the threshold', { hi: 0x800000, lo: 1 }, true],
    ['maximum randomness', { hi: 0xffffff, lo: 0xffffffff }, true],
    ['zero randomness', { hi: 0, lo: 0 }, false],
  ])('%s', (_name, randomness, expected) => {
    expect(passes(randomness, t)).toBe(expected);
  });

  it('ALWAYS passes zero randomness', () => {
    expect(passes({ hi: 0, lo: 0 }, ALWAYS)).toBe(true);
  });
});

describe('stricter', () => {
  it('picks the larger threshold, either way round', () => {
    const low = parseThreshold('8') as NonNullable<ReturnType<typeof parseThreshold>>;
    const high = parseThreshold('fd70a') as NonNullable<ReturnType<typeof parseThreshold>>;
    expect(stricter(low, high)).toBe(high);
    expect(stricter(high, low)).toBe(high);
    expect(stricter(ALWAYS, low)).toBe(low);
  });
});

describe('looser', () => {
  it('picks the smaller threshold, either way round, and the first of two equal ones', () => {
    const low = parseThreshold('8') as NonNullable<ReturnType<typeof parseThreshold>>;
    const high = parseThreshold('fd70a') as NonNullable<ReturnType<typeof parseThreshold>>;
    const sameAsLow = parseThreshold('80') as NonNullable<ReturnType<typeof parseThreshold>>;
    expect(looser(low, high)).toBe(low);
    expect(looser(high, low)).toBe(low);
    expect(looser(ALWAYS, low)).toBe(ALWAYS);
    expect(looser(low, sameAsLow)).toBe(low);
  });
});

describe('randomnessOfTraceId', () => {
  it('takes the last 7 bytes of the trace id', () => {
    // Prepare
    const bytes = Buffer.from('ff00112233445566778899aabbccddeeff', 'hex');

    // Act: the 16-byte id starts at offset 1
    const r = randomnessOfTraceId(bytes, 1);

    // Assess: bytes 9..15 of the id are 99 aa bb cc dd ee ff
    expect(r).toEqual({ hi: 0x99aabb, lo: 0xccddeeff });
  });
});

describe('parseOtelTraceState', () => {
  it.each([
    ['', {}],
    ['vendor=abc', {}],
    ['ot=th:8', { threshold: parseThreshold('8') }],
    [
      'vendor=abc, ot=th:fd70a;rv:0123456789abcd',
      { threshold: parseThreshold('fd70a'), randomness: { hi: 0x012345, lo: 0x6789abcd } },
    ],
    ['ot=rv:0123', {}],
    ['ot=th:zz;rv:0123456789abcd', { randomness: { hi: 0x012345, lo: 0x6789abcd } }],
    ['ot=p:8;r:62', {}],
  ])('%j', (traceState, expected) => {
    expect(parseOtelTraceState(traceState)).toEqual(expected);
  });
});
