/**
 * The services and operations catalogue (pure items, plus what one container remembers writing):
 * `catalogue#services` holds one item per service, `catalogue#operations#<service>` one per
 * operation name and span kind. Lists come from one Query each, never a scan.
 *
 * A container writes an entry the first time a batch shows it, and again once a trace expiring a
 * day later shows it (so an entry outlives the last trace that had it by at most a day); nothing
 * else, so the catalogue costs nearly no write units once warm. A burst of new names (span names
 * carrying ids) is held to MAX_NEW_PER_BATCH items a batch, the rest written by later batches that
 * show them again; the container remembers at most MAX_REMEMBERED entries.
 */

import type { TraceItem } from '../dynamodb/trace-items.ts';
import { TRACE_TABLE } from '../layout/layout.ts';
import type { SearchEntry } from './search-entries.ts';

export const SERVICES_KEY = 'catalogue#services';
const OPERATIONS_PREFIX = 'catalogue#operations#';
const REFRESH_SECONDS = 86_400;
export const MAX_NEW_PER_BATCH = 200;
const MAX_REMEMBERED = 50_000;

export function operationsKey(service: string): string {
  return `${OPERATIONS_PREFIX}${service}`;
}

/** What one batch's entries would add to the catalogue, keyed as stored. */
function catalogueItemsOf(entries: readonly SearchEntry[]): Map<string, TraceItem> {
  const items = new Map<string, TraceItem>();
  const put = (partition: string, sort: string, expiresAt: number, extra: TraceItem): void => {
    const key = `${partition}\u0000${sort}`;
    const known = Number(items.get(key)?.expires_at?.N ?? 0);
    if (known >= expiresAt) return;
    items.set(key, {
      [TRACE_TABLE.partitionKey]: { S: partition },
      [TRACE_TABLE.sortKey]: { S: sort },
      expires_at: { N: String(expiresAt) },
      ...extra,
    });
  };
  for (const entry of entries) {
    put(SERVICES_KEY, entry.service, entry.expiresAt, { service: { S: entry.service } });
    for (const op of entry.operations)
      put(operationsKey(entry.service), `${op.name}\u0000${op.kind}`, entry.expiresAt, {
        name: { S: op.name },
        span_kind: { N: String(op.kind) },
      });
  }
  return items;
}

/** The catalogue writes of one container: what it wrote, and until when that holds. */
export class CatalogueWriter {
  private readonly written = new Map<string, number>();

  /** The items of `entries` this container has not written lately; remembers them as written. */
  public due(entries: readonly SearchEntry[]): { items: TraceItem[]; deferred: number } {
    const items: TraceItem[] = [];
    let deferred = 0;
    for (const [key, item] of catalogueItemsOf(entries)) {
      const expiresAt = Number(item.expires_at?.N);
      const known = this.written.get(key);
      if (known !== undefined && expiresAt < known + REFRESH_SECONDS) continue;
      if (items.length >= MAX_NEW_PER_BATCH) {
        deferred++;
        continue;
      }
      items.push(item);
    }
    return { items, deferred };
  }

  /** Records `items` as written (after their write succeeded). */
  public remember(items: readonly TraceItem[]): void {
    if (this.written.size + items.length > MAX_REMEMBERED) this.written.clear();
    for (const item of items)
      this.written.set(
        `${item[TRACE_TABLE.partitionKey]?.S}\u0000${item[TRACE_TABLE.sortKey]?.S}`,
        Number(item.expires_at?.N),
      );
  }
}
