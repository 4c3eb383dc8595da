/** Jaeger's services and operations routes through the query handler, over a recording search index. */
import { describe, expect, it } from 'vitest';
import type { ServiceOperation } from '../../../lambdas/storage/index.ts';
import { FIXTURE_NOW_MS } from '../../support/storage.ts';
import { jsonOf } from './jaeger-events.ts';
import { answerFromIndex } from './search-stub.ts';

const OPERATIONS: ServiceOperation[] = [
  { name: 'GET /cart', spanKind: 'server' },
  { name: 'GET /cart', spanKind: 'client' },
  { name: 'SELECT carts', spanKind: 'client' },
  { name: 'add item', spanKind: '' },
  { name: 'Checkout', spanKind: 'internal' },
];

/** Jaeger's envelope of a failure: no data, one error whose code is the status. */
function failure(code: number, msg: string) {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg: expect.stringContaining(msg) }] };
}

describe('GET /api/services', () => {
  it('answers the services of the catalogue with their number as total', async () => {
    // Act
    const { response, calls } = await answerFromIndex(
      '/api/services',
      {},
      { services: ['carts', 'frontend'] },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({
      data: ['carts', 'frontend'],
      total: 2,
      limit: 0,
      offset: 0,
      errors: null,
    });
    expect(calls).toEqual([{ method: 'services', nowMs: FIXTURE_NOW_MS }]);
  });

  it('answers an empty catalogue with an empty list', async () => {
    // Act
    const { response } = await answerFromIndex('/api/services', {});

    // Assess
    expect(jsonOf(response)).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
  });

  it('gzips for a client that accepts it, and answers HEAD with no body', async () => {
    // Act
    const gzipped = await answerFromIndex(
      '/api/services',
      { headers: { 'accept-encoding': 'gzip' } },
      { services: ['a'] },
    );
    const head = await answerFromIndex('/api/services', { method: 'HEAD' }, { services: ['a'] });

    // Assess
    expect(gzipped.response.headers?.['content-encoding']).toBe('gzip');
    expect(jsonOf(gzipped.response)).toMatchObject({ data: ['a'] });
    expect([head.response.statusCode, head.response.body]).toEqual([200, '']);
  });

  it('answers 413 when the list does not fit 6 MB, and 200 when gzip makes it fit', async () => {
    // Prepare: 70 names of 100 kB, 7 MB as JSON
    const services = Array.from({ length: 70 }, (_, i) => `${i}`.padEnd(100_000, 'x'));

    // Act
    const plain = await answerFromIndex('/api/services', {}, { services });
    const gzipped = await answerFromIndex(
      '/api/services',
      { headers: { 'accept-encoding': 'gzip' } },
      { services },
    );

    // Assess
    expect(plain.response.statusCode).toBe(413);
    expect(jsonOf(plain.response)).toEqual(
      failure(413, 'the services make a response (send Accept-Encoding: gzip'),
    );
    expect(gzipped.response.statusCode).toBe(200);
    expect((jsonOf(gzipped.response) as { data: string[] }).data).toHaveLength(70);
  });

  it('refuses DELETE with 405 in the envelope', async () => {
    // Act
    const { response } = await answerFromIndex('/api/services', { method: 'DELETE' });

    // Assess
    expect(response.statusCode).toBe(405);
    expect(jsonOf(response)).toEqual(failure(405, 'DELETE'));
  });
});

describe('GET /api/services/{service}/operations', () => {
  it('answers the names of every kind, each once, sorted', async () => {
    // Act
    const { response, calls } = await answerFromIndex(
      '/api/services/{service}/operations',
      { pathParameters: { service: 'carts' } },
      { operations: OPERATIONS },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({
      data: ['Checkout', 'GET /cart', 'SELECT carts', 'add item'],
      total: 4,
      limit: 0,
      offset: 0,
      errors: null,
    });
    expect(calls).toEqual([{ method: 'operations', service: 'carts', nowMs: FIXTURE_NOW_MS }]);
  });

  it('answers an unknown service with an empty list', async () => {
    // Act
    const { response } = await answerFromIndex('/api/services/{service}/operations', {
      pathParameters: { service: 'nobody' },
    });

    // Assess
    expect(jsonOf(response)).toEqual({ data: [], total: 0, limit: 0, offset: 0, errors: null });
  });

  it('passes a service name with spaces and slashes as the path parameter holds it', async () => {
    // Act
    const { calls } = await answerFromIndex('/api/services/{service}/operations', {
      pathParameters: { service: 'shop / carts v2' },
    });

    // Assess
    expect(calls).toEqual([{ method: 'operations', service: 'shop / carts v2', nowMs: FIXTURE_NOW_MS }]);
  });

  it('refuses an empty service with 400 naming it', async () => {
    // Act
    const { response, calls } = await answerFromIndex('/api/services/{service}/operations', {
      pathParameters: { service: '' },
    });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toEqual(failure(400, "parameter 'service' is required"));
    expect(calls).toEqual([]);
  });
});

describe('GET /api/operations', () => {
  it('answers name and kind of every operation of the service', async () => {
    // Act
    const { response, calls } = await answerFromIndex(
      '/api/operations',
      { query: { service: 'carts' } },
      { operations: OPERATIONS },
    );

    // Assess
    expect(jsonOf(response)).toEqual({ data: OPERATIONS, total: 5, limit: 0, offset: 0, errors: null });
    expect(calls).toEqual([{ method: 'operations', service: 'carts', nowMs: FIXTURE_NOW_MS }]);
  });

  it.each(['server', 'client', 'producer', 'consumer', 'internal'])(
    'filters on spanKind=%s',
    async (spanKind) => {
      // Act
      const { response, calls } = await answerFromIndex(
        '/api/operations',
        { query: { service: 'carts', spanKind } },
        { operations: OPERATIONS },
      );

      // Assess
      const expected = OPERATIONS.filter((op) => op.spanKind === spanKind);
      expect(jsonOf(response)).toEqual({
        data: expected,
        total: expected.length,
        limit: 0,
        offset: 0,
        errors: null,
      });
      expect(calls).toEqual([{ method: 'operations', service: 'carts', nowMs: FIXTURE_NOW_MS, spanKind }]);
    },
  );

  it('reads an empty spanKind as every kind', async () => {
    // Act
    const { calls } = await answerFromIndex('/api/operations', { query: { service: 'carts', spanKind: '' } });

    // Assess
    expect(calls).toEqual([{ method: 'operations', service: 'carts', nowMs: FIXTURE_NOW_MS }]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no service', {}, "parameter 'service' is required"],
    ['an empty service', { service: '' }, "parameter 'service' is required"],
    [
      'a spanKind Jaeger does not name',
      { service: 'carts', spanKind: 'SPAN_KIND_SERVER' },
      "param 'spanKind'",
    ],
    ['a spanKind in upper case', { service: 'carts', spanKind: 'Server' }, "param 'spanKind'"],
  ])('refuses %s with 400 naming the parameter', async (_, query, msg) => {
    // Act
    const { response, calls } = await answerFromIndex('/api/operations', { query });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toEqual(failure(400, msg));
    expect(calls).toEqual([]);
  });
});
