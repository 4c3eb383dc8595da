/**
 * The web UI's built files as the query function serves them (lambdas/query/web-ui.ts): read once
 * at cold start from the `ui/` folder the bundle carries beside index.mjs (lib/trace-store.ts
 * builds it in; locally, local/pipeline.ts builds them in memory). The script and the stylesheet
 * are hashed and gzipped here once, not on every request.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The files of a built UI (ui/build.ts writes them) and the content type each is served with. */
export const UI_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;

export type UiFileName = keyof typeof UI_FILES;

/**
 * The base index.html is built with, `<base href="./">` (or `<base href="./" />`): ui/build.ts
 * checks it is there, web-ui.ts makes it absolute.
 */
export const BUILT_PAGE_BASE = /<base href="\.\/"\s*\/?>/;

/** A built UI: the text of each file by name. */
export type UiAssetFiles = Readonly<Record<UiFileName, string>>;

/** One answer body, ready to send: its validator and its gzip form (base64, as API Gateway takes it). */
export interface UiAsset {
  readonly contentType: string;
  readonly body: string;
  /** A weak validator: the gzip and identity forms of a body are the same representation. */
  readonly etag: string;
  readonly gzipBase64: string;
}

export interface UiAssets {
  /** index.html as built, its `<base href="./">` rewritten per request; undefined: no UI built in. */
  readonly page: string | undefined;
  /** The files served as they are (app.js, app.css) by name. */
  readonly files: ReadonlyMap<string, UiAsset>;
}

/** A function bundled without the UI: every UI route answers 404 saying so. */
export const NO_UI_ASSETS: UiAssets = { page: undefined, files: new Map() };

export function uiAssetOf(contentType: string, body: string): UiAsset {
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { contentType, body, etag: `W/"${digest}"`, gzipBase64: gzipSync(body).toString('base64') };
}

export function uiAssetsOf(files: UiAssetFiles): UiAssets {
  return {
    page: files['index.html'],
    files: new Map(
      (['app.js', 'app.css'] as const).map((name) => [name, uiAssetOf(UI_FILES[name], files[name])]),
    ),
  };
}

/**
 * The UI built into `directory`; NO_UI_ASSETS when any of its files is missing (a function bundled
 * without the UI still reads traces). Any other read failure is thrown: it is a broken bundle.
 */
export function loadUiAssets(directory: URL | string): UiAssets {
  const folder = typeof directory === 'string' ? directory : fileURLToPath(directory);
  try {
    const read = (name: UiFileName) => readFileSync(join(folder, name), 'utf8');
    return uiAssetsOf({
      'index.html': read('index.html'),
      'app.js': read('app.js'),
      'app.css': read('app.css'),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NO_UI_ASSETS;
    throw error;
  }
}
