/**
 * Builds what the npm package ships (`npm pack` runs it as prepack): the constructs of lib/ and the
 * modules they import compiled to JavaScript with declarations (Node does not strip types inside
 * node_modules), the named queries they read at synth time, and every Lambda function pre-bundled
 * with the options NodejsFunction uses here, so a user's app synthesizes without the function
 * sources or this project's lock file. The query function's bundle carries the web UI's built
 * files in `ui/` beside index.mjs, as its synth-time bundle does. Development keeps running the .ts
 * sources directly.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, FUNCTION_WORKERS, PIPELINE_FUNCTION_NAMES } from '../lib/pipeline-function.ts';
import { writeUiAssets } from '../ui/build.ts';
import { bundleEntry } from './bundle-entry.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

function compileConstructs(): void {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}

/** The named-query loader reads the .sql files at synth time from beside its compiled module. */
function copyNamedQueries(): void {
  const from = join(ROOT, 'athena', 'queries');
  const to = join(DIST, 'athena', 'queries');
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith('.sql'))) {
    copyFileSync(join(from, file), join(to, file));
  }
}

/**
 * dist/lambda-assets/<name>/index.mjs: where lib/pipeline-function.ts looks for it once compiled,
 * with the worker scripts the function starts beside it.
 */
async function bundleFunctions(): Promise<void> {
  for (const name of PIPELINE_FUNCTION_NAMES) {
    const folder = join(DIST, 'lambda-assets', name);
    mkdirSync(folder, { recursive: true });
    await bundleEntry(join(ROOT, 'lambdas', name, 'handler.ts'), join(folder, BUNDLE_FILE));
    for (const worker of FUNCTION_WORKERS[name] ?? [])
      await bundleEntry(join(ROOT, 'lambdas', worker.entry), join(folder, worker.file));
  }
}

rmSync(DIST, { recursive: true, force: true });
compileConstructs();
copyNamedQueries();
await bundleFunctions();
// Where lambdas/query/handler.ts reads them: `ui/` beside the bundle (lib/trace-store.ts webUiBuild).
await writeUiAssets(join(DIST, 'lambda-assets', 'query', 'ui'));
