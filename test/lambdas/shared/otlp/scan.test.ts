import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadFromSlices } from '../../../../lambdas/ingest/records.ts';
import { decodeTraceRequest } from '../../../../lambdas/shared/otlp/decode.ts';
import { encodeTraceRequest } from '../../../../lambdas/shared/otlp/encode.ts';
import { WireFormatError } from '../../../../lambdas/shared/otlp/errors.ts';
import { scanTraceRequest } from '../../../../lambdas/shared/otlp/scan.ts';
import { SpanRejection, spanRejection } from '../../../../lambdas/shared/otlp/validate.ts';
import { protobufBody, sdkSpans } from '../../../support/otel-sdk.ts';

const sdkBody = protobufBody(await sdkSpans(4, { error: true, withEvents: true }));

describe('scanTraceRequest', () => {
  it('accepts every span of an SDK request and points at its trace id', () => {
    // Act
    const scan = scanTraceRequest(sdkBody);

    // Assess
    const decoded = decodeTraceRequest(sdkBody);
    expect(scan.spans).toHaveLength(decoded.length);
    expect(scan.rejected.size).toBe(0);
    scan.spans.forEach((span, i) => {
      const hex = Buffer.from(sdkBody.subarray(span.traceIdAt, span.traceIdAt + 16)).toString('hex');
      expect(hex).toBe(decoded[i]?.traceId);
    });
  });

  it('rebuilds a request from slices that decodes to the same spans', () => {
    const scan = scanTraceRequest(sdkBody);
    expect(decodeTraceRequest(payloadFromSlices(scan, scan.spans))).toEqual(decodeTraceRequest(sdkBody));
  });

  const span = decodeTraceRequest(sdkBody)[1];
  if (!span) throw new Error('fixture has no spans');
  const invalid: Array<[string, Partial<typeof span>, SpanRejection]> = [
    ['an all-zero trace id', { traceId: '0'.repeat(32) }, SpanRejection.TRACE_ID],
    ['a 15-byte trace id', { traceId: 'ab'.repeat(15) }, SpanRejection.TRACE_ID],
    ['a missing trace id', { traceId: '' }, SpanRejection.TRACE_ID],
    ['an all-zero span id', { spanId: '0'.repeat(16) }, SpanRejection.SPAN_ID],
    ['a 9-byte span id', { spanId: 'ab'.repeat(9) }, SpanRejection.SPAN_ID],
    ['a 4-byte parent span id', { parentSpanId: 'abcdabcd' }, SpanRejection.PARENT_SPAN_ID],
  ];
  it.each(invalid)('rejects a span with %s and keeps the others', (_, change, reason) => {
    // Prepare: one bad span between two good ones
    const good = decodeTraceRequest(sdkBody).slice(0, 2);
    const body = encodeTraceRequest([good[0] as typeof span, { ...span, ...change }, good[1] as typeof span]);

    // Act
    const scan = scanTraceRequest(body);

    // Assess
    expect(scan.spans).toHaveLength(2);
    expect([...scan.rejected]).toEqual([[reason, 1]]);
    // The JSON path applies the same rule to decoded spans.
    expect(spanRejection({ ...span, ...change })).toBe(reason);
  });

  it('accepts the boundary cases: empty parent and eight zero bytes as parent', () => {
    const body = encodeTraceRequest([
      { ...span, parentSpanId: '' },
      { ...span, spanId: '1'.repeat(16), parentSpanId: '0'.repeat(16) },
    ]);
    expect(scanTraceRequest(body).spans).toHaveLength(2);
  });

  it('rejects a known field with the wrong wire type deep inside a span', () => {
    // Prepare: turn the first span's name (field 5, LEN) into field 5 with wire type VARINT is not
    // possible without re-encoding, so flip the Status.code tag (field 3, varint) to LEN.
    const body = encodeTraceRequest([{ ...span, status: { code: 2, message: '' } }]);
    const at = body.lastIndexOf(0x18); // tag of Status.code = (3 << 3) | 0
    const broken = body.slice();
    broken[at] = 0x1a; // (3 << 3) | 2

    // Act / Assess
    expect(() => scanTraceRequest(broken)).toThrow(WireFormatError);
    expect(() => decodeTraceRequest(broken)).toThrow(WireFormatError);
  });
});

describe('scan and full decode agree on any input (property)', () => {
  // Whatever bytes arrive, the scan either rejects the request, or everything it forwards decodes
  // in the sampler: a record built from accepted spans must never be a poison record.
  const mutate = (bytes: Uint8Array, edits: Array<[number, number]>, cut: number): Uint8Array => {
    const out = bytes.slice(0, Math.max(0, bytes.length - cut));
    for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
    return out;
  };

  it('never forwards a span the full decoder cannot read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat({ max: 40 }),
        (edits, cut) => {
          const bytes = mutate(sdkBody, edits, cut);
          let scan: ReturnType<typeof scanTraceRequest>;
          try {
            scan = scanTraceRequest(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(WireFormatError);
            return;
          }
          const forwarded = decodeTraceRequest(payloadFromSlices(scan, scan.spans));
          expect(forwarded).toHaveLength(scan.spans.length);
          for (const s of forwarded) expect(spanRejection(s)).toBeUndefined();
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('never throws anything but WireFormatError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          scanTraceRequest(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
        try {
          decodeTraceRequest(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});
