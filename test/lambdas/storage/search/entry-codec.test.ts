/** The binary form of a search item's entries (pure): round trip and refusal of corrupt blobs. */
import { describe, expect, it } from 'vitest';
import { SearchIndexCorruptError } from '../../../../lambdas/storage/errors.ts';
import { decodeEntries, encodeEntries } from '../../../../lambdas/storage/search/entry-codec.ts';
import type { SearchEntry } from '../../../../lambdas/storage/search/search-entries.ts';
import { termFilterOf } from '../../../../lambdas/storage/search/term-filter.ts';

const SERVICE = 'checkout';
/** 2026-11-24T12:00:00Z, a minute's first ms. */
const MINUTE_MS = 1_795_521_600_000;
const MINUTE_NS = BigInt(MINUTE_MS) * 1_000_000n;
const LAST_NS_OF_MINUTE = MINUTE_NS + 59_999_999_999n;
const WHERE = `search#checkout#3 ${MINUTE_MS}#batch-7#001`;

const ENTRIES: SearchEntry[] = [
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    service: SERVICE,
    startNano: MINUTE_NS,
    expiresAt: 1_798_113_600,
    operations: [
      { name: 'GET /cart', kind: 2, minDurationMicros: 0, maxDurationMicros: 2 ** 40, error: false },
      { name: 'SELECT ürün \u{1F6D2}', kind: 3, minDurationMicros: 17, maxDurationMicros: 17, error: true },
      { name: '', kind: 0, minDurationMicros: 2 ** 40, maxDurationMicros: 2 ** 40, error: true },
    ],
    allOperations: false,
    filter: termFilterOf(['http.route=/cart', 'error=true']),
  },
  {
    traceId: '00000000000000000000000000000001',
    service: SERVICE,
    startNano: LAST_NS_OF_MINUTE,
    expiresAt: Number.MAX_SAFE_INTEGER,
    operations: [
      { name: 'GET /cart', kind: 1, minDurationMicros: 1, maxDurationMicros: 999, error: false },
      { name: 'publish orders', kind: 4, minDurationMicros: 5, maxDurationMicros: 6, error: false },
      { name: 'consume orders', kind: 5, minDurationMicros: 127, maxDurationMicros: 128, error: true },
      { name: 'SELECT ürün \u{1F6D2}', kind: 3, minDurationMicros: 0, maxDurationMicros: 0, error: false },
    ],
    allOperations: false,
    filter: termFilterOf([]),
  },
  {
    traceId: 'ffffffffffffffffffffffffffffffff',
    service: SERVICE,
    startNano: MINUTE_NS + 1n,
    expiresAt: 0,
    operations: [],
    allOperations: false,
    filter: termFilterOf(Array.from({ length: 2_000 }, (_, i) => `k${i}=v`)),
  },
  {
    traceId: '0123456789abcdef0123456789abcdef',
    service: SERVICE,
    startNano: MINUTE_NS + 7n,
    expiresAt: 1,
    operations: [],
    allOperations: true,
    filter: termFilterOf(['a=b']),
  },
];

function corruptionOf(decode: () => unknown): SearchIndexCorruptError {
  try {
    decode();
  } catch (error) {
    if (error instanceof SearchIndexCorruptError) return error;
    throw error;
  }
  throw new Error('decoded without an error');
}

describe('encodeEntries and decodeEntries', () => {
  it('give back every entry: kinds 0 to 5, error flags, unicode names, extreme numbers', () => {
    // Act
    const blob = encodeEntries(ENTRIES, MINUTE_MS);
    const decoded = decodeEntries(blob, SERVICE, MINUTE_MS, WHERE);

    // Assess
    expect(decoded).toEqual(ENTRIES);
  });

  it('writes an operation name shared by entries once', () => {
    // Prepare
    const name = Buffer.from('SELECT ürün \u{1F6D2}');

    // Act
    const blob = Buffer.from(encodeEntries(ENTRIES, MINUTE_MS));

    // Assess
    const first = blob.indexOf(name);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(blob.indexOf(name, first + 1)).toBe(-1);
  });

  it('gives back no entries from a blob of none', () => {
    // Act
    const decoded = decodeEntries(encodeEntries([], MINUTE_MS), SERVICE, MINUTE_MS, WHERE);

    // Assess
    expect(decoded).toEqual([]);
  });

  it('refuses every truncation of a blob, naming the item', () => {
    // Prepare
    const blob = encodeEntries(ENTRIES, MINUTE_MS);

    // Act
    const errors = Array.from({ length: blob.length }, (_, length) =>
      corruptionOf(() => decodeEntries(blob.subarray(0, length), SERVICE, MINUTE_MS, WHERE)),
    );

    // Assess
    expect(errors).toHaveLength(blob.length);
    for (const error of errors) {
      expect(error.item).toBe(WHERE);
      expect(error.message).toContain(WHERE);
      expect(error.message).toContain('end early');
    }
  });

  // One name `a`, one entry (start 0, expiry 1, no flags) of one operation whose name index is
  // `index`, and an empty filter.
  const blobWithNameIndex = (index: number): Uint8Array =>
    Uint8Array.from([1, 1, 0x61, 1, ...new Array<number>(16).fill(0xab), 0, 1, 0, 1, index, 2, 0, 0, 1, 0]);

  it('reads an operation name by its index in the dictionary', () => {
    // Act
    const [entry] = decodeEntries(blobWithNameIndex(0), SERVICE, MINUTE_MS, WHERE);

    // Assess
    expect(entry?.operations).toEqual([
      { name: 'a', kind: 2, minDurationMicros: 0, maxDurationMicros: 0, error: false },
    ]);
  });

  it('refuses an operation name index past the dictionary', () => {
    // Act
    const error = corruptionOf(() => decodeEntries(blobWithNameIndex(1), SERVICE, MINUTE_MS, WHERE));

    // Assess
    expect(error.item).toBe(WHERE);
    expect(error.message).toContain('operation name index out of range');
  });

  it('refuses a varint longer than 8 bytes', () => {
    // Prepare: nine bytes that each say another follows, then the last.
    const blob = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);

    // Act
    const error = corruptionOf(() => decodeEntries(blob, SERVICE, MINUTE_MS, WHERE));

    // Assess
    expect(error.item).toBe(WHERE);
    expect(error.message).toContain('varint longer than 8 bytes');
  });
});
