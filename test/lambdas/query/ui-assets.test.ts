/** The web UI's files read at cold start from the bundle's `ui/` folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUiAssets, NO_UI_ASSETS, uiAssetOf } from '../../../lambdas/query/ui-assets.ts';

const FILES = { 'index.html': '<base href="./">', 'app.js': 'let a=1;', 'app.css': 'a{}' };
const folders: string[] = [];

function folderWith(files: Readonly<Record<string, string>>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tracesift-ui-'));
  folders.push(folder);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('loadUiAssets', () => {
  it.each([
    ['a path', (folder: string) => folder],
    ['a file URL', (folder: string) => pathToFileURL(`${folder}/`)],
  ])('reads the page and the files of a folder given as %s', (_, given) => {
    // Prepare
    const folder = folderWith(FILES);

    // Act
    const ui = loadUiAssets(given(folder));

    // Assess
    expect(ui.page).toBe(FILES['index.html']);
    expect(ui.files.get('app.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
      body: 'let a=1;',
    });
    expect(ui.files.get('app.css')).toMatchObject({ contentType: 'text/css; charset=utf-8', body: 'a{}' });
    expect([...ui.files.keys()].sort()).toEqual(['app.css', 'app.js']);
  });

  it('has no UI for a folder that does not exist (a function bundled without it)', () => {
    // Act
    const ui = loadUiAssets(join(tmpdir(), 'tracesift-ui-never-created'));

    // Assess
    expect(ui).toBe(NO_UI_ASSETS);
  });

  it.each(['index.html', 'app.js', 'app.css'])('has no UI when %s is missing', (missing) => {
    // Prepare
    const folder = folderWith(Object.fromEntries(Object.entries(FILES).filter(([name]) => name !== missing)));

    // Act
    const ui = loadUiAssets(folder);

    // Assess
    expect(ui).toBe(NO_UI_ASSETS);
  });

  it('throws on any other read failure: a broken bundle is not a missing UI', () => {
    // Prepare
    const folder = folderWith({ 'app.js': '', 'app.css': '' });
    mkdirSync(join(folder, 'index.html'));

    // Act + Assess
    expect(() => loadUiAssets(folder)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });
});

describe('uiAssetOf', () => {
  it('keeps the body, its gzip form and a weak validator of it', () => {
    // Act
    const asset = uiAssetOf('text/css', 'body{margin:0}');
    const other = uiAssetOf('text/css', 'body{margin:1px}');

    // Assess
    expect(gunzipSync(Buffer.from(asset.gzipBase64, 'base64')).toString()).toBe('body{margin:0}');
    expect(asset.etag).toMatch(/^W\/"[\w-]{27}"$/);
    expect(other.etag).not.toBe(asset.etag);
    expect(uiAssetOf('text/css', 'body{margin:0}').etag).toBe(asset.etag);
  });
});
