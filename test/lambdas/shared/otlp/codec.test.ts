import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../../../lambdas/shared/otlp/decode.ts';
import { encodeTraceRequest } from '../../../../lambdas/shared/otlp/encode.ts';
import { JsonFormatError, WireFormatError } from '../../../../lambdas/shared/otlp/errors.ts';
import {
  decodeTraceRequestJson,
  decodeTraceRequestObject,
  encodeTracesDataJson,
} from '../../../../lambdas/shared/otlp/json.ts';
import { ProtoWriter, WireType } from '../../../../lambdas/shared/otlp/wire.ts';
import type { Span } from '../../../../lambdas/shared/span/model.ts';
import { jsonBody, protobufBody, sdkSpans } from '../../../support/otel-sdk.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('OTLP codecs against the OpenTelemetry JS serializers', () => {
  it('decodes the same spans from the SDK protobuf and JSON bodies', async () => {
    // Prepare
    const sdk = await sdkSpans(3, { error: true, withEvents: true, children: 2 });

    // Act
    const fromProtobuf = decodeTraceRequest(protobufBody(sdk));
    const fromJson = decodeTraceRequestJson(text(jsonBody(sdk)));

    // Assess
    expect(fromProtobuf).toHaveLength(sdk.length);
    expect(fromJson).toEqual(fromProtobuf);
    const bySpanId = new Map(fromProtobuf.map((s) => [s.spanId, s]));
    for (const original of sdk) {
      const decoded = bySpanId.get(original.spanContext().spanId);
      expect(decoded?.traceId).toBe(original.spanContext().traceId);
      expect(decoded?.name).toBe(original.name);
      expect(decoded?.parentSpanId).toBe(original.parentSpanContext?.spanId ?? '');
      expect(decoded?.attributes).toEqual(original.attributes);
      expect(decoded?.events.map((e) => e.name)).toEqual(original.events.map((e) => e.name));
      expect(decoded?.status.code).toBe(original.status.code);
      expect(decoded?.resource.serviceName).toBe('checkout');
      const [s, ns] = original.startTime;
      expect(decoded?.startTimeUnixNano).toBe(BigInt(s) * 1_000_000_000n + BigInt(ns));
    }
  });

  it('re-encodes decoded spans to protobuf that decodes to the same spans', async () => {
    // Prepare
    const spans = decodeTraceRequest(protobufBody(await sdkSpans(4, { withEvents: true })));

    // Act
    const again = decodeTraceRequest(encodeTraceRequest(spans));

    // Assess
    expect(again).toEqual(spans);
  });

  it('writes OTLP/JSON that reads back to the same spans, including every attribute type', () => {
    // Prepare
    const spans = decodeTraceRequest(encodeTraceRequest([spanWithEveryValueType()]));

    // Act
    const json = JSON.parse(JSON.stringify(encodeTracesDataJson(spans)));
    const back = decodeTraceRequestObject(json);

    // Assess
    expect(back).toEqual(spans);
    expect(back[0]?.attributes.big).toBe(2n ** 62n);
    expect(back[0]?.attributes.negative).toBe(-5);
  });
});

function spanWithEveryValueType(): Span {
  const resource = {
    serviceName: 'svc',
    attributes: { 'service.name': 'svc' },
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const scope = { name: 'scope', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  return {
    traceId: '0123456789abcdef0123456789abcdef',
    spanId: '0123456789abcdef',
    parentSpanId: 'fedcba9876543210',
    traceState: 'ot=th:c',
    flags: 0x301,
    name: 'op',
    kind: 3,
    startTimeUnixNano: 1_800_000_000_000_000_000n,
    endTimeUnixNano: 1_800_000_000_123_456_789n,
    attributes: {
      s: 'text ünïcode ✓',
      b: true,
      i: 42,
      negative: -5,
      big: 2n ** 62n,
      d: 2.5,
      arr: ['a', 1, false],
      kv: { inner: 'x', deeper: { n: 3 } },
      bytes: new Uint8Array([0, 1, 255]),
    },
    droppedAttributesCount: 2,
    events: [
      {
        timeUnixNano: 1_800_000_000_000_000_500n,
        name: 'e',
        attributes: { k: 'v' },
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 3,
    links: [
      {
        traceId: 'ffffffffffffffffffffffffffffffff',
        spanId: '1111111111111111',
        traceState: 'a=b',
        attributes: { l: 1 },
        droppedAttributesCount: 0,
        flags: 1,
      },
    ],
    droppedLinksCount: 4,
    status: { code: 2, message: 'boom' },
    resource,
    scope,
  };
}

describe('protobuf decoding of malformed input', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['a truncated varint', Uint8Array.of(0x0a, 0x80)],
    ['a length running past the end', Uint8Array.of(0x0a, 0x05, 0x01)],
    ['field number 0', Uint8Array.of(0x00, 0x00)],
    ['a group wire type', Uint8Array.of(0x0b)],
    ['resource_spans with the varint wire type', Uint8Array.of(0x08, 0x01)],
  ];
  it.each(cases)('rejects %s with a WireFormatError', (_, bytes) => {
    expect(() => decodeTraceRequest(bytes)).toThrow(WireFormatError);
  });

  it('rejects attribute values nested deeper than the limit', () => {
    // Prepare: an AnyValue holding arrays nested 40 deep
    const w = new ProtoWriter();
    const nest = (depth: number): void => {
      if (depth === 0) {
        w.tag(1, WireType.LEN).string('leaf');
        return;
      }
      w.tag(5, WireType.LEN).fork().tag(1, WireType.LEN).fork();
      nest(depth - 1);
      w.join().join();
    };
    w.tag(1, WireType.LEN).fork(); // ResourceSpans
    w.tag(1, WireType.LEN).fork(); // Resource
    w.tag(1, WireType.LEN).fork().tag(1, WireType.LEN).string('k').tag(2, WireType.LEN).fork();
    nest(40);
    w.join().join().join().join();

    // Act / Assess
    expect(() => decodeTraceRequest(w.finish())).toThrow(/nested deeper/);
  });

  it('skips unknown fields of every wire type', () => {
    // Prepare: a request with unknown fields 99 (varint, fixed64, bytes, fixed32) around real content
    const spans = [spanWithEveryValueType()];
    const known = encodeTraceRequest(spans);
    const w = new ProtoWriter();
    w.tag(99, WireType.VARINT).uint32(7).tag(98, WireType.I64).fixed64(1n).tag(97, WireType.LEN).string('x');
    w.tag(96, WireType.I32).fixed32(5).raw(known);

    // Act / Assess
    expect(decodeTraceRequest(w.finish())).toEqual(decodeTraceRequest(known));
  });

  it('treats an all-zero parent span id as a root', () => {
    const span = { ...spanWithEveryValueType(), parentSpanId: '0000000000000000' };
    expect(decodeTraceRequest(encodeTraceRequest([span]))[0]?.parentSpanId).toBe('');
  });
});

describe('OTLP/JSON reading', () => {
  const base = (span: Record<string, unknown>) => ({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [span] }] }],
  });
  const good = {
    traceId: '5B8EFFF798038103D269B633813FC60C',
    spanId: 'EEE19B7EC3C1B174',
    name: 'op',
    kind: 2,
    startTimeUnixNano: '1544712660000000000',
    endTimeUnixNano: 1544712661000000000,
  };

  it('accepts upper-case hex ids, int64 as strings or numbers, and enum names', () => {
    // Act
    const [span] = decodeTraceRequestObject(
      base({ ...good, kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR' } }),
    );

    // Assess
    expect(span?.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(span?.kind).toBe(3);
    expect(span?.status.code).toBe(2);
    expect(span?.startTimeUnixNano).toBe(1544712660000000000n);
  });

  it('accepts snake_case field names as the protobuf JSON mapping allows', () => {
    const doc = {
      resource_spans: [
        { scope_spans: [{ spans: [{ trace_id: good.traceId, span_id: good.spanId, name: 'x' }] }] },
      ],
    };
    expect(decodeTraceRequestObject(doc)[0]?.spanId).toBe('eee19b7ec3c1b174');
  });

  it('ignores unknown fields', () => {
    expect(
      decodeTraceRequestObject({ ...base({ ...good, futureField: { a: 1 } }), extra: true }),
    ).toHaveLength(1);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a non-object root', [], /expected an object/],
    ['resourceSpans not an array', { resourceSpans: {} }, /resourceSpans: expected an array/],
    [
      'a string time that is not a number',
      base({ ...good, startTimeUnixNano: 'soon' }),
      /startTimeUnixNano: expected an unsigned/,
    ],
    ['a negative time', base({ ...good, endTimeUnixNano: -1 }), /endTimeUnixNano/],
    ['a numeric name', base({ ...good, name: 5 }), /spans\[0\]\.name: expected a string/],
    ['an unknown enum name', base({ ...good, kind: 'SPAN_KIND_WEIRD' }), /kind: expected an enum/],
    [
      'an int attribute out of range',
      base({ ...good, attributes: [{ key: 'k', value: { intValue: '99999999999999999999' } }] }),
      /intValue/,
    ],
  ];
  it.each(bad)('rejects %s with a JsonFormatError naming the path', (_, doc, message) => {
    expect(() => decodeTraceRequestObject(doc)).toThrow(JsonFormatError);
    expect(() => decodeTraceRequestObject(doc)).toThrow(message);
  });

  it('rejects a body that is not JSON', () => {
    expect(() => decodeTraceRequestJson('{"resourceSpans": [')).toThrow(/not valid JSON/);
  });
});
