import { describe, expect, it } from 'vitest';
import {
  decodeIndexedSpan,
  indexPayload,
  type SpanFacts,
  spanName,
  spanTraceState,
} from '../../../lambdas/sampler/span-index.ts';
import {
  encodeTraceRequest,
  ProtoWriter,
  WireFormatError,
  WireType,
} from '../../../lambdas/shared/otlp/index.ts';
import { SpanKind, StatusCode } from '../../../lambdas/shared/span/model.ts';
import { type SpanSpec, spanOf } from '../../support/sampler.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function factsOf(spec: Partial<SpanSpec>): SpanFacts {
  const out: SpanFacts[] = [];
  indexPayload(encodeTraceRequest([spanOf({ traceId: TRACE, spanId: '00f067aa0ba902b7', ...spec })]), out);
  const [facts] = out;
  if (!facts) throw new Error('no span indexed');
  return facts;
}

describe('indexPayload', () => {
  it('reads ids, times, kind, status and name without decoding attributes', () => {
    // Prepare / Act
    const facts = factsOf({
      name: 'GET /cart',
      kind: SpanKind.SERVER,
      startMs: 1_700_000_000_000,
      durationMs: 250,
      status: StatusCode.ERROR,
      traceState: 'ot=th:8',
    });

    // Assess
    expect(facts.isRoot).toBe(true);
    expect(facts.kind).toBe(SpanKind.SERVER);
    expect(facts.statusCode).toBe(StatusCode.ERROR);
    expect((facts.endNano - facts.startNano) / 1e6).toBeCloseTo(250, 3);
    expect(spanName(facts)).toBe('GET /cart');
    expect(spanTraceState(facts)).toBe('ot=th:8');
    expect(
      Buffer.from(facts.payload.bytes.subarray(facts.traceIdAt, facts.traceIdAt + 16)).toString('hex'),
    ).toBe(TRACE);
  });

  it.each([
    ['no parent', undefined, true],
    ['a parent', 'b7ad6b7169203331', false],
  ])('with %s, isRoot is %s', (_name, parentSpanId, isRoot) => {
    expect(factsOf(parentSpanId ? { parentSpanId } : {}).isRoot).toBe(isRoot);
  });

  it('treats an all-zero parent span id as a root, as the full decoder does', () => {
    // Prepare: a span written by hand with eight zero bytes as parent
    const w = new ProtoWriter();
    w.tag(1, WireType.LEN).fork().tag(2, WireType.LEN).fork().tag(2, WireType.LEN).fork();
    w.tag(1, WireType.LEN).bytes(Buffer.from(TRACE, 'hex'));
    w.tag(2, WireType.LEN).bytes(Buffer.from('00f067aa0ba902b7', 'hex'));
    w.tag(4, WireType.LEN).bytes(new Uint8Array(8));
    w.join().join().join();
    const out: SpanFacts[] = [];

    // Act
    indexPayload(w.finish(), out);

    // Assess
    expect(out[0]?.isRoot).toBe(true);
  });

  it.each([
    ['current key, 503', SpanKind.SERVER, { 'http.response.status_code': 503 }, 503],
    ['legacy key, 500', SpanKind.SERVER, { 'http.status_code': 500 }, 500],
    ['string value', SpanKind.SERVER, { 'http.response.status_code': '502' }, 502],
    ['not a status string', SpanKind.SERVER, { 'http.response.status_code': 'bad' }, 0],
    ['200', SpanKind.SERVER, { 'http.response.status_code': 200, 'http.route': '/x' }, 200],
    ['a client span', SpanKind.CLIENT, { 'http.response.status_code': 503 }, 0],
    ['no attributes', SpanKind.SERVER, {}, 0],
    ['another key only', SpanKind.SERVER, { 'http.request.method': 'GET' }, 0],
  ])('HTTP status of a span with %s', (_name, kind, attributes, expected) => {
    expect(factsOf({ kind, attributes }).httpStatus).toBe(expected);
  });

  it.each([
    ['an exception event', ['retry', 'exception'], true],
    ['other events', ['retry', 'exceptional'], false],
    ['no events', [], false],
  ])('recognises %s', (_name, names, expected) => {
    const events = names.map((name) => ({
      timeUnixNano: 1n,
      name,
      attributes: {},
      droppedAttributesCount: 0,
    }));
    expect(factsOf({ events }).exceptionEvent).toBe(expected);
  });

  it('decodes the full span from its range on demand', () => {
    // Prepare
    const span = spanOf({
      traceId: TRACE,
      spanId: '00f067aa0ba902b7',
      attributes: { 'http.route': '/a', n: 3 },
    });
    const out: SpanFacts[] = [];
    indexPayload(encodeTraceRequest([span]), out);

    // Act
    const decoded = decodeIndexedSpan(out[0] as SpanFacts);

    // Assess
    expect(decoded).toEqual(span);
  });

  it.each([
    [
      'a short trace id',
      (w: ProtoWriter) => w.tag(1, WireType.LEN).bytes(new Uint8Array(8)),
      'invalid trace id',
    ],
    [
      'an all-zero trace id',
      (w: ProtoWriter) => w.tag(1, WireType.LEN).bytes(new Uint8Array(16)),
      'invalid trace id',
    ],
    [
      'a bad span id',
      (w: ProtoWriter) =>
        w.tag(1, WireType.LEN).bytes(Buffer.from(TRACE, 'hex')).tag(2, WireType.LEN).bytes(new Uint8Array(3)),
      'invalid span id',
    ],
    [
      'a bad parent id',
      (w: ProtoWriter) =>
        w
          .tag(1, WireType.LEN)
          .bytes(Buffer.from(TRACE, 'hex'))
          .tag(2, WireType.LEN)
          .bytes(Buffer.from('00f067aa0ba902b7', 'hex'))
          .tag(4, WireType.LEN)
          .bytes(new Uint8Array(4)),
      'invalid parent span id',
    ],
    [
      'no span id',
      (w: ProtoWriter) => w.tag(1, WireType.LEN).bytes(Buffer.from(TRACE, 'hex')),
      'span without span id',
    ],
    [
      'no trace id',
      (w: ProtoWriter) => w.tag(2, WireType.LEN).bytes(Buffer.from('00f067aa0ba902b7', 'hex')),
      'span without trace id',
    ],
  ])('rejects a span with %s', (_name, writeSpan, message) => {
    // Prepare
    const w = new ProtoWriter();
    w.tag(1, WireType.LEN).fork().tag(2, WireType.LEN).fork().tag(2, WireType.LEN).fork();
    writeSpan(w);
    w.join().join().join();

    // Act / Assess
    expect(() => indexPayload(w.finish(), [])).toThrow(WireFormatError);
    expect(() => indexPayload(w.finish(), [])).toThrow(message);
  });

  it('rejects bytes that are not protobuf', () => {
    expect(() => indexPayload(Uint8Array.of(0x0a, 0xff), [])).toThrow(WireFormatError);
  });
});
