/** Jaeger's trace search parameters, each with its boundaries, read into a TraceQuery or trace ids. */
import { describe, expect, it } from 'vitest';
import {
  ConflictingParametersError,
  InvalidParameterError,
  MissingParameterError,
} from '../../../../lambdas/query/jaeger/errors.ts';
import { searchRequestOf } from '../../../../lambdas/query/jaeger/search-params.ts';
import type { QueryParameters } from '../../../../lambdas/query/parameters.ts';

/** 2026-11-24T12:01:00Z, the injected clock. */
const NOW_MS = 1_795_521_660_000;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;
/** Ten minutes and one minute before the clock, in ns, and as the µs text a client sends. */
const TEN_BEFORE_NS = NOW_NS - 600_000_000_000n;
const ONE_BEFORE_NS = NOW_NS - 60_000_000_000n;
const micros = (ns: bigint): string => String(ns / 1000n);
/** Jaeger's default lookback of a search without `start`: 2 days. */
const TWO_DAYS_NS = 172_800n * 1_000_000_000n;

type Values = Record<string, string | readonly string[] | undefined>;

/** The query string of `values`; an undefined value leaves its parameter out. */
function parameters(values: Values): QueryParameters {
  const entries = Object.entries(values).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, typeof value === 'string' ? [value] : value] as const],
  );
  return new Map(entries);
}

/** The query of `service=checkout` alone: the defaults. */
const DEFAULTS = {
  service: 'checkout',
  tags: [],
  startNano: NOW_NS - TWO_DAYS_NS,
  endNano: NOW_NS,
  limit: 100,
};

describe('searchRequestOf: a search', () => {
  it.each<[string, Values, Record<string, unknown>]>([
    ['service alone: the last 2 days before now, 100 traces', {}, {}],
    ['the first of repeated services', { service: ['checkout', 'carts'] }, {}],
    ['an operation', { operation: 'GET /cart' }, { operation: 'GET /cart' }],
    ['an empty operation is none', { operation: '' }, {}],
    [
      'start and end in µs',
      { start: micros(TEN_BEFORE_NS), end: micros(ONE_BEFORE_NS) },
      { startNano: TEN_BEFORE_NS, endNano: ONE_BEFORE_NS },
    ],
    [
      'start equal to end',
      { start: micros(ONE_BEFORE_NS), end: micros(ONE_BEFORE_NS) },
      { startNano: ONE_BEFORE_NS, endNano: ONE_BEFORE_NS },
    ],
    [
      'only end: start stays 2 days before now, as in Jaeger',
      { end: micros(ONE_BEFORE_NS) },
      { endNano: ONE_BEFORE_NS },
    ],
    ['only start: end is now', { start: micros(TEN_BEFORE_NS) }, { startNano: TEN_BEFORE_NS }],
    ['empty start and end are absent', { start: '', end: '' }, {}],
    ['a tag', { tag: 'error:true' }, { tags: [['error', 'true']] }],
    [
      'a tag split at its first colon',
      { tag: 'http.url:http://shop:8080/cart' },
      {
        tags: [['http.url', 'http://shop:8080/cart']],
      },
    ],
    ['a tag with an empty value', { tag: 'peer.service:' }, { tags: [['peer.service', '']] }],
    [
      'repeated tags, the last of a key kept',
      { tag: ['a:1', 'b:2', 'a:3'] },
      {
        tags: [
          ['a', '3'],
          ['b', '2'],
        ],
      },
    ],
    [
      'a tags JSON object',
      { tags: '{"http.status_code":"500","error":"true"}' },
      {
        tags: [
          ['http.status_code', '500'],
          ['error', 'true'],
        ],
      },
    ],
    [
      'tags after tag: JSON wins a shared key',
      { tag: ['a:1', 'b:2'], tags: '{"a":"json"}' },
      {
        tags: [
          ['a', 'json'],
          ['b', '2'],
        ],
      },
    ],
    ['an empty tags object', { tags: '{}' }, {}],
    ['minDuration alone', { minDuration: '1.2s' }, { minDurationNano: 1_200_000_000 }],
    ['maxDuration alone', { maxDuration: '100ms' }, { maxDurationNano: 100_000_000 }],
    [
      'minDuration equal to maxDuration',
      { minDuration: '250ms', maxDuration: '250000us' },
      {
        minDurationNano: 250_000_000,
        maxDurationNano: 250_000_000,
      },
    ],
    ['a zero duration is no bound, as in Jaeger', { minDuration: '0', maxDuration: '0s' }, {}],
    ['limit 0 is the default', { limit: '0' }, {}],
    ['limit 1', { limit: '1' }, { limit: 1 }],
    ['limit 20', { limit: '20' }, { limit: 20 }],
    ['limit at the cap', { limit: '1500' }, { limit: 1500 }],
    ['limit over the cap is lowered to it', { limit: '1501' }, { limit: 1500 }],
    ['a limit of int64 max is lowered too', { limit: '9223372036854775807' }, { limit: 1500 }],
    ['lookback is ignored, as in Jaeger', { lookback: '1h' }, {}],
    ['parameters Jaeger does not read are ignored', { prettyPrint: 'true', spanKind: 'nonsense' }, {}],
  ])('%s', (_, values, expected) => {
    // Act
    const request = searchRequestOf(parameters({ service: 'checkout', ...values }), NOW_MS);

    // Assess
    expect(request).toEqual({ query: { ...DEFAULTS, ...expected } });
  });
});

describe('searchRequestOf: the traceID form', () => {
  it('answers the ids padded to 32 characters, each once, in the order asked, with no service needed', () => {
    // Act
    const request = searchRequestOf(
      parameters({ traceID: ['ABCDEF0123456789', '4bf92f3577b34da6a3ce929d0e0e4736', 'abcdef0123456789'] }),
      NOW_MS,
    );

    // Assess
    expect(request).toEqual({
      traceIds: ['0000000000000000abcdef0123456789', '4bf92f3577b34da6a3ce929d0e0e4736'],
    });
  });

  it('takes the ids over a search given beside them, and does not check its window', () => {
    // Act
    const request = searchRequestOf(
      parameters({ traceID: 'a1', service: 'checkout', start: '2000', end: '1000' }),
      NOW_MS,
    );

    // Assess
    expect(request).toEqual({ traceIds: ['000000000000000000000000000000a1'] });
  });
});

describe('searchRequestOf: refusals name the parameter', () => {
  it.each<[string, Values, new (...args: never[]) => Error, string]>([
    ['no service', { service: undefined, operation: 'GET /cart' }, MissingParameterError, 'service'],
    ['an empty service', { service: '' }, MissingParameterError, 'service'],
    ['a tag without a colon', { tag: 'error' }, InvalidParameterError, 'tag'],
    ['an empty tag', { tag: '' }, InvalidParameterError, 'tag'],
    ['tags that are not JSON', { tags: '{error:true}' }, InvalidParameterError, 'tags'],
    ['empty tags', { tags: '' }, InvalidParameterError, 'tags'],
    ['tags that are an array', { tags: '[["error","true"]]' }, InvalidParameterError, 'tags'],
    ['tags that are null', { tags: 'null' }, InvalidParameterError, 'tags'],
    ['tags that are a string', { tags: '"error:true"' }, InvalidParameterError, 'tags'],
    ['a tags value that is a number', { tags: '{"http.status_code":500}' }, InvalidParameterError, 'tags'],
    ['a tags value that is a bool', { tags: '{"error":true}' }, InvalidParameterError, 'tags'],
    ['a start that is not an integer', { start: '1.5' }, InvalidParameterError, 'start'],
    ['a start with a unit', { start: `${micros(TEN_BEFORE_NS)}us` }, InvalidParameterError, 'start'],
    ['an end that is not a number', { end: 'now' }, InvalidParameterError, 'end'],
    ['an end past int64 in ns', { end: '9223372036854776' }, InvalidParameterError, 'end'],
    [
      'a start after the end',
      { start: micros(ONE_BEFORE_NS + 1000n), end: micros(ONE_BEFORE_NS) },
      ConflictingParametersError,
      'start',
    ],
    [
      'an end before the default start',
      { end: micros(NOW_NS - TWO_DAYS_NS - 1000n) },
      ConflictingParametersError,
      'start',
    ],
    ['a minDuration without a unit', { minDuration: '100' }, InvalidParameterError, 'minDuration'],
    ['a maxDuration with an unknown unit', { maxDuration: '1d' }, InvalidParameterError, 'maxDuration'],
    [
      'a minDuration over the maxDuration',
      { minDuration: '2s', maxDuration: '1999ms' },
      ConflictingParametersError,
      'maxDuration',
    ],
    ['a negative limit', { limit: '-1' }, InvalidParameterError, 'limit'],
    ['a limit that is not an integer', { limit: '20.5' }, InvalidParameterError, 'limit'],
    ['a limit past int64', { limit: '9223372036854775808' }, InvalidParameterError, 'limit'],
    [
      'an invalid trace id among valid ones',
      { traceID: ['abc', 'not-hex'] },
      InvalidParameterError,
      'traceID',
    ],
    ['a trace id of 33 characters', { traceID: 'a'.repeat(33) }, InvalidParameterError, 'traceID'],
    ['an empty trace id', { traceID: '' }, InvalidParameterError, 'traceID'],
    ['a bad limit beside trace ids', { traceID: 'abc', limit: 'x' }, InvalidParameterError, 'limit'],
  ])('%s', (_, values, kind, parameter) => {
    // Act
    const act = () => searchRequestOf(parameters({ service: 'checkout', ...values }), NOW_MS);

    // Assess
    expect(act).toThrow(kind);
    let thrown: unknown;
    try {
      act();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ statusCode: 400, parameter, details: { parameter } });
  });

  it("words a missing service as Jaeger does, and a malformed value as Jaeger's parser does", () => {
    // Act, Assess
    expect(() => searchRequestOf(parameters({}), NOW_MS)).toThrow("parameter 'service' is required");
    expect(() => searchRequestOf(parameters({ service: 's', minDuration: '100' }), NOW_MS)).toThrow(
      `unable to parse param 'minDuration': time: missing unit in duration "100"`,
    );
  });
});
