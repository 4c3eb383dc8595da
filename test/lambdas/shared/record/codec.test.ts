import { describe, expect, it } from 'vitest';
import {
  Codec,
  decodeRecord,
  decodeRecordHeader,
  encodeRecord,
  RecordOrigin,
} from '../../../../lambdas/shared/record/codec.ts';
import { PoisonRecordError } from '../../../../lambdas/shared/record/errors.ts';

const payload = new TextEncoder().encode('span bytes '.repeat(200));

describe('record codec', () => {
  it.each([Codec.ZSTD, Codec.NONE])('round-trips header and payload with codec %i', (codec) => {
    // Prepare
    const header = {
      origin: RecordOrigin.DEFERRED,
      spanCount: 12,
      traces: [
        {
          traceId: 'a'.repeat(32),
          firstArrivalMs: 1_790_000_000_123,
          rootArrivalMs: 1_790_000_001_000,
          deferrals: 2,
        },
        { traceId: 'b'.repeat(32), firstArrivalMs: 1_790_000_000_500, rootArrivalMs: 0, deferrals: 0 },
      ],
    };

    // Act
    const decoded = decodeRecord(encodeRecord(header, payload, { codec }));

    // Assess
    expect(decoded.header).toEqual(header);
    expect(Buffer.from(decoded.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('lays out an uncompressed record as the format says: magic, version, codec, header, payload', () => {
    // Act
    const data = encodeRecord({ origin: RecordOrigin.INGEST, spanCount: 3, traces: [] }, payload, {
      codec: Codec.NONE,
    });

    // Assess: header = field 2 (span count, varint) = 3, two bytes; INGEST is the default origin
    expect([...data.subarray(0, 7)]).toEqual([0x54, 0x53, 1, 0, 2, 0x10, 3]);
    expect(Buffer.from(data.subarray(7)).equals(Buffer.from(payload))).toBe(true);
  });

  it.each([0, 1, 4, 300])(
    'keeps every record whole when records are framed one after another (%i carried traces)',
    (traces) => {
      // Prepare: headers of a few bytes up to kilobytes (a length of more than one varint byte)
      const headerOf = (spanCount: number) => ({
        origin: RecordOrigin.DEFERRED,
        spanCount,
        traces: Array.from({ length: traces }, (_, i) => ({
          traceId: i.toString(16).padStart(32, '0'),
          firstArrivalMs: 1_790_000_000_000 + i,
          rootArrivalMs: 0,
          deferrals: i % 3,
        })),
      });

      // Act: a second record framed before the first is read
      const first = encodeRecord(headerOf(1), payload);
      const second = encodeRecord(headerOf(2), payload.subarray(0, 10), { codec: Codec.NONE });

      // Assess
      expect(decodeRecord(first).header).toEqual(headerOf(1));
      expect(decodeRecord(second).header).toEqual(headerOf(2));
      expect(Buffer.from(decodeRecord(first).payload).equals(Buffer.from(payload))).toBe(true);
    },
  );

  it('compresses repetitive payloads', () => {
    const data = encodeRecord({ origin: RecordOrigin.INGEST, spanCount: 1, traces: [] }, payload);
    expect(data.length).toBeLessThan(payload.length / 10);
  });

  it('reads the span count without decompressing', () => {
    const data = encodeRecord({ origin: RecordOrigin.INGEST, spanCount: 77, traces: [] }, payload);
    const corruptBody = data.slice(0, data.length - 5);
    expect(decodeRecordHeader(corruptBody).header.spanCount).toBe(77);
  });

  const good = encodeRecord({ origin: RecordOrigin.INGEST, spanCount: 3, traces: [] }, payload);
  const poison: Array<[string, Uint8Array, RegExp]> = [
    ['empty data', new Uint8Array(), /bad magic/],
    ['another producer’s JSON', new TextEncoder().encode('{"hello":"world"}'), /bad magic/],
    [
      'a future format version',
      Uint8Array.from([...good.subarray(0, 2), 9, ...good.subarray(3)]),
      /version 9/,
    ],
    ['an unknown codec', Uint8Array.from([...good.subarray(0, 3), 7, ...good.subarray(4)]), /codec 7/],
    ['a header length past the end', Uint8Array.of(0x54, 0x53, 1, 1, 0x7f), /corrupt record header/],
    ['a truncated zstd payload', good.subarray(0, good.length - 8), /corrupt record payload/],
  ];
  it.each(poison)('throws PoisonRecordError for %s', (_, data, message) => {
    expect(() => decodeRecord(data)).toThrow(PoisonRecordError);
    expect(() => decodeRecord(data)).toThrow(message);
  });

  it('refuses to inflate a payload beyond the limit', () => {
    const big = encodeRecord(
      { origin: RecordOrigin.INGEST, spanCount: 1, traces: [] },
      new Uint8Array(1 << 20),
    );
    expect(() => decodeRecord(big, 1 << 16)).toThrow(PoisonRecordError);
  });
});
