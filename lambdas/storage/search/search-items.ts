/**
 * Search items of the traces table (pure): the index entries of one batch, grouped by service and
 * by the minute their trace started, in the partition `search#<service>#<bucket>` under the sort key
 * `<minute ms, 13 digits>#<batch tag>#<n>`. The bucket comes from the batch tag, so one batch's
 * entries of a service share one item while batches spread over INDEX_BUCKETS keys (layout.ts); a
 * search reads the minutes of its window from each bucket, newest first.
 *
 * One item per service and minute a batch touches (usually one), written with PutItem: a
 * redelivered batch rewrites its own items, a retried bisected batch writes entries again under its
 * own tag and a search unions entries by trace id. docs/STORAGE.md states the write units.
 */

import type { TraceItem } from '../dynamodb/trace-items.ts';
import { SearchIndexCorruptError } from '../errors.ts';
import { bucketedIndexKey, indexBucketOf, TRACE_TABLE } from '../layout/layout.ts';
import { decodeEntries, ENTRY_CODEC, encodeEntries } from './entry-codec.ts';
import type { SearchEntry } from './search-entries.ts';

const SEARCH_PREFIX = 'search#';
const MINUTE_MS = 60_000;
const MINUTE_DIGITS = 13;
/** Largest entries blob in one item, well under DynamoDB's 400 KB with the keys. */
export const MAX_ENTRIES_BYTES = 300_000;

export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
}

export function searchPartitionKey(service: string, bucket: number): string {
  return `${SEARCH_PREFIX}${bucketedIndexKey(service, bucket)}`;
}

function minuteKey(minuteMs: number): string {
  return String(minuteMs).padStart(MINUTE_DIGITS, '0');
}

/** Sort key bounds of the items whose minute is in [fromMinuteMs, toMinuteMs]. */
export function minuteRange(fromMinuteMs: number, toMinuteMs: number): { from: string; to: string } {
  return { from: minuteKey(fromMinuteMs), to: `${minuteKey(toMinuteMs)}#\uffff` };
}

/** The search items of one batch's entries, written by the batch tagged `batchTag`. */
export function searchItemsOf(entries: readonly SearchEntry[], batchTag: string): TraceItem[] {
  const groups = new Map<string, { service: string; minuteMs: number; entries: SearchEntry[] }>();
  for (const entry of entries) {
    const minuteMs = minuteOf(Number(entry.startNano / 1_000_000n));
    const key = `${minuteMs}\u0000${entry.service}`;
    let group = groups.get(key);
    if (!group) {
      group = { service: entry.service, minuteMs, entries: [] };
      groups.set(key, group);
    }
    group.entries.push(entry);
  }
  const bucket = indexBucketOf(batchTag);
  const items: TraceItem[] = [];
  for (const group of groups.values()) {
    const blobs = chunked(group.entries, group.minuteMs);
    blobs.forEach((blob, i) => {
      items.push({
        [TRACE_TABLE.partitionKey]: { S: searchPartitionKey(group.service, bucket) },
        [TRACE_TABLE.sortKey]: {
          S: `${minuteKey(group.minuteMs)}#${batchTag}#${String(i + 1).padStart(3, '0')}`,
        },
        service: { S: group.service },
        minute_ms: { N: String(group.minuteMs) },
        codec: { S: ENTRY_CODEC },
        entries: { B: blob.bytes },
        expires_at: { N: String(Math.max(...blob.expiries)) },
      });
    });
  }
  return items;
}

/** Blobs of at most MAX_ENTRIES_BYTES, halving the group until each fits. */
function chunked(
  entries: readonly SearchEntry[],
  minuteMs: number,
): { bytes: Uint8Array; expiries: number[] }[] {
  const bytes = encodeEntries(entries, minuteMs);
  if (bytes.length <= MAX_ENTRIES_BYTES || entries.length === 1)
    return [{ bytes, expiries: entries.map((e) => e.expiresAt) }];
  const half = Math.ceil(entries.length / 2);
  return [...chunked(entries.slice(0, half), minuteMs), ...chunked(entries.slice(half), minuteMs)];
}

/** The entries of a search item. */
export function entriesOfItem(item: TraceItem): SearchEntry[] {
  const where = `${item[TRACE_TABLE.partitionKey]?.S ?? '?'} ${item[TRACE_TABLE.sortKey]?.S ?? '?'}`;
  const blob = item.entries?.B;
  const service = item.service?.S;
  const minuteMs = Number(item.minute_ms?.N);
  if (!blob || service === undefined || !Number.isFinite(minuteMs))
    throw new SearchIndexCorruptError(where, 'entries, service or minute_ms missing');
  if (item.codec?.S !== ENTRY_CODEC)
    throw new SearchIndexCorruptError(where, `unknown codec ${item.codec?.S ?? '(none)'}`);
  return decodeEntries(blob, service, minuteMs, where);
}
