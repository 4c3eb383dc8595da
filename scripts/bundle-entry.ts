/**
 * Bundles one entry with the options every function's bundle uses (lib/pipeline-function.ts
 * FUNCTION_BUNDLING): the package's pre-bundled functions (build-package.ts), the worker scripts a
 * function starts beside its bundle (run by NodejsFunction's afterBundling hook) and the
 * compaction benchmark, which measures what Lambda runs.
 *
 *   node scripts/bundle-entry.ts <entry.ts> <outfile.mjs>
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { FUNCTION_BUNDLING } from '../lib/pipeline-function.ts';

export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    banner: { js: FUNCTION_BUNDLING.banner },
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    external: [...FUNCTION_BUNDLING.external],
    logLevel: 'warning',
  });
}

if (import.meta.main) {
  const [entry, outfile] = process.argv.slice(2);
  if (entry === undefined || outfile === undefined) {
    console.error('usage: node scripts/bundle-entry.ts <entry.ts> <outfile.mjs>');
    process.exit(2);
  }
  await bundleEntry(resolve(entry), resolve(outfile));
}
