/** Search items of a batch (pure): grouping, keys, buckets, chunking and reading back. */
import { describe, expect, it } from 'vitest';
import { itemSize, type TraceItem } from '../../../../lambdas/storage/dynamodb/trace-items.ts';
import { SearchIndexCorruptError } from '../../../../lambdas/storage/errors.ts';
import { indexBucketOf } from '../../../../lambdas/storage/layout/layout.ts';
import { type SearchEntry, searchEntriesOf } from '../../../../lambdas/storage/search/search-entries.ts';
import {
  entriesOfItem,
  MAX_ENTRIES_BYTES,
  minuteRange,
  searchItemsOf,
} from '../../../../lambdas/storage/search/search-items.ts';
import { rootDecisionOf } from '../../../../lambdas/storage/search/search-terms.ts';
import { termFilterOf } from '../../../../lambdas/storage/search/term-filter.ts';
import { BASE_MS, BASE_NS, span, TRACE_ID } from './spans.ts';

const MINUTE_NS = 60_000_000_000n;
const traceIdOf = (n: number): string => n.toString(16).padStart(32, '0');

function entry(n: number, service: string, startNano: bigint, expiresAt = EXPIRES_AT + n): SearchEntry {
  return {
    traceId: traceIdOf(n),
    service,
    startNano,
    expiresAt,
    operations: [
      { name: `op ${n % 3}`, kind: 2, minDurationMicros: n, maxDurationMicros: 2 * n, error: n % 2 === 0 },
    ],
    allOperations: false,
    filter: termFilterOf([`n=${n}`]),
  };
}

/** Two batch tags in different buckets. */
/** The TTL of the fixtures' traces: the retention after BASE_MS (seconds). */
const EXPIRES_AT = BASE_MS / 1000 + 30 * 86_400;
const TAG = 'shardId-000000000000:49630000000000000000000000000000000000000000000000000010';
const OTHER_TAG = [1, 2, 3, 4, 5, 6, 7, 8, 9]
  .map((n) => `${TAG}-${n}`)
  .find((t) => indexBucketOf(t) !== indexBucketOf(TAG)) as string;

describe('searchItemsOf', () => {
  it('writes one item per service and start minute, keyed by service, bucket, minute and batch', () => {
    // Prepare: the minute's last ns and the next minute's first ns fall in different items.
    const entries = [
      entry(1, 'frontend', BASE_NS),
      entry(2, 'cart', BASE_NS + 5n),
      entry(3, 'frontend', BASE_NS + MINUTE_NS - 1n),
      entry(4, 'frontend', BASE_NS + MINUTE_NS),
    ];
    const bucket = indexBucketOf(TAG);

    // Act
    const items = searchItemsOf(entries, TAG);

    // Assess
    const next = BASE_MS + 60_000;
    expect(items.map((item) => [item.trace_id?.S, item.part?.S, item.service?.S, item.minute_ms?.N])).toEqual(
      [
        [`search#frontend#${bucket}`, `${BASE_MS}#${TAG}#001`, 'frontend', String(BASE_MS)],
        [`search#cart#${bucket}`, `${BASE_MS}#${TAG}#001`, 'cart', String(BASE_MS)],
        [`search#frontend#${bucket}`, `${next}#${TAG}#001`, 'frontend', String(next)],
      ],
    );
    expect(items.map((item) => item.codec?.S)).toEqual(['entries-v1', 'entries-v1', 'entries-v1']);
    expect(items.map((item) => entriesOfItem(item))).toEqual([
      [entries[0], entries[2]],
      [entries[1]],
      [entries[3]],
    ]);
    // Each item expires with the latest of its entries' traces.
    const expiry = (i: number) => String(entries[i]?.expiresAt);
    expect(items.map((item) => item.expires_at?.N)).toEqual([expiry(2), expiry(1), expiry(3)]);
  });

  it('writes the minute as 13 digits, so keys sort as minutes do', () => {
    // Prepare: 61 s after the epoch, in the minute starting at 60,000 ms.
    const entries = [entry(1, 'frontend', 61_000_000_000n)];

    // Act
    const [item] = searchItemsOf(entries, 'batch-1');

    // Assess
    expect(item?.part?.S).toBe('0000000060000#batch-1#001');
    expect(item?.minute_ms?.N).toBe('60000');
  });

  it("puts a batch's items in its tag's bucket", () => {
    // Prepare
    const entries = [entry(1, 'frontend', BASE_NS)];

    // Act
    const [mine] = searchItemsOf(entries, TAG);
    const [other] = searchItemsOf(entries, OTHER_TAG);

    // Assess
    expect(mine?.trace_id?.S).toBe(`search#frontend#${indexBucketOf(TAG)}`);
    expect(other?.trace_id?.S).toBe(`search#frontend#${indexBucketOf(OTHER_TAG)}`);
    expect(mine?.trace_id?.S).not.toBe(other?.trace_id?.S);
  });

  it('writes no item for no entries', () => {
    // Act
    const items = searchItemsOf([], TAG);

    // Assess
    expect(items).toEqual([]);
  });

  it(`splits a service's minute into items of at most ${MAX_ENTRIES_BYTES} bytes, each entry in one`, () => {
    // Prepare: 1,200 entries of about 550 bytes (512-byte filters), about 660 KB.
    const big = { hashes: 1, bits: new Uint8Array(512) };
    const entries = Array.from({ length: 1_200 }, (_, n) => ({
      ...entry(n, 'frontend', BASE_NS + BigInt(n) * 1_000_000n, 1_798_113_600 + ((n * 7_919) % 1_200)),
      filter: { ...big, bits: big.bits.map((_, i) => (i + n) % 256) },
    }));
    const byId = new Map(entries.map((e) => [e.traceId, e]));

    // Act
    const items = searchItemsOf(entries, TAG);

    // Assess
    expect(items.length).toBeGreaterThan(2);
    expect(items.map((item) => item.part?.S)).toEqual(
      items.map((_, i) => `${BASE_MS}#${TAG}#${String(i + 1).padStart(3, '0')}`),
    );
    const read = items.map((item) => entriesOfItem(item));
    for (const [i, item] of items.entries()) {
      expect(item.entries?.B?.length).toBeLessThanOrEqual(MAX_ENTRIES_BYTES);
      const expiries = (read[i] ?? []).map((e) => byId.get(e.traceId)?.expiresAt ?? 0);
      expect(item.expires_at?.N).toBe(String(Math.max(...expiries)));
    }
    const all = read.flat();
    expect(all).toHaveLength(entries.length);
    expect(new Set(all.map((e) => e.traceId)).size).toBe(entries.length);
    expect(all.map((e) => byId.get(e.traceId))).toEqual(all);
  });
});

describe('minuteRange', () => {
  it('spans the sort keys of the items of its first to its last minute', () => {
    // Prepare
    const key = (minute: string) => `${minute}#${TAG}#001`;

    // Act
    const { from, to } = minuteRange(60_000, 120_000);

    // Assess
    const within = (sortKey: string) => sortKey >= from && sortKey <= to;
    expect(within(key('0000000000000'))).toBe(false);
    expect(within(key('0000000060000'))).toBe(true);
    expect(within(key('0000000120000'))).toBe(true);
    expect(within(key('0000000180000'))).toBe(false);
  });
});

describe('entriesOfItem', () => {
  const [ITEM] = searchItemsOf([entry(1, 'frontend', BASE_NS)], 'batch-1');
  const WHERE = `search#frontend#${indexBucketOf('batch-1')} ${BASE_MS}#batch-1#001`;
  const without = (attribute: string): TraceItem =>
    Object.fromEntries(Object.entries(ITEM as TraceItem).filter(([name]) => name !== attribute));

  it.each([
    ['entries', without('entries'), 'entries, service or minute_ms missing'],
    ['service', without('service'), 'entries, service or minute_ms missing'],
    ['minute_ms', without('minute_ms'), 'entries, service or minute_ms missing'],
    [
      'minute_ms not a number',
      { ...ITEM, minute_ms: { N: 'soon' } },
      'entries, service or minute_ms missing',
    ],
    ['codec', without('codec'), 'unknown codec (none)'],
    ['codec unknown', { ...ITEM, codec: { S: 'entries-v0' } }, 'unknown codec entries-v0'],
  ] as [string, TraceItem, string][])('refuses an item without %s, naming it', (_case, item, detail) => {
    // Act
    const act = () => entriesOfItem(item);

    // Assess
    expect(act).toThrow(SearchIndexCorruptError);
    expect(act).toThrow(`search index item ${WHERE} is corrupt: ${detail}`);
  });

  it('names an item without keys as ?', () => {
    // Prepare
    const item = without('entries');
    delete item.trace_id;
    delete item.part;

    // Act
    const act = () => entriesOfItem(item);

    // Assess
    expect(act).toThrow('search index item ? ? is corrupt');
  });

  it('keeps every item of a 10,000-span write with distinct 256-byte span names under the item limit', () => {
    // Prepare: ids in span names, the worst case for one entry
    const spans = Array.from({ length: 10_000 }, (_, i) =>
      span({ spanId: `s${i}`, name: `GET /item/${String(i).padStart(246, '0')}` }),
    );
    const write = {
      traceId: TRACE_ID,
      startNano: BASE_NS,
      expiresAt: EXPIRES_AT,
      spans,
      rootSpanId: '',
      decision: rootDecisionOf({ policy: 'p', probability: 1, threshold: '', reason: '' }),
    };
    // Act
    const items = searchItemsOf(searchEntriesOf(write), 'tag');
    // Assess
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(itemSize(item)).toBeLessThan(400 * 1024);
  });
});
