/**
 * `node scripts/build-ui.ts <outDir>`: writes the web UI's built files (ui/build.ts) into
 * <outDir>, which is created. The query function's bundle runs it after esbuild (lib/trace-store.ts).
 */
import { resolve } from 'node:path';
import { writeUiAssets } from '../ui/build.ts';

const [outDir] = process.argv.slice(2);
if (outDir === undefined) {
  console.error('usage: node scripts/build-ui.ts <outDir>');
  process.exit(2);
}
const written = await writeUiAssets(resolve(outDir));
console.log(`web UI built: ${written.join(', ')}`);
