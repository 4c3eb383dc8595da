/**
 * Compaction memory: one shard-hour of 500,000 kept spans (the reference generator, seeds from 42,
 * 2,000 traces each, every trace kept, whole traces up to 500,000 spans) written as the sampler's
 * store writes it (batch files of 100 kept traces), then rewritten by compaction into one file per
 * table the way the function does it, from the same kind of bundle (compaction-child.ts), in a
 * child process started with the V8 flags Lambda's runtime gives the function and the allocator
 * settings its construct gives it (sizing.ts): its peak
 * resident set is the whole process's, Node, the handler's modules and the rewrite's worker thread
 * all counted, as a Lambda function's memory counts it. The batch files are read from a temporary
 * directory, standing in for S3 (their bytes are not the function's until it reads them). Left
 * out: the Lambda runtime's own small JavaScript client, and S3's latency.
 *
 *   node bench/compaction.ts [--spans N]   (npm run bench: the compaction stage)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMPACTION_MALLOC_ENVIRONMENT,
  COMPACTION_MEMORY_MB,
  lambdaNodeFlags,
} from '../lambdas/compaction/sizing.ts';
import { parseConfig } from '../lambdas/shared/config/index.ts';
import { encodeTables, promotedColumns, type TableName, tableFormats } from '../lambdas/storage/index.ts';
import { FUNCTION_WORKERS } from '../lib/pipeline-function.ts';
import { bundleEntry } from '../scripts/bundle-entry.ts';
import { generateWorkload } from '../workload/workload.ts';
import type { Measured } from './compaction-child.ts';
import { type BenchResult, figure, median } from './harness.ts';
import { BATCH_TRACES, keptTraces, writesOf } from './storage.ts';

export const SHARD_HOUR_SPANS = 500_000;
/** The cost model prices compaction from this row (bench/cost/figures.ts). */
export const REWRITE_RATE_METRIC = 'CPU rate of the whole rewrite (read, refresh, sort, write)';
const CHUNK_TRACES = 2_000;

interface InputFile {
  readonly table: TableName;
  readonly key: string;
  readonly bytes: number;
}

/** Writes the batch files of a shard-hour of about `spans` spans into `dir`; returns its spans. */
export function writeShardHour(dir: string, spans: number): number {
  const config = parseConfig({});
  const formats = tableFormats(config.storage);
  const promoted = promotedColumns(config.storage);
  const inputs: InputFile[] = [];
  let total = 0;
  for (let seed = 42; total < spans; seed++) {
    const traces = keptTraces(generateWorkload({ seed, traces: CHUNK_TRACES }));
    const taken = traces.filter((trace) => {
      if (total + trace.spans.length > spans) return false;
      total += trace.spans.length;
      return true;
    });
    for (let first = 0; first < taken.length; first += BATCH_TRACES) {
      const writes = writesOf(taken.slice(first, first + BATCH_TRACES));
      for (const { table, body } of encodeTables(writes, formats, promoted)) {
        const key = `${table}-${seed}-${first}.parquet`;
        writeFileSync(join(dir, key), body);
        inputs.push({ table, key, bytes: body.length });
      }
    }
    if (taken.length === 0) break;
  }
  writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs));
  return total;
}

/** The child and the rewrite's worker, bundled as the function is, into `dir`; returns the child. */
async function bundleChild(dir: string): Promise<string> {
  const child = join(dir, 'child.mjs');
  await bundleEntry(fileURLToPath(new URL('./compaction-child.ts', import.meta.url)), child);
  for (const worker of FUNCTION_WORKERS.compaction ?? [])
    await bundleEntry(
      fileURLToPath(new URL(`../lambdas/${worker.entry}`, import.meta.url)),
      join(dir, worker.file),
    );
  return child;
}

function measure(child: string, dir: string): Measured {
  const flags = lambdaNodeFlags(COMPACTION_MEMORY_MB);
  const out = execFileSync(process.execPath, [...flags, child, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: {
      ...process.env,
      ...COMPACTION_MALLOC_ENVIRONMENT,
      TRACESIFT_BUCKET_NAME: 'bench',
      AWS_REGION: 'us-east-1',
    },
  });
  return JSON.parse(out) as Measured;
}

/** Compaction of one shard-hour of `spans` spans, `runs` times in a fresh process each. */
export async function benchCompaction(runs: number, spans = SHARD_HOUR_SPANS): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tracesift-compaction-'));
  try {
    const written = writeShardHour(dir, spans);
    const child = await bundleChild(dir);
    const measured = Array.from({ length: runs }, () => measure(child, dir));
    if (measured.some((m) => m.spans !== written))
      throw new Error(`compaction bench: ${written} spans in, ${measured.map((m) => m.spans)} out`);
    const label = `compaction of one shard-hour of ${written.toLocaleString('en-US')} spans`;
    const row = (metric: string, values: number[], unit: string, goal?: BenchResult['goal']) => ({
      ...figure('compaction', `${label}: ${metric}`, median(values), unit, goal),
      runs: values,
    });
    return [
      row(
        'peak RSS of the process',
        measured.map((m) => m.peakRssBytes / 1e6),
        'MB',
        { op: '<=', value: 400 },
      ),
      row(
        'RSS before it started (Node and modules)',
        measured.map((m) => m.baseRssBytes / 1e6),
        'MB',
      ),
      row(
        'CPU time',
        measured.map((m) => m.cpuMs / 1000),
        's',
      ),
      row(
        `${REWRITE_RATE_METRIC}, spans/s`,
        measured.map((m) => m.spans / (m.cpuMs / 1000)),
        '/s',
      ),
      row(
        'trace buckets',
        measured.map((m) => m.buckets),
        'buckets',
      ),
      row(
        'most decoded rows held at once',
        measured.map((m) => m.peakRowsHeld),
        'rows',
      ),
      row(
        'compacted bytes/span (three tables)',
        measured.map((m) => m.outputBytes / written),
        'B',
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf('--spans');
  const spans = at > 0 ? Number(process.argv[at + 1]) : SHARD_HOUR_SPANS;
  for (const r of await benchCompaction(1, spans))
    console.log(`${r.metric}: ${r.value.toFixed(2)} ${r.unit}`);
}
