import { describe, expect, it } from 'vitest';
import { decodeSpan } from '../../../../lambdas/shared/otlp/decode.ts';
import { type DecodeLimits, newCutCounts } from '../../../../lambdas/shared/otlp/decode-limits.ts';
import { encodeTraceRequest } from '../../../../lambdas/shared/otlp/encode.ts';
import { TooManySpansError } from '../../../../lambdas/shared/otlp/errors.ts';
import { decodeTraceRequestJson, encodeTracesDataJson } from '../../../../lambdas/shared/otlp/json.ts';
import { scanTraceRequest } from '../../../../lambdas/shared/otlp/scan.ts';
import { ProtoReader } from '../../../../lambdas/shared/otlp/wire.ts';
import {
  type Attributes,
  type AttributeValue,
  EMPTY_SCOPE,
  makeResource,
  newAttributes,
  type Span,
} from '../../../../lambdas/shared/span/model.ts';

const resource = makeResource(newAttributes());

function span(extra: Partial<Span> = {}): Span {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: newAttributes(),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource,
    scope: EMPTY_SCOPE,
    ...extra,
  };
}

const numbered = (n: number, value: (i: number) => AttributeValue = (i) => i): Attributes =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));
const event = { timeUnixNano: 1n, name: 'e', attributes: numbered(3), droppedAttributesCount: 0 };
const link = {
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  traceState: '',
  attributes: newAttributes(),
  droppedAttributesCount: 0,
  flags: 0,
};

/** Decodes one span of a protobuf request within the limits. */
function viaProtobuf(input: Span, limits: DecodeLimits) {
  const bytes = encodeTraceRequest([input]);
  const [scanned] = scanTraceRequest(bytes).spans;
  const counts = newCutCounts();
  const reader = new ProtoReader(bytes, scanned?.start, scanned?.end);
  return { span: decodeSpan(reader, resource, EMPTY_SCOPE, limits, counts), counts };
}

function viaJson(input: Span, limits: DecodeLimits) {
  const counts = newCutCounts();
  const [decoded] = decodeTraceRequestJson(JSON.stringify(encodeTracesDataJson([input])), { limits, counts });
  return { span: decoded as Span, counts };
}

const limits: DecodeLimits = { maxAttributes: 2, maxEvents: 3, maxLinks: 1, maxValues: 1_000 };

describe.each([
  ['protobuf', viaProtobuf],
  ['JSON', viaJson],
])('decoding %s within limits', (_, decode) => {
  it('keeps the first events, links and attributes up to their limits and counts the rest', () => {
    // Prepare
    const input = span({
      attributes: numbered(5),
      droppedAttributesCount: 1,
      events: Array.from({ length: 1_000 }, () => event),
      droppedEventsCount: 7,
      links: [link, link, link],
    });

    // Act
    const { span: out, counts } = decode(input, limits);

    // Assess
    expect(Object.keys(out.attributes)).toEqual(['k0', 'k1']);
    expect(out.droppedAttributesCount).toBe(1 + 3);
    expect(out.events).toHaveLength(3);
    expect(out.droppedEventsCount).toBe(7 + 997);
    expect(Object.keys(out.events[0]?.attributes ?? {})).toEqual(['k0', 'k1']);
    expect(out.events[0]?.droppedAttributesCount).toBe(1);
    expect(out.links).toHaveLength(1);
    expect(out.droppedLinksCount).toBe(2);
    // 3 span attributes, 997 events, 3 x 1 event attributes, 2 links
    expect(counts).toEqual({ itemsDropped: 3 + 997 + 3 + 2, attributesRedacted: 0 });
  });

  it('spends one budget on every value of the span, nested ones included, and drops the rest', () => {
    // Prepare: 1 attribute + 4 array items + 1 attribute + 3 kvlist entries = 9 values
    const nested = newAttributes();
    for (const key of ['a', 'b', 'c']) nested[key] = key;
    const input = span({ attributes: { list: [1, 2, 3, 4], map: nested } });

    // Act
    const { span: out, counts } = decode(input, { ...limits, maxAttributes: 10, maxValues: 7 });

    // Assess
    expect(out.attributes.list).toEqual([1, 2, 3, 4]);
    expect({ ...(out.attributes.map as Attributes) }).toEqual({ a: 'a' });
    expect(counts.itemsDropped).toBe(2);
  });

  it('skips keys a redaction rule drops, at any depth, without counting them against the limit', () => {
    // Prepare
    const nested = newAttributes();
    nested.token = 'secret';
    nested.keep = 'x';
    const input = span({ attributes: { token: 't', a: nested, b: 2 } });

    // Act
    const { span: out, counts } = decode(input, { ...limits, dropsKey: (key) => key === 'token' });

    // Assess
    expect(Object.keys(out.attributes)).toEqual(['a', 'b']);
    expect({ ...(out.attributes.a as Attributes) }).toEqual({ keep: 'x' });
    expect(out.droppedAttributesCount).toBe(1);
    expect(counts).toEqual({ itemsDropped: 0, attributesRedacted: 2 });
  });
});

describe('span count limit', () => {
  it('counts JSON spans before converting any, so a malformed span beyond the limit is not reached', () => {
    const text = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}, {}, { name: 1 }] }] }] });
    expect(() => decodeTraceRequestJson(text, { maxSpans: 2 })).toThrow(TooManySpansError);
    expect(() => decodeTraceRequestJson(text, { maxSpans: 2 })).toThrow(
      /holds 3 spans, more than the limit of 2/,
    );
  });

  it.each([
    [2, 2, false],
    [3, 2, true],
  ])('scans %i protobuf spans against a limit of %i (refused: %s), counting every one', (n, max, refused) => {
    const bytes = encodeTraceRequest(Array.from({ length: n }, () => span()));
    const act = () => scanTraceRequest(bytes, undefined, max);
    if (refused) expect(act).toThrow(new TooManySpansError(n, max).message);
    else expect(act().spans).toHaveLength(n);
  });

  it('flags a span with more values than the limit for the rewrite path', () => {
    const hints = { maxAttributes: 8, maxEvents: 8, maxLinks: 8, maxValues: 5, maxValueBytes: 100 };
    const within = encodeTraceRequest([span({ attributes: { list: [1, 2, 3, 4] } })]);
    const beyond = encodeTraceRequest([span({ attributes: { list: [1, 2, 3, 4, 5] } })]);
    expect(scanTraceRequest(within, hints).needsRewrite).toBe(false);
    expect(scanTraceRequest(beyond, hints).needsRewrite).toBe(true);
  });
});
