/**
 * The web UI's build: ui/src/main.ts bundled for the browser as `app.js`, ui/style.css as
 * `app.css`, and ui/index.html as it is, which loads both relatively below its `<base href="./">`
 * (the query function makes that base absolute per request, lambdas/query/web-ui.ts). Built in
 * memory: the local pipeline serves the result directly; scripts/build-ui.ts writes it to a folder
 * (the query function's bundle, the npm package).
 *
 * No source map: the query function serves exactly these three files, and the page reports its
 * errors as messages; a map would double what the function carries for a reader who has the
 * sources anyway (`npm start` builds from them).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { BUILT_PAGE_BASE, type UiAssetFiles } from '../lambdas/query/ui-assets.ts';
import { UiBuildError, UiPageError } from './errors.ts';

const UI_ROOT = new URL('./', import.meta.url);

/** What index.html must say: the base the server rewrites, and the two files, relatively. */
const PAGE_REFERENCES: ReadonlyMap<string, RegExp> = new Map([
  ['<base href="./">', BUILT_PAGE_BASE],
  ['<script type="module" src="app.js">', /<script type="module" src="app\.js">/],
  ['<link rel="stylesheet" href="app.css">', /<link rel="stylesheet" href="app\.css"\s*\/?>/],
]);

const COMMON: BuildOptions = {
  bundle: true,
  minify: true,
  write: false,
  // Served as UTF-8: non-ASCII text stays as it is rather than growing into escapes.
  charset: 'utf8',
  legalComments: 'none',
  logLevel: 'silent',
};

/** The UI built from `sources`: a folder holding src/main.ts, style.css and index.html. */
export async function buildUiAssets(sources: URL = UI_ROOT): Promise<UiAssetFiles> {
  const [script, style, page] = await Promise.all([
    bundled({
      ...COMMON,
      entryPoints: [fileURLToPath(new URL('src/main.ts', sources))],
      outfile: 'app.js',
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
    }),
    bundled({ ...COMMON, entryPoints: [fileURLToPath(new URL('style.css', sources))], outfile: 'app.css' }),
    readFile(new URL('index.html', sources), 'utf8').catch((error: unknown) => {
      throw new UiBuildError(`the web UI's page cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }),
  ]);
  const missing = [...PAGE_REFERENCES].filter(([, pattern]) => !pattern.test(page)).map(([what]) => what);
  if (missing.length > 0) throw new UiPageError(missing);
  return { 'index.html': page, 'app.js': script, 'app.css': style };
}

/** The built files written into `folder` (created); their paths. */
export async function writeUiAssets(folder: string): Promise<string[]> {
  const files = await buildUiAssets();
  await mkdir(folder, { recursive: true });
  return Promise.all(
    Object.entries(files).map(async ([name, text]) => {
      await writeFile(join(folder, name), text);
      return join(folder, name);
    }),
  );
}

/** The one output file of a build (write: false, one entry point, so exactly one). */
async function bundled(options: BuildOptions): Promise<string> {
  const result = await build(options).catch((error: unknown) => {
    throw new UiBuildError(`the web UI does not build: ${(error as Error).message}`, { cause: error });
  });
  return result.outputFiles?.map((file) => file.text).join('') ?? '';
}
