/**
 * Packed spans (span-pack.ts): what an OTLP protobuf round trip keeps, in the spans' own order, with
 * the protobuf size encodeTraceRequest would write; resources named by hash; and a clear error for
 * every malformed input.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeTraceRequest } from '../../../../lambdas/shared/otlp/index.ts';
import {
  type Attributes,
  type AttributeValue,
  makeResource,
  newAttributes,
  type Span,
  type SpanEvent,
  SpanKind,
  type SpanLink,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';
import {
  EXTERNAL_RESOURCE_BYTES,
  packSpans,
  RESOURCE_HASH_BYTES,
  unpackResource,
  unpackSpans,
} from '../../../../lambdas/storage/dynamodb/span-pack.ts';
import { PackedSpansError } from '../../../../lambdas/storage/errors.ts';
import { BASE_NS, serviceResource, type TestSpan, TRACE_A, testSpan } from '../../../support/storage.ts';

const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';

function span(spec: Partial<TestSpan> & { readonly id: string }): Span {
  return testSpan({ start: 0, end: 1, ...spec });
}

const EVENTS: readonly SpanEvent[] = [
  {
    timeUnixNano: BASE_NS + 1n,
    name: 'exception',
    attributes: { 'exception.type': 'E' },
    droppedAttributesCount: 1,
  },
  { timeUnixNano: 0n, name: '', attributes: {}, droppedAttributesCount: 0 },
];

const LINKS: readonly SpanLink[] = [
  {
    traceId: TRACE_A,
    spanId: 'aaaaaaaaaaaaaaaa',
    traceState: '',
    attributes: {},
    droppedAttributesCount: 0,
    flags: 1,
  },
  {
    traceId: OTHER_TRACE,
    spanId: 'bbbbbbbbbbbbbbbb',
    traceState: 'x=y',
    attributes: { why: 'retry' },
    droppedAttributesCount: 4,
    flags: 0,
  },
  { traceId: '', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 },
];

/** Packs and unpacks `spans` of TRACE_A, its external resources read back from their definitions. */
function roundTrip(spans: readonly Span[]): { spans: Span[]; protobufBytes: number } {
  const packed = packSpans(spans, TRACE_A);
  const resources = packed.resources.map((r) => unpackResource(r.definition));
  return {
    spans: unpackSpans(packed.bytes.slice(), TRACE_A, resources),
    protobufBytes: packed.protobufBytes,
  };
}

/** What the OTLP protobuf codec keeps of `spans` (it regroups them, so by span id). */
function otlpRoundTrip(spans: readonly Span[]): Span[] {
  return byId(decodeTraceRequest(encodeTraceRequest(spans)));
}

function byId(spans: readonly Span[]): Span[] {
  return [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

function nested(depth: number): AttributeValue {
  let value: AttributeValue = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value, i] : { [`level${i}`]: value, n: i };
  return value;
}

const everyValue: Attributes = {
  string: 'GET /cart',
  empty: '',
  unicode: 'caf\u00e9 \u20ac \u{1f600}',
  long: 'x'.repeat(300),
  yes: true,
  no: false,
  zero: 0,
  negative: -5,
  largest: Number.MAX_SAFE_INTEGER,
  smallest: -Number.MAX_SAFE_INTEGER,
  unsafe: 2 ** 60,
  fraction: 1.5,
  infinite: Number.POSITIVE_INFINITY,
  big: 2n ** 60n,
  bigNegative: -(2n ** 60n),
  smallBig: 5n,
  beyond64: 2n ** 70n + 3n,
  bytes: new Uint8Array([0, 1, 255]),
  array: ['a', 1, true, []],
  kvlist: { inner: 'v', deeper: { n: 2 } },
  nested: nested(8),
};

const manyAttributes: Attributes = Object.fromEntries(
  Array.from({ length: 200 }, (_, i) => [`attribute.${i}`, i % 3 === 0 ? `value ${i % 7}` : i]),
);

const cases: [string, Span[]][] = [
  [
    'a trace of three services, children before their parent',
    [
      span({ id: 'db', parent: 'api', service: 'orders', start: 20, end: 40 }),
      span({ id: 'api', parent: 'root', service: 'orders', start: 10, end: 90 }),
      span({ id: 'root', service: 'frontend', start: 0, end: 100 }),
      span({ id: 'cache', parent: 'root', service: 'cache', start: 5, end: 6 }),
    ],
  ],
  ['every attribute value type', [span({ id: 'root', attributes: everyValue })]],
  [
    '200 attributes, two spans of the same keys',
    [0, 1].map((i) => span({ id: `s${i}`, start: i, end: 9, attributes: manyAttributes })),
  ],
  [
    'events, links, status, dropped counts, trace state, every kind and flags',
    Object.values(SpanKind).map((kind, i) => ({
      ...span({ id: `k${i}`, parent: i > 0 ? 'k0' : undefined, start: i, end: i + 5, kind }),
      traceState: i % 2 === 0 ? 'vendor=a' : '',
      flags: i === 0 ? 0 : 0x301,
      droppedAttributesCount: i,
      droppedEventsCount: 2 * i,
      droppedLinksCount: 3 * i,
      status: { code: i % 3 === 2 ? StatusCode.ERROR : StatusCode.OK, message: i === 1 ? 'partial' : '' },
      events: EVENTS,
      links: LINKS,
    })),
  ],
  [
    'a parent outside the blob, another trace id, an end before its start, times 2^60 apart',
    [
      span({ id: 'orphan', parent: 'missing', start: 50, end: 10 }),
      { ...span({ id: 'other', start: 0, end: 1 }), traceId: OTHER_TRACE },
      { ...span({ id: 'far', start: 0, end: 1 }), startTimeUnixNano: 1n, endTimeUnixNano: 2n ** 60n },
      span({ id: 'back', start: 3, end: 4 }),
    ],
  ],
  [
    'resources equal in value as distinct objects, one too large to name, scopes with attributes',
    [
      span({ id: 'a', resource: makeResource({ 'service.name': 'twin', zone: 'a' }) }),
      span({ id: 'b', resource: makeResource({ 'service.name': 'twin', zone: 'a' }) }),
      span({
        id: 'c',
        resource: makeResource(
          { 'service.name': 'huge', blob: 'r'.repeat(EXTERNAL_RESOURCE_BYTES) },
          3,
          'https://s/1',
        ),
      }),
      {
        ...span({ id: 'd', service: 'orders' }),
        scope: {
          name: '@opentelemetry/instrumentation-pg',
          version: '0.60.1',
          attributes: { 'scope.a': 1 },
          droppedAttributesCount: 2,
          schemaUrl: 'https://s/2',
        },
      },
    ],
  ],
  ['no spans', []],
];

describe('packSpans / unpackSpans', () => {
  it.each(cases)('keeps what OTLP keeps, in order, and its protobuf size: %s', (_case, spans) => {
    // Act
    const { spans: unpacked, protobufBytes } = roundTrip(spans);

    // Assess
    expect(unpacked.map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
    expect(byId(unpacked)).toEqual(otlpRoundTrip(spans));
    expect(protobufBytes).toBe(encodeTraceRequest(spans).length);
  });

  it('names each resource by the hash of its definition, once per blob, and keeps a large one inside', () => {
    // Prepare: two objects of one resource, another resource, a resource over the size named apart
    const twin = () => makeResource({ 'service.name': 'twin', zone: 'a' });
    const large = makeResource({ 'service.name': 'large', blob: 'r'.repeat(EXTERNAL_RESOURCE_BYTES) });
    const spans = [
      span({ id: 'a', resource: twin() }),
      span({ id: 'b', resource: twin() }),
      span({ id: 'c', resource: serviceResource('payments') }),
      span({ id: 'd', resource: large }),
    ];

    // Act
    const packed = packSpans(spans, TRACE_A);

    // Assess
    const names = packed.resources.map((r) => unpackResource(r.definition).serviceName);
    expect(names).toEqual(['twin', 'payments']);
    for (const resource of packed.resources) {
      const hash = createHash('sha256').update(resource.definition).digest().subarray(0, RESOURCE_HASH_BYTES);
      expect(Buffer.from(resource.hash)).toEqual(hash);
    }
    expect(unpackResource((packed.resources[0] as { definition: Uint8Array }).definition)).toEqual(twin());
  });

  it('packs right when a stream of new attribute keys made it forget the key sequences it knew', () => {
    // Prepare: 12,000 key sequences never seen, more than the packer keeps
    const unique = Array.from({ length: 200 }, (_, i) =>
      span({
        id: `u${i}`,
        attributes: Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`key.${i}.${k}`, k])),
      }),
    );
    roundTrip(unique);
    const spans = cases[0]?.[1] ?? [];

    // Act
    const { spans: unpacked } = roundTrip(spans);

    // Assess
    expect(byId(unpacked)).toEqual(otlpRoundTrip(spans));
  });

  it('leaves the trace id out where the spans have the one it is given', () => {
    // Prepare
    const packed = packSpans([span({ id: 'root' })], TRACE_A);
    const bytes = packed.bytes.slice();
    const resources = packed.resources.map((r) => unpackResource(r.definition));

    // Act: read under another trace id
    const [read] = unpackSpans(bytes, OTHER_TRACE, resources);

    // Assess
    expect(read?.traceId).toBe(OTHER_TRACE);
  });
});

/**
 * A blob of one span written by hand after the layout in span-pack.ts, up to its attributes: one
 * attribute `k` whose value is `value` (tag and payload).
 */
function handPacked(
  options: { shape?: number; parent?: number[]; resource?: number[]; key?: number[]; value?: number[] } = {},
): Uint8Array {
  return Uint8Array.from([
    1, // span count
    0, // earliest start
    options.shape ?? 0b1000, // NEW_TRACE_ID, kind 0
    16,
    ...Buffer.from(TRACE_A, 'hex'),
    8,
    ...Buffer.from('0102030405060708', 'hex'),
    ...(options.parent ?? []),
    0, // flags
    0, // name ''
    0, // start - earliest
    0, // zigzag(end - start)
    ...(options.resource ?? [0, 0, 0, 0]), // entry 0, defined here: no attributes, dropped 0, ''
    0,
    0,
    0,
    0,
    0,
    0, // scope 0 defined: name, version, no attributes, dropped 0, schema URL
    0,
    1,
    ...(options.key ?? [2, 0x6b]), // template 0 defined: one key, 'k'
    ...(options.value ?? [0, 2, 0x76]), // the value: string 'v'
  ]);
}

describe('unpackSpans refuses malformed bytes', () => {
  it('reads the hand-packed span it is compared with', () => {
    // Act
    const [read] = unpackSpans(handPacked(), TRACE_A);

    // Assess
    expect(read).toMatchObject({ spanId: '0102030405060708', traceId: TRACE_A, attributes: { k: 'v' } });
  });

  it.each([
    ['an unknown value tag', handPacked({ value: [99] }), /unknown value tag 99/],
    ['a string reference to no string', handPacked({ key: [11] }), /string 5 is not defined/],
    [
      'a parent index past the spans',
      handPacked({ shape: 0b111000, parent: [3] }),
      /parent index 3 out of range/,
    ],
    ['a resource not defined', handPacked({ resource: [4] }), /resource 2 is not defined/],
    ['an external resource not given', handPacked({ resource: [1] }), /external resource 0 is not given/],
    ['truncated bytes', handPacked().subarray(0, 30), /truncated/],
    ['bytes after the last span', Uint8Array.from([...handPacked(), 0]), /bytes after the end/],
  ])('%s', (_case, bytes, message) => {
    // Act
    const act = () => unpackSpans(bytes, TRACE_A);

    // Assess
    expect(act).toThrow(PackedSpansError);
    expect(act).toThrow(message);
  });

  it('refuses values nested deeper than the OTLP decoder reads', () => {
    // Prepare
    const packed = packSpans([span({ id: 'deep', attributes: { deep: nested(40) } })], TRACE_A);
    const bytes = packed.bytes.slice();
    const resources = packed.resources.map((r) => unpackResource(r.definition));

    // Act
    const act = () => unpackSpans(bytes, TRACE_A, resources);

    // Assess
    expect(act).toThrow(PackedSpansError);
    expect(act).toThrow(/nested deeper than 32/);
  });

  it('refuses to pack a span whose id is not hex', () => {
    // Act
    const act = () => packSpans([{ ...span({ id: 'a' }), spanId: 'not-hex!' }], TRACE_A);

    // Assess
    expect(act).toThrow(PackedSpansError);
    expect(act).toThrow(/not a hex id: not-hex!/);
  });
});

describe('unpackResource', () => {
  it('refuses a definition with bytes after it', () => {
    // Prepare
    const [resource] = packSpans([span({ id: 'a', service: 'orders' })], TRACE_A).resources;
    const definition = Uint8Array.from([...(resource?.definition ?? []), 7]);

    // Act
    const act = () => unpackResource(definition);

    // Assess
    expect(act).toThrow(PackedSpansError);
  });

  it('gives the resource its service name as the SDKs derive it', () => {
    // Prepare
    const attributes = newAttributes();
    attributes['host.name'] = 'h';
    const [resource] = packSpans([span({ id: 'a', resource: makeResource(attributes) })], TRACE_A).resources;

    // Act
    const read = unpackResource(resource?.definition ?? new Uint8Array());

    // Assess
    expect(read.serviceName).toBe('unknown_service');
  });
});
