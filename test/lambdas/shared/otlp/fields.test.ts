import { readFileSync } from 'node:fs';
import { createTraceState, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import {
  indexPayload,
  type SpanFacts,
  spanName,
  spanTraceState,
} from '../../../../lambdas/sampler/span-index.ts';
import {
  decodeTraceRequest,
  encodeTraceRequest,
  exportResponseBody,
  OtlpField,
  type ScannedRequest,
  scanTraceRequest,
  WireType,
} from '../../../../lambdas/shared/otlp/index.ts';

const { GroupField, ResourceField, ResourceSpansField, ScopeSpansField } = OtlpField;
const ROOT = new URL('../../../../', import.meta.url);

/** The files that read or write OTLP protobuf fields: each must name them from fields.ts. */
const FIELD_USERS = [
  'lambdas/shared/otlp/decode.ts',
  'lambdas/shared/otlp/decode-limits.ts',
  'lambdas/shared/otlp/encode.ts',
  'lambdas/shared/otlp/response.ts',
  'lambdas/shared/otlp/scan.ts',
  'lambdas/ingest/rewrite.ts',
  'lambdas/sampler/span-index.ts',
];

/** Ways a field number is spelled as a bare digit. */
const BARE_FIELD_NUMBER: readonly RegExp[] = [
  /\.tag\(\s*\d/, // writer.tag(5, WireType.LEN)
  /\bcase\s+\d+\s*:/, // case 11:
  /\bfield\s*[!=]==?\s*\d/, // field === 1
  />>>\s*3\s*[!=]==?\s*\d/, // tag >>> 3 === 2
  /\b(?:writeId|writeAttributes)\([^,()]+,\s*\d/, // writeAttributes(w, 9, attributes)
];

function bareFieldNumbers(source: string): string[] {
  return source.split('\n').filter((line) => BARE_FIELD_NUMBER.some((pattern) => pattern.test(line)));
}

describe('OTLP field numbers are named', () => {
  it.each([
    'w.tag(5, WireType.LEN).string(span.name);',
    'case 11: {',
    'if (field === 1 || field === 3) {',
    'if (tag >>> 3 !== 9) {',
    'writeAttributes(w, 9, span.attributes);',
  ])('the source check catches %s', (line) => {
    // Act
    const found = bareFieldNumbers(`const a = 1;\n${line}\n`);

    // Assess
    expect(found).toEqual([line]);
  });

  it.each([
    'w.tag(SpanField.NAME, WireType.LEN).string(span.name);',
    'case SpanField.EVENTS: {',
    'kind: (kind <= 5 ? kind : 0) as SpanKind,',
    'if (t >>> 3 === KeyValueField.KEY && (t & 7) === WireType.LEN) {',
  ])('the source check lets %s pass', (line) => {
    // Act
    const found = bareFieldNumbers(line);

    // Assess
    expect(found).toEqual([]);
  });

  it.each(FIELD_USERS)('%s spells no field number as a bare digit', (path) => {
    // Prepare
    const source = readFileSync(new URL(path, ROOT), 'utf8');

    // Act
    const found = bareFieldNumbers(source);

    // Assess
    expect(found).toEqual([]);
  });

  it('gives ResourceSpans and ScopeSpans the shape GroupField reads both with', () => {
    // Assess
    expect([
      ResourceSpansField.RESOURCE,
      ResourceSpansField.SCOPE_SPANS,
      ResourceSpansField.SCHEMA_URL,
    ]).toEqual([GroupField.HEAD, GroupField.CHILDREN, GroupField.SCHEMA_URL]);
    expect([ScopeSpansField.SCOPE, ScopeSpansField.SPANS, ScopeSpansField.SCHEMA_URL]).toEqual([
      GroupField.HEAD,
      GroupField.CHILDREN,
      GroupField.SCHEMA_URL,
    ]);
  });
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/**
 * A span with every field the model carries set to a value other than its default: the SDK
 * serializer writes some defaults that proto3 serializers (ours included) omit, so only then do the
 * two agree byte for byte.
 */
function everyFieldSpan(): ReadableSpan {
  const scope = {
    name: 'cart-lib',
    version: '2.0.0',
    schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    attributes: { 'scope.kind': 'library' },
    droppedAttributesCount: 1,
  };
  const attributes = {
    'http.response.status_code': 503,
    'http.route': '/cart/{id}',
    'app.premium': true,
    'app.ratio': 2.5,
    'app.tags': ['a', 'b'],
    'app.nested': { inner: 'x', deeper: { n: 3 } },
    'app.blob': new Uint8Array([0, 1, 255]),
  } as unknown as ReadableSpan['attributes'];
  return {
    name: 'GET /cart/{id}',
    kind: SpanKind.SERVER,
    spanContext: () => ({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=value'),
    }),
    parentSpanContext: { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
    startTime: [1_800_000_000, 123_456_789],
    endTime: [1_800_000_001, 500],
    status: { code: SpanStatusCode.ERROR, message: 'upstream timed out' },
    attributes,
    droppedAttributesCount: 2,
    events: [
      {
        name: 'exception',
        time: [1_800_000_000, 900_000_000],
        attributes: { 'exception.type': 'TimeoutError' },
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 3,
    links: [
      {
        context: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b8',
          traceFlags: TraceFlags.SAMPLED,
          isRemote: false,
          traceState: createTraceState('other=1'),
        },
        attributes: { 'link.reason': 'retry' },
        droppedAttributesCount: 4,
      },
    ],
    droppedLinksCount: 5,
    duration: [1, 0],
    ended: true,
    resource: resourceFromAttributes(
      { 'service.name': 'cart', 'service.version': '1.4.2' },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.29.0' },
    ),
    instrumentationScope: scope,
  };
}

/** The bytes of [start, end) pairs, concatenated. */
function ranges(bytes: Uint8Array, pairs: readonly number[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < pairs.length; i += 2) parts.push(Buffer.from(bytes.subarray(pairs[i], pairs[i + 1])));
  return Buffer.concat(parts);
}

function onlySpan(scan: ScannedRequest): { start: number; end: number } {
  expect(scan.spans).toHaveLength(1);
  return scan.spans[0] as { start: number; end: number };
}

describe('OTLP field numbers against the OpenTelemetry JS serializer', () => {
  const sdkBytes = ProtobufTraceSerializer.serializeRequest([everyFieldSpan()]) as Uint8Array;

  it('re-encodes every span field of an SDK request to the same bytes', () => {
    // Prepare
    const sdkScan = scanTraceRequest(sdkBytes);

    // Act
    const ours = encodeTraceRequest(decodeTraceRequest(sdkBytes));

    // Assess
    const ourScan = scanTraceRequest(ours);
    const sdkSpan = onlySpan(sdkScan);
    const ourSpan = onlySpan(ourScan);
    expect(Buffer.from(ours.subarray(ourSpan.start, ourSpan.end))).toEqual(
      Buffer.from(sdkBytes.subarray(sdkSpan.start, sdkSpan.end)),
    );
    expect(ranges(ours, ourScan.groups[0]?.scopeFields ?? [])).toEqual(
      ranges(sdkBytes, sdkScan.groups[0]?.scopeFields ?? []),
    );
  });

  it('re-encodes an SDK resource to the same bytes, less the default count the SDK writes', () => {
    // Prepare
    const sdkFields = scanTraceRequest(sdkBytes).groups[0]?.resourceFields ?? [];
    const defaultDroppedCount = [(ResourceField.DROPPED_ATTRIBUTES_COUNT << 3) | WireType.VARINT, 0];

    // Act
    const ours = encodeTraceRequest(decodeTraceRequest(sdkBytes));

    // Assess
    const ourFields = scanTraceRequest(ours).groups[0]?.resourceFields ?? [];
    expect(ourFields).toHaveLength(4); // resource, schema_url
    const sdkResource = ranges(sdkBytes, sdkFields.slice(0, 2));
    const ourResource = ranges(ours, ourFields.slice(0, 2));
    expect([...sdkResource.subarray(-2)]).toEqual(defaultDroppedCount);
    expect(sdkResource.subarray(2, -2)).toEqual(ourResource.subarray(2));
    expect(ranges(ours, ourFields.slice(2))).toEqual(ranges(sdkBytes, sdkFields.slice(2)));
  });

  it('indexes the facts of an SDK span for the sampler', () => {
    // Prepare
    const facts: SpanFacts[] = [];

    // Act
    indexPayload(sdkBytes, facts);

    // Assess
    expect(facts).toHaveLength(1);
    const span = facts[0];
    expect(span && Buffer.from(sdkBytes.subarray(span.traceIdAt, span.traceIdAt + 16)).toString('hex')).toBe(
      TRACE_ID,
    );
    expect(span && Buffer.from(sdkBytes.subarray(span.spanIdAt, span.spanIdAt + 8)).toString('hex')).toBe(
      SPAN_ID,
    );
    expect(span && spanName(span)).toBe('GET /cart/{id}');
    expect(span && spanTraceState(span)).toBe('vendor=value');
    expect(span).toMatchObject({
      isRoot: false,
      kind: SpanKind.SERVER + 1, // OTLP numbers kinds from 1 (UNSPECIFIED is 0)
      startNano: Number(1_800_000_000_123_456_789n),
      statusCode: 2, // STATUS_CODE_ERROR
      httpStatus: 503,
      exceptionEvent: true,
    });
  });

  it('writes a partial success the SDK reads back', () => {
    // Act
    const body = exportResponseBody('protobuf', 3, 'three spans had invalid ids');

    // Assess
    expect(ProtobufTraceSerializer.deserializeResponse(body)).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'three spans had invalid ids' },
    });
  });
});
