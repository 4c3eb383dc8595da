/**
 * A shard-hour of batch files as compaction finds them: `traces` traces of the reference generator
 * (no batch jobs), enriched and written in batch files of 10 traces per table, kept in memory by key.
 */
import type { RewriteInput } from '../../lambdas/compaction/rewrite.ts';
import {
  encodeTables,
  enrichTrace,
  partitionOf,
  promotedColumns,
  type TableFormat,
  type TableName,
} from '../../lambdas/storage/index.ts';
import { BASELINE, testConfig } from './storage.ts';
import { workloadTraces } from './workload-traces.ts';

export interface ShardHourFiles {
  readonly inputs: RewriteInput[];
  readonly files: Map<string, Uint8Array>;
}

export function shardHourFiles(
  traces: number,
  seed: number,
  formats: Record<TableName, TableFormat>,
): ShardHourFiles {
  const hour = partitionOf(1_000);
  const writes = [...workloadTraces({ seed, traces, bigTraceRate: 0 })].map(([id, spans]) => {
    const enrichment = enrichTrace(id, spans, BASELINE, 1_000);
    return {
      partition: hour,
      rows: { spans, enrichment },
      summary: enrichment.summary,
      edges: enrichment.edges,
    };
  });
  const shardHour: ShardHourFiles = { inputs: [], files: new Map() };
  const promoted = promotedColumns(testConfig().storage);
  for (let first = 0; first < writes.length; first += 10) {
    for (const { table, body } of encodeTables(writes.slice(first, first + 10), formats, promoted)) {
      const key = `${table}/${first}.parquet`;
      shardHour.files.set(key, body);
      shardHour.inputs.push({ table, key, bytes: body.length });
    }
  }
  return shardHour;
}
