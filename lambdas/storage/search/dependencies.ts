/**
 * The service dependency graph (pure): per hour of trace start, counters of the calls between two
 * services, added to by every batch (UpdateItem ADD) in `dependencies#<hour ms>#<bucket>` with the
 * sort key `<parent>\u0000<child>`. A graph over a range reads its hours, each an INDEX_BUCKETS
 * Query of a few items, never a trace.
 *
 * Kept calls are what the kept traces hold; estimated calls weigh each by its trace's adjusted
 * count, the honest estimate of all traffic.
 *
 * Counters are added at most once per batch: the batch first puts its marker `dependencies-applied#
 * <batch tag>` (conditional, as long as the counters), and a redelivered batch that finds it adds nothing.
 * The store adds them last, after every other write of the batch succeeded; a failure of the
 * counter updates themselves loses those increments rather than doubling them. A retry of a part of
 * a batch (bisected on error) has its own tag and adds its part again.
 */

import type { TraceItem } from '../dynamodb/trace-items.ts';
import type { ServiceEdge } from '../enrich/edges.ts';
import { bucketedIndexKey, indexBucketOf, TRACE_TABLE } from '../layout/layout.ts';
import { boundedService } from './search-entries.ts';

const DEPENDENCIES_PREFIX = 'dependencies#';
const APPLIED_PREFIX = 'dependencies-applied#';
export const HOUR_MS = 3_600_000;
export const DAY_SECONDS = 86_400;

export interface EdgeWrite {
  readonly startNano: bigint;
  readonly adjustedCount: number;
  readonly edges: readonly ServiceEdge[];
}

/** One counter item's increments. */
export interface DependencyIncrement {
  readonly key: TraceItem;
  readonly parent: string;
  readonly child: string;
  readonly keptCalls: number;
  readonly estimatedCalls: number;
  readonly estimatedErrors: number;
  /** TTL of the hour's counters: the hour's end plus the retention. */
  readonly expiresAt: number;
}

/** The marker of a batch whose counters were added (or are being added). */
export function appliedMarker(batchTag: string, expiresAt: number): TraceItem {
  return {
    [TRACE_TABLE.partitionKey]: { S: `${APPLIED_PREFIX}${batchTag}` },
    [TRACE_TABLE.sortKey]: { S: 'batch' },
    expires_at: { N: String(expiresAt) },
  };
}

export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS;
}

export function dependenciesKey(hourMs: number, bucket: number): string {
  return `${DEPENDENCIES_PREFIX}${bucketedIndexKey(String(hourMs), bucket)}`;
}

/** The increments of one batch's edges, summed per hour and service pair. */
export function dependencyIncrements(
  writes: readonly EdgeWrite[],
  batchTag: string,
  retentionDays: number,
): DependencyIncrement[] {
  const bucket = indexBucketOf(batchTag);
  const sums = new Map<string, { -readonly [K in keyof DependencyIncrement]: DependencyIncrement[K] }>();
  for (const write of writes) {
    const hourMs = hourOf(Number(write.startNano / 1_000_000n));
    for (const edge of write.edges) {
      const parent = boundedService(edge.parentService);
      const child = boundedService(edge.childService);
      const sort = `${parent}\u0000${child}`;
      const id = `${hourMs}\u0000${sort}`;
      let sum = sums.get(id);
      if (!sum) {
        sum = {
          key: {
            [TRACE_TABLE.partitionKey]: { S: dependenciesKey(hourMs, bucket) },
            [TRACE_TABLE.sortKey]: { S: sort },
          },
          parent,
          child,
          keptCalls: 0,
          estimatedCalls: 0,
          estimatedErrors: 0,
          expiresAt: (hourMs + HOUR_MS) / 1000 + retentionDays * DAY_SECONDS,
        };
        sums.set(id, sum);
      }
      sum.keptCalls += edge.callCount;
      sum.estimatedCalls += edge.callCount * write.adjustedCount;
      sum.estimatedErrors += edge.errorCount * write.adjustedCount;
    }
  }
  return [...sums.values()];
}
