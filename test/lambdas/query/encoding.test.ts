import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  acceptsGzip,
  fitted,
  headerOf,
  payloadBytes,
  type QueryResponse,
  RESPONSE_BUDGET,
} from '../../../lambdas/query/encoding.ts';
import { TraceTooLargeError } from '../../../lambdas/query/errors.ts';
import { seededRandom } from '../../../workload/random.ts';

const TRACE = 'ab00000000000000000000000000cdef';

/** A response whose body gzip cannot shrink much: pseudo-random hex (4 bits a byte). */
function randomResponse(bodyLength: number): QueryResponse {
  const next = seededRandom(5);
  const hex = Buffer.from(Array.from({ length: bodyLength / 2 }, () => Math.floor(next() * 256))).toString(
    'hex',
  );
  return { statusCode: 200, headers: {}, body: JSON.stringify({ hex }) };
}

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, GZIP;q=0.5', true],
    ['x-gzip', true],
    ['*', true],
    ['br, *;q=0.1', true],
    ['gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['identity', false],
    ['deflate, br', false],
    ['', false],
    [undefined, false],
  ])('reads %j as %s', (header, expected) => {
    // Act, Assess
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe('headerOf', () => {
  it('finds a header whatever its case, and answers undefined without headers', () => {
    // Act, Assess
    expect(headerOf({ 'Accept-Encoding': 'gzip' }, 'accept-encoding')).toBe('gzip');
    expect(headerOf(null, 'accept-encoding')).toBeUndefined();
  });
});

function captured(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('fitted', () => {
  it('answers a response of exactly the budget as it is, without gzip', () => {
    // Prepare
    const overhead = payloadBytes({ statusCode: 200, headers: {}, body: '' });
    const response = { statusCode: 200, headers: {}, body: 'x'.repeat(RESPONSE_BUDGET - overhead) };
    // Act, Assess
    expect(fitted(response, { traceId: TRACE, spans: 1, gzip: false })).toBe(response);
  });

  it('gzips a large response into a base64 body that fits', () => {
    // Prepare: 12 MB of JSON that compresses well
    const response = {
      statusCode: 200,
      headers: {},
      body: JSON.stringify({ text: 'span '.repeat(2_400_000) }),
    };
    // Act
    const answer = fitted(response, { traceId: TRACE, spans: 1, gzip: true });
    // Assess
    expect(answer.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(answer.body, 'base64')).toString()).toBe(response.body);
  });

  it('throws TraceTooLargeError with a page size when even the gzipped response exceeds the budget', () => {
    // Prepare: 13 MB of hex, about 6.5 MB gzipped and 8.7 MB in base64
    const response = randomResponse(13_000_000);
    // Act
    const error = captured(() => fitted(response, { traceId: TRACE, spans: 20_000, gzip: true }));
    // Assess
    expect(error).toBeInstanceOf(TraceTooLargeError);
    expect(error).toMatchObject({
      statusCode: 413,
      details: { spanCount: 20_000, suggestedLimit: expect.any(Number) },
      message: expect.stringMatching(
        /20000 spans make a gzipped response of \d+ bytes, over the 6 MB .*\?limit=1\d{4},/,
      ),
    });
  });
});
