import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDuration,
  formatInstant,
  formatPercent,
  formatProbability,
  formatRate,
} from '../../../ui/src/model/format.ts';

describe('formats', () => {
  it.each([
    [0, '0 µs'],
    [999, '999 µs'],
    [1_000, '1.00 ms'],
    [12_345, '12.3 ms'],
    [999_400, '999 ms'],
    [1_240_000, '1.24 s'],
    [59_000_000, '59.0 s'],
    [125_000_000, '2 min 5 s'],
    [3_725_000_000, '1 h 2 min'],
    [-1, '–'],
    [Number.NaN, '–'],
  ])('duration %d µs is %s', (us, text) => {
    expect(formatDuration(us)).toBe(text);
  });

  it.each([
    [0, '0/s'],
    [0.4213, '0.42/s'],
    [0.1, '0.10/s'],
    [12.54, '12.5/s'],
    [1204.4, '1,204/s'],
    [0.0025, '0.15/min'],
    [0.05, '3.00/min'],
    [0.0001, '0.36/h'],
    [-1, '–'],
  ])('rate %d is %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  it.each([
    [0, '0%'],
    [0.0004, '<0.1%'],
    [0.125, '12.5%'],
    [1, '100%'],
    [Number.POSITIVE_INFINITY, '–'],
  ])('share %d is %s', (share, text) => {
    expect(formatPercent(share)).toBe(text);
  });

  it.each([
    [1, '1'],
    [12.5, '13'],
    [2.5, '2.5'],
    [12_345, '12,345'],
  ])('count %d is %s', (count, text) => {
    expect(formatCount(count)).toBe(text);
  });

  it.each([
    [1, '1'],
    [0.05, '0.05'],
    [1 / 3, '0.333'],
    [0.000123456, '0.000123'],
  ])('probability %d is %s', (probability, text) => {
    expect(formatProbability(probability)).toBe(text);
  });

  it('writes an instant in the given zone with milliseconds', () => {
    // Prepare: 1,700,000,000,123,456 µs is 2023-11-14 22:13:20.123 UTC.
    const us = 1_700_000_000_123_456;

    // Act / Assess
    expect(formatInstant(us, 'UTC')).toBe('2023-11-14 22:13:20.123');
    expect(formatInstant(us, 'Asia/Tokyo')).toBe('2023-11-15 07:13:20.123');
  });
});
