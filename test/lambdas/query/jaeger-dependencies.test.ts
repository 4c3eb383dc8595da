/** Jaeger's GET /api/dependencies through the query handler, over a recording search index. */
import { describe, expect, it } from 'vitest';
import type { ServiceDependency } from '../../../lambdas/storage/index.ts';
import { FIXTURE_NOW_MS } from '../../support/storage.ts';
import { jsonOf } from './jaeger-events.ts';
import { answerFromIndex } from './search-stub.ts';

const DAY_MS = 86_400_000;

function edge(
  parent: string,
  child: string,
  keptCalls: number,
  estimatedCalls: number,
  estimatedErrors = 0,
): ServiceDependency {
  return { parent, child, keptCalls, estimatedCalls, estimatedErrors };
}

const EDGES = [
  edge('carts', 'redis', 3, 3),
  edge('frontend', 'carts', 12, 400.5, 20.5),
  edge('frontend', 'checkout', 2, 7.49, 1.49),
];

describe('GET /api/dependencies', () => {
  it('answers the edges of the last 24 hours before now, each with its estimated calls, rounded', async () => {
    // Act
    const { response, calls } = await answerFromIndex('/api/dependencies', {}, { dependencies: EDGES });

    // Assess
    expect(calls).toEqual([
      { method: 'dependencies', fromMs: FIXTURE_NOW_MS - DAY_MS, toMs: FIXTURE_NOW_MS },
    ]);
    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({
      data: [
        { parent: 'carts', child: 'redis', callCount: 3, errorCount: 0 },
        { parent: 'frontend', child: 'carts', callCount: 401, errorCount: 21 },
        { parent: 'frontend', child: 'checkout', callCount: 7, errorCount: 1 },
      ],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    });
  });

  it.each<[string, Record<string, string>, number, number]>([
    [
      'endTs and lookback in ms',
      { endTs: String(FIXTURE_NOW_MS - 60_000), lookback: '3600000' },
      FIXTURE_NOW_MS - 60_000 - 3_600_000,
      FIXTURE_NOW_MS - 60_000,
    ],
    [
      'endTs alone: 24 hours before it',
      { endTs: String(FIXTURE_NOW_MS - 60_000) },
      FIXTURE_NOW_MS - 60_000 - DAY_MS,
      FIXTURE_NOW_MS - 60_000,
    ],
    ['lookback alone: before now', { lookback: '60000' }, FIXTURE_NOW_MS - 60_000, FIXTURE_NOW_MS],
    ['a lookback of 0: the instant endTs', { endTs: '1000', lookback: '0' }, 1_000, 1_000],
    ['empty values are absent', { endTs: '', lookback: '' }, FIXTURE_NOW_MS - DAY_MS, FIXTURE_NOW_MS],
  ])('asks the range of %s', async (_, query, fromMs, toMs) => {
    // Act
    const { calls } = await answerFromIndex('/api/dependencies', { query });

    // Assess
    expect(calls).toEqual([{ method: 'dependencies', fromMs, toMs }]);
  });

  it('counts an edge of kept traces at least once, and keeps every edge the index returns', async () => {
    // Act
    const { response } = await answerFromIndex(
      '/api/dependencies',
      {},
      { dependencies: [edge('a', 'b', 1, 0.4), edge('a', 'c', 0, 0.4), edge('a', 'd', 0, 0.6)] },
    );

    // Assess
    expect((jsonOf(response) as { data: unknown }).data).toEqual([
      { parent: 'a', child: 'b', callCount: 1, errorCount: 0 },
      { parent: 'a', child: 'c', callCount: 0, errorCount: 0 },
      { parent: 'a', child: 'd', callCount: 1, errorCount: 0 },
    ]);
  });

  it.each<[string, number, number, number]>([
    ['no error', 50, 0, 0],
    ['a rounded estimate of errors', 50, 12.5, 13],
    ['every call failed', 7.49, 7.49, 7],
    ['errors below one half', 3, 0.4, 0],
  ])('adds errorCount, the re-weighted errors rounded, with %s', async (_, calls, errors, errorCount) => {
    // Prepare
    const dependencies = [edge('web', 'db', 1, calls, errors)];

    // Act
    const { response } = await answerFromIndex('/api/dependencies', {}, { dependencies });

    // Assess
    expect((jsonOf(response) as { data: { errorCount: number }[] }).data).toEqual([
      expect.objectContaining({ parent: 'web', child: 'db', errorCount }),
    ]);
  });

  it('keeps only the edges from or to `service` when given one, as Jaeger does', async () => {
    // Act
    const { response } = await answerFromIndex(
      '/api/dependencies',
      { query: { service: 'carts' } },
      { dependencies: EDGES },
    );

    // Assess
    expect(
      (jsonOf(response) as { data: { parent: string; child: string }[] }).data.map(
        (e) => `${e.parent}>${e.child}`,
      ),
    ).toEqual(['carts>redis', 'frontend>carts']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an endTs that is not an integer', { endTs: `${FIXTURE_NOW_MS}.5` }, "unable to parse param 'endTs'"],
    ['an endTs past int64 in ns', { endTs: '9223372036855' }, "unable to parse param 'endTs'"],
    ['a lookback with a unit', { lookback: '1h' }, "unable to parse param 'lookback'"],
    ['a negative lookback', { lookback: '-1' }, "unable to parse param 'lookback'"],
  ])('refuses %s with 400 naming the parameter', async (_, query, msg) => {
    // Act
    const { response, calls } = await answerFromIndex('/api/dependencies', { query });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toEqual({
      data: null,
      total: 0,
      limit: 0,
      offset: 0,
      errors: [{ code: 400, msg: expect.stringContaining(msg) }],
    });
    expect(calls).toEqual([]);
  });
});
