/** The services and operations catalogue one container writes (pure items, remembered writes). */
import { describe, expect, it } from 'vitest';
import { CatalogueWriter, MAX_NEW_PER_BATCH } from '../../../../lambdas/storage/search/catalogue.ts';
import type { OperationDigest, SearchEntry } from '../../../../lambdas/storage/search/search-entries.ts';
import { termFilterOf } from '../../../../lambdas/storage/search/term-filter.ts';
import { BASE_NS, TRACE_ID } from './spans.ts';

const EXPIRY = 1_798_113_600;
const DAY = 86_400;

function op(name: string, kind: number): OperationDigest {
  return { name, kind, minDurationMicros: 1, maxDurationMicros: 2, error: false };
}

function entry(service: string, operations: OperationDigest[], expiresAt = EXPIRY): SearchEntry {
  return {
    traceId: TRACE_ID,
    service,
    startNano: BASE_NS,
    expiresAt,
    operations,
    allOperations: false,
    filter: termFilterOf([]),
  };
}

const ENTRIES = [
  entry('frontend', [op('GET /cart', 2), op('GET /cart', 3), op('render', 1)]),
  entry('cart', [op('GET /cart', 2)]),
];

const keysOf = (items: readonly Record<string, { S?: string }>[]) =>
  items.map((item) => `${item.trace_id?.S} | ${item.part?.S}`).sort();

describe('CatalogueWriter', () => {
  it("writes a first batch's services and operations (name and span kind)", () => {
    // Prepare
    const writer = new CatalogueWriter();

    // Act
    const { items, deferred } = writer.due(ENTRIES);

    // Assess
    expect(deferred).toBe(0);
    expect(items).toHaveLength(6);
    expect(items).toEqual(
      expect.arrayContaining([
        {
          trace_id: { S: 'catalogue#services' },
          part: { S: 'frontend' },
          expires_at: { N: String(EXPIRY) },
          service: { S: 'frontend' },
        },
        {
          trace_id: { S: 'catalogue#operations#frontend' },
          part: { S: 'GET /cart\u00003' },
          expires_at: { N: String(EXPIRY) },
          name: { S: 'GET /cart' },
          span_kind: { N: '3' },
        },
      ]),
    );
    expect(keysOf(items)).toEqual(
      [
        'catalogue#services | frontend',
        'catalogue#services | cart',
        'catalogue#operations#frontend | GET /cart\u00002',
        'catalogue#operations#frontend | GET /cart\u00003',
        'catalogue#operations#frontend | render\u00001',
        'catalogue#operations#cart | GET /cart\u00002',
      ].sort(),
    );
  });

  it("writes an entry once per batch, with the latest expiry of the batch's traces", () => {
    // Prepare
    const writer = new CatalogueWriter();

    // Act
    const { items } = writer.due([
      entry('cart', [op('GET /cart', 2)], EXPIRY),
      entry('cart', [op('GET /cart', 2)], EXPIRY + 50),
      entry('cart', [op('GET /cart', 2)], EXPIRY + 10),
    ]);

    // Assess
    expect(items.map((item) => item.expires_at?.N)).toEqual([String(EXPIRY + 50), String(EXPIRY + 50)]);
  });

  it('keeps entries due until they are remembered as written', () => {
    // Prepare
    const writer = new CatalogueWriter();
    writer.due(ENTRIES);

    // Act
    const again = writer.due(ENTRIES);

    // Assess
    expect(again.items).toHaveLength(6);
  });

  it.each([
    ['the same expiry', 0, 0],
    ['a lower expiry', -DAY, 0],
    ['an expiry a second short of a day later', DAY - 1, 0],
    ['an expiry a day later', DAY, 6],
    ['an expiry more than a day later', 3 * DAY, 6],
  ])('writes remembered entries again for %s: %i s later, %i items', (_case, later, count) => {
    // Prepare
    const writer = new CatalogueWriter();
    writer.remember(writer.due(ENTRIES).items);

    // Act
    const { items, deferred } = writer.due(
      ENTRIES.map((e) => entry(e.service, [...e.operations], EXPIRY + later)),
    );

    // Assess
    expect(items).toHaveLength(count);
    expect(deferred).toBe(0);
  });

  it('writes only what a batch adds to what was remembered', () => {
    // Prepare
    const writer = new CatalogueWriter();
    writer.remember(writer.due(ENTRIES).items);

    // Act
    const { items } = writer.due([...ENTRIES, entry('cart', [op('GET /cart', 2), op('DELETE /cart', 2)])]);

    // Assess
    expect(keysOf(items)).toEqual(['catalogue#operations#cart | DELETE /cart\u00002']);
  });

  it(`writes at most ${MAX_NEW_PER_BATCH} new entries a batch, the rest by the next batch`, () => {
    // Prepare: one service and 259 operations, 260 entries.
    const writer = new CatalogueWriter();
    const burst = [
      entry(
        'search',
        Array.from({ length: 259 }, (_, i) => op(`GET /item/${i}`, 2)),
      ),
    ];

    // Act
    const first = writer.due(burst);
    writer.remember(first.items);
    const second = writer.due(burst);
    writer.remember(second.items);
    const third = writer.due(burst);

    // Assess
    expect(first.items).toHaveLength(MAX_NEW_PER_BATCH);
    expect(first.deferred).toBe(260 - MAX_NEW_PER_BATCH);
    expect(second).toMatchObject({ deferred: 0 });
    expect(second.items).toHaveLength(260 - MAX_NEW_PER_BATCH);
    expect(new Set(keysOf([...first.items, ...second.items])).size).toBe(260);
    expect(third).toEqual({ items: [], deferred: 0 });
  });

  it('forgets what it wrote rather than remember more than 50,000 entries', () => {
    // Prepare
    const writer = new CatalogueWriter();
    const serviceItem = (i: number) => ({
      trace_id: { S: 'catalogue#services' },
      part: { S: `service-${i}` },
      expires_at: { N: String(EXPIRY) },
    });
    writer.remember(Array.from({ length: 50_000 }, (_, i) => serviceItem(i)));
    const remembered = writer.due([entry('service-0', [])]);

    // Act
    writer.remember([serviceItem(50_000)]);
    const forgotten = writer.due([entry('service-0', [])]);

    // Assess
    expect(remembered.items).toEqual([]);
    expect(forgotten.items).toEqual([{ ...serviceItem(0), service: { S: 'service-0' } }]);
  });
});
