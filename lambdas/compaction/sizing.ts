/**
 * Memory of the compaction function, shared by its CDK construct (lib/analytics-store.ts) and its
 * benchmark (bench/compaction.ts), which runs the rewrite under the V8 flags Lambda's Node.js
 * runtime starts a function of that memory with.
 *
 * Those flags are the runtime's: its bootstrap passes them on the command line, and Node lets the
 * command line override NODE_OPTIONS (checked: the heap limit follows the later flag), so a heap cap
 * set in NODE_OPTIONS would not hold (and capping the heap at 160 MB cost 1.6x the
 * CPU in garbage collection). Compaction collects between trace buckets instead (rewrite.ts).
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
