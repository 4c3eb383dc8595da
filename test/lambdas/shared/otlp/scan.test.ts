import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadFromSlices } from '../../../../lambdas/ingest/records.ts';
import { decodeTraceRequest } from '../../../../lambdas/shared/otlp/decode.ts';
import { encodeTraceRequest } from '../../../../lambdas/shared/otlp/encode.ts';
import { WireFormatError } from '../../../../lambdas/shared/otlp/errors.ts';
import { OtlpField } from '../../../../lambdas/shared/otlp/fields.ts';
import { scanTraceRequest } from '../../../../lambdas/shared/otlp/scan.ts';
import { SpanRejection, spanRejection } from '../../../../lambdas/shared/otlp/validate.ts';
import { ProtoWriter, WireType } from '../../../../lambdas/shared/otlp/wire.ts';
import { type AttributeValue, makeResource } from '../../../../lambdas/shared/span/model.ts';
import { protobufBody, sdkSpans } from '../../../support/otel-sdk.ts';

const sdkBody = protobufBody(await sdkSpans(4, { error: true, withEvents: true }));
const {
  AnyValueField,
  ArrayValueField,
  KeyValueField,
  KeyValueListField,
  ResourceSpansField,
  ScopeSpansField,
  SpanField,
  TraceRequestField,
} = OtlpField;
const { LEN, VARINT, I64 } = WireType;

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

// --- attributes: the hand-written KeyValue and AnyValue loops ---------------------------------

type Fields = (w: ProtoWriter) => void;

/** A request of one span with valid ids and the given further fields, written by hand. */
function requestOfSpan(fields: Fields): Uint8Array {
  const w = new ProtoWriter();
  w.tag(TraceRequestField.RESOURCE_SPANS, LEN).fork();
  w.tag(ResourceSpansField.SCOPE_SPANS, LEN).fork();
  w.tag(ScopeSpansField.SPANS, LEN).fork();
  w.tag(SpanField.TRACE_ID, LEN).bytes(new Uint8Array(16).fill(1));
  w.tag(SpanField.SPAN_ID, LEN).bytes(new Uint8Array(8).fill(2));
  fields(w);
  return w.join().join().join().finish();
}

/** A span attribute whose KeyValue has these fields. */
const attribute =
  (keyValue: Fields): Fields =>
  (w) => {
    w.tag(SpanField.ATTRIBUTES, LEN).fork();
    keyValue(w);
    w.join();
  };

/** A span attribute `k` whose AnyValue has these fields. */
const valued = (anyValue: Fields): Fields =>
  attribute((w) => {
    w.tag(KeyValueField.KEY, LEN).string('k');
    w.tag(KeyValueField.VALUE, LEN).fork();
    anyValue(w);
    w.join();
  });

describe('scanTraceRequest: wire types inside a span and its attributes', () => {
  const cases: Array<[string, Fields, string]> = [
    [
      'a span name as a varint',
      (w) => w.tag(SpanField.NAME, VARINT).uint32(1),
      'Span field 5 has wire type 0, expected 2',
    ],
    [
      'a span kind as bytes',
      (w) => w.tag(SpanField.KIND, LEN).string('x'),
      'Span field 6 has wire type 2, expected 0',
    ],
    [
      'a start time as a varint',
      (w) => w.tag(SpanField.START_TIME_UNIX_NANO, VARINT).uint32(1),
      'Span field 7 has wire type 0, expected 1',
    ],
    [
      'an end time as bytes',
      (w) => w.tag(SpanField.END_TIME_UNIX_NANO, LEN).string('x'),
      'Span field 8 has wire type 2, expected 1',
    ],
    [
      'an attribute as a varint',
      (w) => w.tag(SpanField.ATTRIBUTES, VARINT).uint32(1),
      'Span field 9 has wire type 0, expected 2',
    ],
    [
      'a key as a varint',
      attribute((w) => w.tag(KeyValueField.KEY, VARINT).uint32(1)),
      'KeyValue field 1 has wire type 0, expected 2',
    ],
    [
      'a value as a varint',
      attribute((w) => w.tag(KeyValueField.VALUE, VARINT).uint32(1)),
      'KeyValue field 2 has wire type 0, expected 2',
    ],
    [
      'a string value as a varint',
      valued((w) => w.tag(AnyValueField.STRING_VALUE, VARINT).uint32(1)),
      'AnyValue field 1 has wire type 0, expected 2',
    ],
    [
      'a bool value as bytes',
      valued((w) => w.tag(AnyValueField.BOOL_VALUE, LEN).string('x')),
      'AnyValue field 2 has wire type 2, expected 0',
    ],
    [
      'an int value as a fixed64',
      valued((w) => w.tag(AnyValueField.INT_VALUE, I64).fixed64(1n)),
      'AnyValue field 3 has wire type 1, expected 0',
    ],
    [
      'a double value as a varint',
      valued((w) => w.tag(AnyValueField.DOUBLE_VALUE, VARINT).uint32(1)),
      'AnyValue field 4 has wire type 0, expected 1',
    ],
    [
      'an array value as a varint',
      valued((w) => w.tag(AnyValueField.ARRAY_VALUE, VARINT).uint32(1)),
      'AnyValue field 5 has wire type 0, expected 2',
    ],
    [
      'a kvlist value as a varint',
      valued((w) => w.tag(AnyValueField.KVLIST_VALUE, VARINT).uint32(1)),
      'AnyValue field 6 has wire type 0, expected 2',
    ],
    [
      'a bytes value as a varint',
      valued((w) => w.tag(AnyValueField.BYTES_VALUE, VARINT).uint32(1)),
      'AnyValue field 7 has wire type 0, expected 2',
    ],
    [
      'an int value as bytes inside an array',
      valued((w) => {
        w.tag(AnyValueField.ARRAY_VALUE, LEN).fork().tag(ArrayValueField.VALUES, LEN).fork();
        w.tag(AnyValueField.INT_VALUE, LEN).string('x').join().join();
      }),
      'AnyValue field 3 has wire type 2, expected 0',
    ],
    [
      'a key as a varint inside a kvlist',
      valued((w) => {
        w.tag(AnyValueField.KVLIST_VALUE, LEN).fork().tag(KeyValueListField.VALUES, LEN).fork();
        w.tag(KeyValueField.KEY, VARINT).uint32(1).join().join();
      }),
      'KeyValue field 1 has wire type 0, expected 2',
    ],
  ];
  it.each(cases)('refuses %s, as the decoder does', (_, fields, message) => {
    const body = requestOfSpan(fields);
    expect(() => scanTraceRequest(body)).toThrow(message);
    expect(() => scanTraceRequest(body)).toThrow(WireFormatError);
    expect(() => decodeTraceRequest(body)).toThrow(WireFormatError);
  });

  it('accepts every value kind, and skips unknown fields of a KeyValue and an AnyValue', () => {
    // Prepare: the known kinds, then field 15 of each message (unknown to both readers)
    const body = requestOfSpan((w) => {
      valued((v) => v.tag(AnyValueField.DOUBLE_VALUE, I64).double(2.5))(w);
      valued((v) => v.tag(AnyValueField.BOOL_VALUE, VARINT).uint32(1))(w);
      valued((v) => v.tag(AnyValueField.BYTES_VALUE, LEN).bytes(Uint8Array.of(1, 2)))(w);
      valued((v) => v.tag(15, VARINT).uint32(7).tag(AnyValueField.INT_VALUE, VARINT).uint32(3))(w);
      attribute((kv) => kv.tag(15, LEN).string('?').tag(KeyValueField.KEY, LEN).string('u'))(w);
    });

    // Act / Assess
    expect(scanTraceRequest(body).spans).toHaveLength(1);
    expect(decodeTraceRequest(body)[0]?.attributes).toEqual({ k: 3, u: '' });
  });
});

describe('scanTraceRequest: nesting and the rewrite hints inside attribute values', () => {
  const nested = (kind: 'array' | 'kvlist', levels: number): AttributeValue => {
    let value: AttributeValue = 'x';
    for (let i = 0; i < levels; i++) value = kind === 'array' ? [value] : { a: value };
    return value;
  };
  it.each([
    ['array', 31, true],
    ['array', 32, false],
    ['kvlist', 31, true],
    ['kvlist', 32, false],
  ] as const)('%s values nested %i deep: accepted %s, as by the decoder', (kind, levels, accepted) => {
    const [span] = decodeTraceRequest(sdkBody);
    if (!span) throw new Error('no span');
    const body = encodeTraceRequest([{ ...span, attributes: { deep: nested(kind, levels) } }]);
    for (const read of [scanTraceRequest, decodeTraceRequest]) {
      if (accepted) expect(() => read(body)).not.toThrow();
      else expect(() => read(body)).toThrow('attribute values nested deeper than 32');
    }
  });

  // The resource's one value is within every limit, and the span has no events: only its attribute counts.
  const hints = { maxAttributes: 8, maxEvents: 8, maxLinks: 8, maxValues: 5, maxValueBytes: 3 };
  const resource = makeResource({ 'service.name': 'abc' });
  it.each([
    ['four kvlist entries (5 values with the attribute)', { m: { a: 1, b: 2, c: 3, d: 4 } }, false],
    ['five kvlist entries (6 values)', { m: { a: 1, b: 2, c: 3, d: 4, e: 5 } }, true],
    ['four array items in a kvlist entry (6 values), counted too', { m: { a: [1, 2, 3, 4] } }, true],
    ['a string of the byte limit in an array', { l: ['abc'] }, false],
    ['a string over the byte limit in an array', { l: ['abcd'] }, true],
    ['a string over the byte limit in a kvlist', { m: { a: 'abcd' } }, true],
    ['bytes over the byte limit (not a string)', { b: new Uint8Array(9) }, false],
  ])('%s -> rewrite %s', (_, attributes, expected) => {
    const [span] = decodeTraceRequest(sdkBody);
    if (!span) throw new Error('no span');
    const body = encodeTraceRequest([{ ...span, resource, attributes, events: [], links: [] }]);
    expect(scanTraceRequest(body, hints).needsRewrite).toBe(expected);
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

  it('never forwards a span the full decoder cannot read, with every kind of attribute value nested', () => {
    const [span] = decodeTraceRequest(sdkBody);
    if (!span) throw new Error('no span');
    const attributes = {
      s: 'text',
      i: -42,
      d: 2.5,
      b: true,
      y: Uint8Array.of(1, 2),
      a: ['x', 7, [false]],
      k: { n: 'v', m: { o: 1 } },
    };
    const body = encodeTraceRequest([{ ...span, attributes }]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 2 }),
        (edits) => {
          const bytes = mutate(body, edits, 0);
          let scan: ReturnType<typeof scanTraceRequest>;
          try {
            scan = scanTraceRequest(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(WireFormatError);
            return;
          }
          const forwarded = decodeTraceRequest(payloadFromSlices(scan, scan.spans));
          expect(forwarded).toHaveLength(scan.spans.length);
        },
      ),
      { numRuns: 3000, seed: 13 },
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
