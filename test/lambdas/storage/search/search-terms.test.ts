/**
 * Search terms of a span (pure): the text of each tag as Jaeger's KeyValue.AsString writes it, and
 * the same tags as the Jaeger translation shows them.
 */
import { describe, expect, it } from 'vitest';
import type { JaegerTag } from '../../../../lambdas/query/jaeger/model.ts';
import { jaegerTraceOf } from '../../../../lambdas/query/jaeger/translate.ts';
import {
  type AttributeValue,
  newAttributes,
  type Span,
  SpanKind,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';
import { TRUNCATION_MARKER } from '../../../../lambdas/storage/dynamodb/bounds.ts';
import {
  goFloatText,
  rootDecisionOf,
  searchTermsOf,
  valueText,
} from '../../../../lambdas/storage/search/search-terms.ts';
import { seededRandom } from '../../../../workload/random.ts';
import { workloadTraces } from '../../../support/workload-traces.ts';
import { resourceOf, span } from './spans.ts';

/**
 * Go's strconv.FormatFloat(value, 'g', 10, 64), written from Go's documented rules over the exact
 * binary value (an integer times a power of two, in bigints): ten significant digits rounded half
 * to even, trailing zeros dropped, `d.ddde±XX` when the decimal exponent is below -4 or at least 10.
 * (It gave Go 1.19's output for each of 250,000 seeded doubles when written.)
 */
function goFormatG10(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const mantissa = (bits & 0xfffffffffffffn) | (biased === 0 ? 0n : 1n << 52n);
  if (mantissa === 0n) return `${sign}0`;
  const power = Math.max(biased, 1) - 1075;
  // |value| = exact × 10^-scale, exact an integer.
  const scale = Math.max(0, -power);
  const exact = power >= 0 ? mantissa << BigInt(power) : mantissa * 5n ** BigInt(scale);
  let digits = exact.toString();
  // |value| = 0.digits × 10^point
  let point = digits.length - scale;
  if (digits.length > 10) {
    const kept = BigInt(digits.slice(0, 10));
    const rest = digits.slice(10);
    const half = `5${'0'.repeat(rest.length - 1)}`;
    const up = rest > half || (rest === half && kept % 2n === 1n);
    digits = (kept + (up ? 1n : 0n)).toString();
    if (digits.length > 10) point += 1;
  }
  digits = digits.replace(/0+$/, '');
  const exponent = point - 1;
  if (exponent < -4 || exponent >= 10) {
    const mantissaText = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const exponentText = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissaText}e${exponent < 0 ? '-' : '+'}${exponentText}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// Expected strings derived by hand from Go's rules, then confirmed with Go 1.19's strconv.FormatFloat.
const GO_FLOATS: readonly (readonly [string, number, string])[] = [
  ['zero', 0, '0'],
  ['negative zero', -0, '-0'],
  ['one', 1, '1'],
  ['a tenth', 0.1, '0.1'],
  ['a half', 0.5, '0.5'],
  ['a third, ten digits', 1 / 3, '0.3333333333'],
  ['two thirds, rounded up', 2 / 3, '0.6666666667'],
  ['nine digits', 123456789, '123456789'],
  ['ten digits, exponent 9', 1234567890, '1234567890'],
  ['eleven digits, exponent 10', 12345678901, '1.23456789e+10'],
  ['the largest exponent 9', 9999999999, '9999999999'],
  ['1e10', 1e10, '1e+10'],
  ['1e21', 1e21, '1e+21'],
  ['1e100, three exponent digits', 1e100, '1e+100'],
  ['exponent -4', 0.0001, '0.0001'],
  ['exponent -5', 1e-5, '1e-05'],
  ['digits at exponent -5', 1.234e-5, '1.234e-05'],
  ['exponent -7', 1.5e-7, '1.5e-07'],
  ['rounding carried to exponent -4', 9.999999999999999e-5, '0.0001'],
  ['negative', -2.5, '-2.5'],
  ['NaN', Number.NaN, 'NaN'],
  ['+Inf', Number.POSITIVE_INFINITY, '+Inf'],
  ['-Inf', Number.NEGATIVE_INFINITY, '-Inf'],
  ['the largest double', Number.MAX_VALUE, '1.797693135e+308'],
  ['the smallest double', Number.MIN_VALUE, '4.940656458e-324'],
  // Exactly halfway between two ten-digit decimals: Go rounds to the even one.
  ['halfway, to the even below', 1234567890.5, '1234567890'],
  ['halfway, to the even above', 1234567891.5, '1234567892'],
  ['halfway, negative', -1234567890.5, '-1234567890'],
  ['halfway, a fraction', 123456789.25, '123456789.2'],
  ['halfway, epoch seconds', 1700000000.5, '1700000000'],
  ['halfway, an integer', 12345678905, '1.23456789e+10'],
  ['halfway, carried to exponent 10', 9999999999.5, '1e+10'],
  ['halfway, past 2^53', 1234567890500000000, '1.23456789e+18'],
  ['halfway, past 2^53, odd', 1234567891500000000, '1.234567892e+18'],
  ['halfway, 2^-15', 2 ** -15, '3.051757812e-05'],
  ['halfway, 3 x 2^-15', 3 * 2 ** -15, '9.155273438e-05'],
];

describe('goFloatText', () => {
  it.each(GO_FLOATS)('writes %s as Go does', (_case, value, expected) => {
    // Act
    const text = goFloatText(value);

    // Assess
    expect(text).toBe(expected);
  });

  it("agrees with this test's Go formatter on the table (which checks the formatter)", () => {
    // Act
    const mismatches = GO_FLOATS.filter(([, value, expected]) => goFormatG10(value) !== expected);

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('agrees with the Go formatter on 20,000 doubles of every magnitude, halfway ones included', () => {
    // Prepare
    const random = seededRandom(14);
    const view = new DataView(new ArrayBuffer(8));
    const values: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      view.setUint32(0, Math.floor(random() * 2 ** 32));
      view.setUint32(4, Math.floor(random() * 2 ** 32));
      values.push(view.getFloat64(0));
      values.push((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
      values.push(Math.floor(random() * 1e10) + 0.5);
      values.push(Math.floor(random() * 2 ** 20) * 2 ** -Math.floor(random() * 30));
    }

    // Act
    const mismatches = values
      .filter((value) => goFloatText(value) !== goFormatG10(value))
      .map((value) => [value, goFloatText(value), goFormatG10(value)]);

    // Assess
    expect(mismatches).toEqual([]);
  });
});

describe('valueText', () => {
  const kvlist = newAttributes();
  kvlist.b = 2;
  kvlist.a = 'x';
  it.each([
    ['a string', 'GET /cart', 'GET /cart'],
    ['an empty string', '', ''],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['an int', 500, '500'],
    ['a negative int', -7, '-7'],
    ['the largest safe int', 2 ** 53 - 1, '9007199254740991'],
    ['a bigint past 2^53', 2n ** 53n + 1n, '9007199254740993'],
    ['the smallest int64', -(2n ** 63n), '-9223372036854775808'],
    ['a float', 0.25, '0.25'],
    ['a float of ten digits', 2 / 3, '0.6666666667'],
    ['a double past the safe ints', 2 ** 53, '9.007199255e+15'],
    ['a float NaN', Number.NaN, 'NaN'],
    ['bytes, as lower-case hex', Uint8Array.from([0x00, 0xab, 0xff]), '00abff'],
    ['empty bytes', new Uint8Array(0), ''],
    ['an array, as JSON', ['a', 1, true, 1.5], '["a",1,true,1.5]'],
    [
      'an array of bytes and a bigint',
      [Uint8Array.from([1, 2, 3]), 2n ** 64n],
      '["AQID",18446744073709551616]',
    ],
    ['a kvlist, keys sorted', kvlist, '{"a":"x","b":2}'],
  ] as [string, AttributeValue, string][])('writes %s as Jaeger AsString does', (_case, value, expected) => {
    // Act
    const text = valueText(value);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('searchTermsOf', () => {
  it('gives every tag, process tag and log field of a span, service.name left out', () => {
    // Prepare
    const input = span({
      spanId: '00000000000000b1',
      parentSpanId: '00000000000000a1',
      kind: SpanKind.CLIENT,
      scope: {
        name: 'io.opentelemetry.http',
        version: '1.2.0',
        attributes: {},
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      attributes: {
        'http.route': '/cart',
        'http.status_code': 500,
        retry: true,
        ratio: 0.1,
        payload: Uint8Array.from([0xca, 0xfe]),
        tags: ['a', 'b'],
        big: 2n ** 63n - 1n,
      },
      status: { code: StatusCode.ERROR, message: 'timeout' },
      traceState: 'rojo=00f067aa0ba902b7',
      droppedAttributesCount: 1,
      droppedEventsCount: 2,
      droppedLinksCount: 3,
      events: [
        {
          timeUnixNano: 1n,
          name: 'exception',
          attributes: { 'exception.type': 'TimeoutError' },
          droppedAttributesCount: 0,
        },
        {
          timeUnixNano: 2n,
          name: 'annotated',
          attributes: { event: 'retrying', attempt: 2 },
          droppedAttributesCount: 0,
        },
        { timeUnixNano: 3n, name: '', attributes: { x: 'y' }, droppedAttributesCount: 0 },
      ],
      resource: resourceOf('checkout', { 'k8s.pod.uid': 'pod-7' }),
    });

    // Act
    const terms = searchTermsOf(input);

    // Assess
    expect([...terms].sort()).toEqual(
      [
        'otel.scope.name=io.opentelemetry.http',
        'otel.scope.version=1.2.0',
        'http.route=/cart',
        'http.status_code=500',
        'retry=true',
        'ratio=0.1',
        'payload=cafe',
        'tags=["a","b"]',
        'big=9223372036854775807',
        'span.kind=client',
        'otel.status_code=ERROR',
        'error=true',
        'otel.status_description=timeout',
        'w3c.tracestate=rojo=00f067aa0ba902b7',
        'otel.dropped_attributes_count=1',
        'otel.dropped_events_count=2',
        'otel.dropped_links_count=3',
        'host.name=checkout-1',
        'k8s.pod.uid=pod-7',
        'event=exception',
        'exception.type=TimeoutError',
        'event=retrying',
        'attempt=2',
        'x=y',
      ].sort(),
    );
  });

  it.each([
    [SpanKind.UNSPECIFIED, []],
    [SpanKind.INTERNAL, ['span.kind=internal']],
    [SpanKind.SERVER, ['span.kind=server']],
    [SpanKind.CLIENT, ['span.kind=client']],
    [SpanKind.PRODUCER, ['span.kind=producer']],
    [SpanKind.CONSUMER, ['span.kind=consumer']],
  ] as [SpanKind, string[]][])('gives span kind %i as %j', (kind, expected) => {
    // Act
    const terms = searchTermsOf(span({ spanId: 'b1', kind }));

    // Assess
    expect(terms.filter((term) => term !== 'host.name=frontend-1')).toEqual(expected);
  });

  it.each([
    ['unset', StatusCode.UNSET, '', []],
    ['unset with a message', StatusCode.UNSET, 'odd', ['otel.status_description=odd']],
    ['OK', StatusCode.OK, '', ['otel.status_code=OK']],
    ['OK with a message', StatusCode.OK, 'fine', ['otel.status_code=OK', 'otel.status_description=fine']],
    [
      'ERROR with a message',
      StatusCode.ERROR,
      'boom',
      ['otel.status_code=ERROR', 'error=true', 'otel.status_description=boom'],
    ],
  ] as [string, StatusCode, string, string[]][])('gives status %s', (_case, code, message, expected) => {
    // Act
    const terms = searchTermsOf(
      span({ spanId: 'b1', kind: SpanKind.UNSPECIFIED, status: { code, message } }),
    );

    // Assess
    expect(terms.filter((term) => term !== 'host.name=frontend-1')).toEqual(expected);
  });

  it.each([
    [
      'a probabilistic keep',
      { policy: 'baseline', probability: 0.25, threshold: 'c', reason: 'consistent probability 0.25' },
      [
        'tracesift.sampling.policy=baseline',
        'tracesift.sampling.probability=0.25',
        'tracesift.sampling.adjusted_count=4',
        'tracesift.sampling.threshold=c',
        'tracesift.sampling.reason=consistent probability 0.25',
      ],
    ],
    [
      'a third, without threshold and reason',
      { policy: 'rule:checkout', probability: 1 / 3, threshold: '', reason: '' },
      [
        'tracesift.sampling.policy=rule:checkout',
        'tracesift.sampling.probability=0.3333333333',
        'tracesift.sampling.adjusted_count=3',
      ],
    ],
    [
      'probability 0',
      { policy: 'errors', probability: 0, threshold: '', reason: '' },
      [
        'tracesift.sampling.policy=errors',
        'tracesift.sampling.probability=0',
        'tracesift.sampling.adjusted_count=0',
      ],
    ],
  ])('adds the root decision of %s', (_case, summary, expected) => {
    // Prepare
    const root = span({ spanId: 'a1', kind: SpanKind.UNSPECIFIED });

    // Act
    const terms = searchTermsOf(root, rootDecisionOf(summary));

    // Assess
    expect(terms.filter((term) => term !== 'host.name=frontend-1')).toEqual(expected);
  });
});

describe('rootDecisionOf', () => {
  it('bounds the strings as the summary stores them and derives the adjusted count', () => {
    // Prepare
    const summary = {
      policy: `rule:${'p'.repeat(300)}`,
      probability: 0.125,
      threshold: 'e'.repeat(40),
      reason: 'r'.repeat(600),
    };

    // Act
    const decision = rootDecisionOf(summary);

    // Assess: 128, 32 and 512 bytes, the 3-byte marker included.
    expect(decision).toEqual({
      policy: `rule:${'p'.repeat(120)}${TRUNCATION_MARKER}`,
      probability: 0.125,
      adjustedCount: 8,
      threshold: `${'e'.repeat(29)}${TRUNCATION_MARKER}`,
      reason: `${'r'.repeat(509)}${TRUNCATION_MARKER}`,
    });
  });
});

/** A Jaeger tag as Jaeger's KeyValue.AsString writes its value. */
function asString(tag: JaegerTag): string {
  switch (tag.type) {
    case 'string':
      return tag.value;
    case 'bool':
      return tag.value ? 'true' : 'false';
    case 'int64':
      return String(tag.value);
    case 'float64':
      return goFormatG10(Number(tag.value));
    case 'binary':
      return Buffer.from(tag.value, 'base64').toString('hex');
  }
}

interface Decision {
  readonly policy: string;
  readonly probability: number;
  readonly threshold: string;
  readonly reason: string;
}

/** Per span: the `key=AsString` text of its Jaeger tags, process tags and log fields; and its terms. */
function jaegerAndSearchTerms(
  spans: readonly Span[],
  rootSpanId: string,
  decision: Decision,
): { jaeger: string[]; search: string[] }[] {
  const summary = { rootSpanId, ...decision, adjustedCount: 1 / decision.probability };
  const trace = jaegerTraceOf({ spans, summary });
  if (!trace) throw new Error('no Jaeger trace');
  return trace.spans.map((out) => {
    const input = spans.find((s) => s.spanId === out.spanID) as Span;
    const tags = [
      ...out.tags,
      ...(trace.processes[out.processID]?.tags ?? []),
      ...out.logs.flatMap((log) => log.fields),
    ];
    const root = input.spanId === rootSpanId ? rootDecisionOf(summary) : undefined;
    return {
      jaeger: tags.map((tag) => `${tag.key}=${asString(tag)}`).sort(),
      search: searchTermsOf(input, root).sort(),
    };
  });
}

describe('searchTermsOf and the Jaeger translation', () => {
  it('give the same terms for the spans of workload traces', () => {
    // Prepare
    const byTrace = workloadTraces({ seed: 14, traces: 40, errorRate: 0.2, bigTraceRate: 0 });
    const decisions: Decision[] = [
      { policy: 'errors', probability: 1, threshold: '0', reason: 'span status ERROR' },
      {
        policy: 'baseline',
        probability: 0.1,
        threshold: 'e666666666666',
        reason: 'consistent probability 0.1',
      },
    ];

    // Act
    const compared = [...byTrace.values()].flatMap((spans, i) => {
      const root = spans.find((s) => s.parentSpanId === '') as Span;
      return jaegerAndSearchTerms(spans, root.spanId, decisions[i % 2] as Decision);
    });

    // Assess
    expect(byTrace.size).toBe(40);
    expect(compared.length).toBeGreaterThan(200);
    for (const { jaeger, search } of compared) expect(search).toEqual(jaeger);
  });

  it('give the same terms for spans with attributes of every type, events and several resources', () => {
    // Prepare
    const kvlist = newAttributes();
    kvlist.region = 'eu-west-1';
    kvlist.zones = [1, 2];
    const attributes = {
      str: 'value',
      empty: '',
      yes: true,
      no: false,
      int: -42,
      big: 2n ** 63n - 1n,
      negativeBig: -(2n ** 62n),
      float: 1234567890.5,
      third: 1 / 3,
      tiny: 1.5e-7,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      negInf: Number.NEGATIVE_INFINITY,
      bytes: Uint8Array.from([0, 1, 0xfe, 0xff]),
      list: ['a', 1, 2.5, true, Uint8Array.from([7])],
      map: kvlist,
    };
    const spans = [
      span({
        spanId: '00000000000000a1',
        kind: SpanKind.SERVER,
        attributes,
        status: { code: StatusCode.OK, message: '' },
        scope: { name: 'scope', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
        resource: resourceOf('frontend', { 'cloud.zone': 'b', 'process.pid': 4242, weight: 0.75 }),
      }),
      span({
        spanId: '00000000000000b1',
        parentSpanId: '00000000000000a1',
        service: 'checkout',
        kind: SpanKind.CLIENT,
        traceState: 'vendor=1',
        status: { code: StatusCode.ERROR, message: 'card declined' },
        droppedEventsCount: 4,
        events: [
          { timeUnixNano: 1n, name: 'exception', attributes, droppedAttributesCount: 0 },
          { timeUnixNano: 2n, name: 'shadowed', attributes: { event: 'own' }, droppedAttributesCount: 0 },
          { timeUnixNano: 3n, name: '', attributes: { n: 1 }, droppedAttributesCount: 0 },
        ],
      }),
      span({ spanId: '00000000000000c1', parentSpanId: '00000000000000b1', kind: SpanKind.CONSUMER }),
    ];

    // Act
    const compared = jaegerAndSearchTerms(spans, '00000000000000a1', {
      policy: 'rule:slow checkout',
      probability: 0.3,
      threshold: 'b333333333333',
      reason: 'rule matched',
    });

    // Assess
    expect(compared).toHaveLength(3);
    for (const { jaeger, search } of compared) expect(search).toEqual(jaeger);
  });
});
