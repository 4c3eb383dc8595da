/** The service dependency counters of a batch (pure): sums per hour and pair, keys and expiry. */
import { describe, expect, it } from 'vitest';
import { TRUNCATION_MARKER } from '../../../../lambdas/storage/dynamodb/bounds.ts';
import type { ServiceEdge } from '../../../../lambdas/storage/enrich/edges.ts';
import { indexBucketOf } from '../../../../lambdas/storage/layout/layout.ts';
import {
  appliedMarker,
  dependencyIncrements,
  type EdgeWrite,
} from '../../../../lambdas/storage/search/dependencies.ts';
import { BASE_MS, BASE_NS } from './spans.ts';

const TAG = 'shardId-000000000003:4963';
const BUCKET = indexBucketOf(TAG);
const HOUR_MS = 3_600_000;
const RETENTION_DAYS = 30;
/** End of the hour starting at BASE_MS, in s, plus 30 days. */
const EXPIRY = (BASE_MS + HOUR_MS) / 1000 + RETENTION_DAYS * 86_400;

function edge(parentService: string, childService: string, callCount: number, errorCount = 0): ServiceEdge {
  return {
    parentService,
    childService,
    callCount,
    errorCount,
    durationNanoSum: 1_000,
    durationNanoMax: 1_000,
  };
}

function write(startNano: bigint, adjustedCount: number, edges: ServiceEdge[]): EdgeWrite {
  return { startNano, adjustedCount, edges };
}

describe('dependencyIncrements', () => {
  it("sums a batch's calls per hour and service pair, weighing estimates by adjusted count", () => {
    // Prepare
    const writes = [
      write(BASE_NS, 4, [edge('frontend', 'cart', 2, 1), edge('frontend', 'search', 1)]),
      write(BASE_NS + 600_000_000_000n, 1, [edge('frontend', 'cart', 3)]),
      write(BASE_NS + 1n, 2.5, [edge('cart', 'frontend', 1, 1)]),
    ];

    // Act
    const increments = dependencyIncrements(writes, TAG, RETENTION_DAYS);

    // Assess
    const key = (parent: string, child: string) => ({
      trace_id: { S: `dependencies#${BASE_MS}#${BUCKET}` },
      part: { S: `${parent}\u0000${child}` },
    });
    expect(increments).toEqual([
      {
        key: key('frontend', 'cart'),
        parent: 'frontend',
        child: 'cart',
        keptCalls: 5,
        estimatedCalls: 2 * 4 + 3 * 1,
        estimatedErrors: 1 * 4,
        expiresAt: EXPIRY,
      },
      {
        key: key('frontend', 'search'),
        parent: 'frontend',
        child: 'search',
        keptCalls: 1,
        estimatedCalls: 4,
        estimatedErrors: 0,
        expiresAt: EXPIRY,
      },
      {
        key: key('cart', 'frontend'),
        parent: 'cart',
        child: 'frontend',
        keptCalls: 1,
        estimatedCalls: 2.5,
        estimatedErrors: 2.5,
        expiresAt: EXPIRY,
      },
    ]);
  });

  it.each([
    ["the hour's first ns", 0n, BASE_MS, EXPIRY],
    ["the hour's last ms", 3_599_999_000_000n, BASE_MS, EXPIRY],
    ["the hour's last ns", 3_599_999_999_999n, BASE_MS, EXPIRY],
    ["the next hour's first ns", 3_600_000_000_000n, BASE_MS + HOUR_MS, EXPIRY + 3_600],
  ])('counts a trace starting at %s in the hour of %i', (_case, offset, hourMs, expiresAt) => {
    // Act
    const [increment] = dependencyIncrements(
      [write(BASE_NS + offset, 1, [edge('a', 'b', 1)])],
      TAG,
      RETENTION_DAYS,
    );

    // Assess
    expect(increment?.key.trace_id?.S).toBe(`dependencies#${hourMs}#${BUCKET}`);
    expect(increment?.expiresAt).toBe(expiresAt);
  });

  it('keeps the counters of two hours apart', () => {
    // Act
    const increments = dependencyIncrements(
      [
        write(BASE_NS + 3_599_999_999_999n, 1, [edge('a', 'b', 1)]),
        write(BASE_NS + 3_600_000_000_000n, 1, [edge('a', 'b', 2)]),
      ],
      TAG,
      RETENTION_DAYS,
    );

    // Assess
    expect(increments.map((inc) => [inc.key.trace_id?.S, inc.keptCalls])).toEqual([
      [`dependencies#${BASE_MS}#${BUCKET}`, 1],
      [`dependencies#${BASE_MS + HOUR_MS}#${BUCKET}`, 2],
    ]);
  });

  it.each([
    [1, (BASE_MS + HOUR_MS) / 1000 + 86_400],
    [7, (BASE_MS + HOUR_MS) / 1000 + 7 * 86_400],
  ])('expires the counters of a %i-day retention at the hour end plus the retention', (days, expiresAt) => {
    // Act
    const [increment] = dependencyIncrements([write(BASE_NS, 1, [edge('a', 'b', 1)])], TAG, days);

    // Assess
    expect(increment?.expiresAt).toBe(expiresAt);
  });

  it('bounds the service names as the summary bounds them', () => {
    // Prepare
    const long = 'p'.repeat(1_000);

    // Act
    const [increment] = dependencyIncrements([write(BASE_NS, 1, [edge(long, 'b', 1)])], TAG, RETENTION_DAYS);

    // Assess
    const bounded = `${'p'.repeat(253)}${TRUNCATION_MARKER}`;
    expect(increment?.parent).toBe(bounded);
    expect(increment?.key.part?.S).toBe(`${bounded}\u0000b`);
  });

  it("puts the counters of a batch in its tag's bucket", () => {
    // Prepare
    const other = ['x', 'y', 'z', 'w'].find((tag) => indexBucketOf(tag) !== BUCKET) as string;

    // Act
    const [mine] = dependencyIncrements([write(BASE_NS, 1, [edge('a', 'b', 1)])], TAG, RETENTION_DAYS);
    const [theirs] = dependencyIncrements([write(BASE_NS, 1, [edge('a', 'b', 1)])], other, RETENTION_DAYS);

    // Assess
    expect(mine?.key.trace_id?.S).toBe(`dependencies#${BASE_MS}#${BUCKET}`);
    expect(theirs?.key.trace_id?.S).toBe(`dependencies#${BASE_MS}#${indexBucketOf(other)}`);
  });

  it('adds nothing for writes without edges', () => {
    // Act
    const increments = dependencyIncrements([write(BASE_NS, 1, [])], TAG, RETENTION_DAYS);

    // Assess
    expect(increments).toEqual([]);
  });
});

describe('appliedMarker', () => {
  it('keys the marker by the batch tag', () => {
    // Act
    const marker = appliedMarker(TAG, EXPIRY);

    // Assess
    expect(marker).toEqual({
      trace_id: { S: `dependencies-applied#${TAG}` },
      part: { S: 'batch' },
      expires_at: { N: String(EXPIRY) },
    });
  });
});
