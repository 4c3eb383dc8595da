/**
 * A Bloom filter over an index entry's search terms (pure): a search reads an entry's trace only
 * when every term it asks for may be in the filter. Sized at FILTER_BITS_PER_TERM bits per distinct
 * term (about 1% false positives), in whole 64-bit words, at most MAX_FILTER_BYTES; a filter of
 * more terms than that holds just answers "maybe" more often: it never hides a term it holds.
 */

const FILTER_BITS_PER_TERM = 10;
/** Bound of one filter: an entry of a service with thousands of distinct tags stays small. */
export const MAX_FILTER_BYTES = 512;
const MAX_HASHES = 7;

export interface TermFilter {
  /** Hash functions per term. */
  readonly hashes: number;
  readonly bits: Uint8Array;
}

export function termFilterOf(terms: Iterable<string>): TermFilter {
  const distinct = new Set(terms);
  const words = Math.max(1, Math.ceil((distinct.size * FILTER_BITS_PER_TERM) / 64));
  const bits = new Uint8Array(Math.min(MAX_FILTER_BYTES, words * 8));
  const hashes = Math.max(
    1,
    Math.min(MAX_HASHES, Math.round(((bits.length * 8) / Math.max(1, distinct.size)) * Math.LN2)),
  );
  const filter = { hashes, bits };
  for (const term of distinct)
    forEachBit(filter, term, (byte, mask) => {
      bits[byte] = (bits[byte] as number) | mask;
    });
  return filter;
}

/** False only when `term` was certainly not added. */
export function mayHoldTerm(filter: TermFilter, term: string): boolean {
  let held = true;
  forEachBit(filter, term, (byte, mask) => {
    if (((filter.bits[byte] as number) & mask) === 0) held = false;
  });
  return held;
}

/** The filter's bit positions of `term`: double hashing of two 32-bit FNV-1a hashes. */
function forEachBit(filter: TermFilter, term: string, visit: (byte: number, mask: number) => void): void {
  const size = filter.bits.length * 8;
  if (size === 0) return;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < term.length; i++) {
    const unit = term.charCodeAt(i);
    h1 = Math.imul(h1 ^ unit, 0x01000193);
    h2 = Math.imul(h2 ^ unit, 0x5bd1e995) ^ (h2 >>> 15);
  }
  h1 >>>= 0;
  h2 = (h2 | 1) >>> 0;
  for (let i = 0; i < filter.hashes; i++) {
    const bit = (h1 + Math.imul(i, h2)) >>> 0;
    const position = bit % size;
    visit(position >>> 3, 1 << (position & 7));
  }
}
