/** The term filter of an index entry (pure): never a false negative, few false positives, bounded. */
import { describe, expect, it } from 'vitest';
import {
  MAX_FILTER_BYTES,
  mayHoldTerm,
  termFilterOf,
} from '../../../../lambdas/storage/search/term-filter.ts';

const termsOf = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}.${i}=value-${i * 7919}`);

describe('termFilterOf', () => {
  // Bytes: 10 bits a distinct term in whole 64-bit words, at least one word, at most MAX_FILTER_BYTES.
  it.each([
    [0, 8],
    [1, 8],
    [10, 16],
    [50, 64],
    [1_000, MAX_FILTER_BYTES],
    [100_000, MAX_FILTER_BYTES],
  ])('holds every one of %i added terms in %i bytes', (count, bytes) => {
    // Prepare
    const terms = termsOf('http.route', count);

    // Act
    const filter = termFilterOf(terms);

    // Assess
    expect(filter.bits.length).toBe(bytes);
    expect(filter.bits.length).toBeLessThanOrEqual(MAX_FILTER_BYTES);
    expect(filter.hashes).toBeGreaterThanOrEqual(1);
    expect(terms.filter((term) => !mayHoldTerm(filter, term))).toEqual([]);
  });

  it('counts a repeated term once', () => {
    // Act
    const filter = termFilterOf(['error=true', 'error=true', 'error=true']);

    // Assess
    expect(filter.bits.length).toBe(8);
    expect(mayHoldTerm(filter, 'error=true')).toBe(true);
  });

  it('holds terms of any characters: empty, unicode, surrogate pairs', () => {
    // Prepare
    const terms = ['', '=', 'user.name=Zoë', 'emoji=\u{1F6D2}', 'k=\u0000'];

    // Act
    const filter = termFilterOf(terms);

    // Assess
    expect(terms.filter((term) => !mayHoldTerm(filter, term))).toEqual([]);
  });

  it('holds nothing when empty', () => {
    // Prepare
    const filter = termFilterOf([]);

    // Act
    const held = termsOf('absent', 1_000).filter((term) => mayHoldTerm(filter, term));

    // Assess
    expect(held).toEqual([]);
  });

  it('answers maybe for under 3% of 10,000 absent terms with 50 terms added', () => {
    // Prepare: sized for about 1% false positives; 3% leaves a margin for the hash's spread.
    const filter = termFilterOf(termsOf('db.statement', 50));
    const absent = termsOf('db.operation', 10_000);

    // Act
    const falsePositives = absent.filter((term) => mayHoldTerm(filter, term)).length;

    // Assess
    expect(falsePositives / absent.length).toBeLessThan(0.03);
  });
});
