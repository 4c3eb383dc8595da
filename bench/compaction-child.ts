/**
 * The measured run of the compaction benchmark. bench/compaction.ts bundles this file as every
 * function is bundled (scripts/bundle-entry.ts), the rewrite's worker script beside it, and runs it
 * under the V8 flags Lambda's runtime gives the function: it loads the compaction function's
 * handler module (its SDK clients and all, as Lambda does), then rewrites the shard-hour in `dir`
 * the way the function does (rewrite-thread.ts, a worker thread), reading the batch files from
 * disk where the function reads S3, and prints what it measured.
 *
 *   node <bundle> <dir>   (environment: TRACESIFT_BUCKET_NAME, as the handler needs)
 */
import '../lambdas/compaction/handler.ts';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RewriteInput } from '../lambdas/compaction/rewrite.ts';
import { rewriteInThread } from '../lambdas/compaction/rewrite-thread.ts';
import { parseConfig } from '../lambdas/shared/config/index.ts';
import { tableFormats } from '../lambdas/storage/index.ts';

/** What the child reports. */
export interface Measured {
  readonly peakRssBytes: number;
  readonly baseRssBytes: number;
  readonly cpuMs: number;
  readonly spans: number;
  readonly buckets: number;
  readonly peakRowsHeld: number;
  readonly outputBytes: number;
}

/**
 * The high-water mark of this process's resident set (VmHWM). Not getrusage's maxRSS: Linux
 * carries that over from the parent across fork and exec, so a child of a large parent (the
 * benchmark, with its workload loaded) would report at least the parent's size.
 */
function peakRssBytes(): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!line) throw new Error('no VmHWM in /proc/self/status');
  return Number(line[1]) * 1024;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measure(dir: string): Promise<Measured> {
  const config = parseConfig({});
  const inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')) as RewriteInput[];
  (globalThis as { gc?: () => void }).gc?.();
  const baseRssBytes = process.memoryUsage.rss();
  const start = cpuMs();
  const request = {
    inputs,
    formats: tableFormats(config.storage),
    bucketBytes: config.storage.compaction.maxInputBytes,
  };
  const result = await rewriteInThread(
    request,
    async (key) => new Uint8Array(await readFile(join(dir, key))),
  );
  return {
    peakRssBytes: peakRssBytes(),
    baseRssBytes,
    cpuMs: cpuMs() - start,
    spans: result.files.get('spans')?.rows ?? 0,
    buckets: result.buckets,
    peakRowsHeld: result.peakRowsHeld,
    outputBytes: [...result.files.values()].reduce((sum, f) => sum + f.body.length, 0),
  };
}

process.stdout.write(JSON.stringify(await measure(process.argv[2] as string)));
