/**
 * Memory of the compaction function, shared by its CDK construct (lib/analytics-store.ts) and its
 * benchmark (bench/compaction.ts), which runs the rewrite under the V8 flags Lambda's Node.js
 * runtime starts a function of that memory with.
 *
 * Those flags are the runtime's: its bootstrap passes them on the command line, and Node lets the
 * command line override NODE_OPTIONS (checked: the heap limit follows the later flag), so a heap cap
 * set in NODE_OPTIONS would not hold (and capping the heap at 160 MB cost 1.6x the
 * CPU in garbage collection). Compaction collects between trace buckets instead (rewrite.ts), and
 * rewrites in a worker thread whose young generation it sizes itself (rewrite-thread.ts).
 */
export const COMPACTION_MEMORY_MB = 1024;

/**
 * The flags Lambda's Node.js runtime starts a function of `memoryMb` with: a tenth of it for the
 * young generation (two semi-spaces), the rest for the old one, and `gc` exposed.
 */
export function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/**
 * The C library allocator's settings for the compaction function: environment variables glibc
 * reads as the process starts (Lambda's Node.js 24 runtime runs on Amazon Linux 2023 and its
 * glibc), set on the function by its construct and on the benchmark's process.
 *  - One arena: the rewrite's worker thread would otherwise get an arena of its own, and memory
 *    freed in one is not reused by the other thread.
 *  - A fixed trim threshold of 256 KiB, which also keeps the threshold above which a block is
 *    mapped on its own (and unmapped when freed) at its 128 KiB default: glibc otherwise raises
 *    it to the largest block freed so far (up to 32 MiB), and the transient buffers of each zstd
 *    call and each block of rows (a few hundred KiB each, thousands of them) then stay in the
 *    arena, fragmented.
 * Measured on a 500,000-span shard-hour (bench/compaction.ts, BENCHMARKS.md): about 70 MB less at
 * the peak, for ~1.3x the CPU time (the kernel maps and zeroes those buffers afresh each time).
 */
export const COMPACTION_MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TRIM_THRESHOLD_: String(256 << 10),
};
