/**
 * What one batch's kept traces add to the search index: its search items and the catalogue entries
 * this container has not written lately (one BatchWriteItem call, idempotent per batch), then the
 * dependency counters (UpdateItem ADD, last: see dependencies.ts). The trace store calls `write`
 * alongside its trace items and Parquet objects and `addDependencies` once all of them are stored.
 */

import type { TraceTable } from '../dynamodb/trace-table.ts';
import type { ServiceEdge } from '../enrich/edges.ts';
import { SearchIndexWriteError } from '../errors.ts';
import { CatalogueWriter } from './catalogue.ts';
import { appliedMarker, dependencyIncrements } from './dependencies.ts';
import { type IndexedWrite, searchEntriesOf } from './search-entries.ts';
import { searchItemsOf } from './search-items.ts';

/** A trace write as the index sees it: its spans and decision, and the service edges they add. */
export interface IndexedTraceWrite extends IndexedWrite {
  readonly adjustedCount: number;
  readonly edges: readonly ServiceEdge[];
}

export interface IndexWriteReport {
  readonly entries: number;
  readonly items: number;
  readonly writeUnits: number;
  /** New catalogue entries left to later batches (MAX_NEW_PER_BATCH). */
  readonly catalogueDeferred: number;
}

export class SearchIndexWriter {
  private readonly catalogue = new CatalogueWriter();
  private readonly table: TraceTable;
  private readonly retentionDays: number;

  public constructor(table: TraceTable, retentionDays: number) {
    this.table = table;
    this.retentionDays = retentionDays;
  }

  public async write(writes: readonly IndexedTraceWrite[], batchTag: string): Promise<IndexWriteReport> {
    const entries = writes.flatMap(searchEntriesOf);
    const search = searchItemsOf(entries, batchTag);
    const { items: catalogue, deferred } = this.catalogue.due(entries);
    const items = [...search, ...catalogue];
    if (items.length === 0) return { entries: 0, items: 0, writeUnits: 0, catalogueDeferred: deferred };
    const outcome = await this.table.putItems(items);
    const [refused] = outcome.rejected;
    if (refused) throw new SearchIndexWriteError(refused[0], refused[1]);
    this.catalogue.remember(catalogue);
    return {
      entries: entries.length,
      items: items.length,
      writeUnits: outcome.writeUnits,
      catalogueDeferred: deferred,
    };
  }

  /**
   * Adds the batch's calls between services to the dependency counters, once per batch (see
   * dependencies.ts); resolves with the write units spent.
   */
  public async addDependencies(writes: readonly IndexedTraceWrite[], batchTag: string): Promise<number> {
    const increments = dependencyIncrements(writes, batchTag, this.retentionDays);
    if (increments.length === 0) return 0;
    const markerExpiry = Math.max(...increments.map((inc) => inc.expiresAt));
    if (!(await this.table.putIfAbsent(appliedMarker(batchTag, markerExpiry)))) return 1;
    const units = await this.table.addToCounters(
      increments.map((inc) => ({
        key: inc.key,
        add: {
          kept_calls: inc.keptCalls,
          estimated_calls: inc.estimatedCalls,
          estimated_errors: inc.estimatedErrors,
        },
        set: { parent: { S: inc.parent }, child: { S: inc.child }, expires_at: { N: String(inc.expiresAt) } },
      })),
    );
    return units + 1;
  }
}
