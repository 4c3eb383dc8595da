/** The web UI's build: three files from the sources, the page referencing the other two. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildUiAssets, writeUiAssets } from '../../ui/build.ts';
import { UiBuildError, UiPageError } from '../../ui/errors.ts';

const PAGE =
  '<!doctype html><html><head><base href="./" /><link rel="stylesheet" href="app.css" />' +
  '<script type="module" src="app.js"></script></head><body></body></html>';
const folders: string[] = [];

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tracesift-ui-build-'));
  folders.push(folder);
  return folder;
}

/** A sources folder as ui/ is laid out; each file as given, or a working default. */
function sources(files: { main?: string; style?: string; page?: string | null } = {}): URL {
  const folder = tempFolder();
  mkdirSync(join(folder, 'src'));
  writeFileSync(
    join(folder, 'src', 'main.ts'),
    files.main ?? "import { label } from './label.ts';\ndocument.title = label(2);\n",
  );
  writeFileSync(
    join(folder, 'src', 'label.ts'),
    "export const label = (n: number): string => 'spans: ' + String(n);\n",
  );
  writeFileSync(join(folder, 'style.css'), files.style ?? 'body {\n  margin: 0;\n}\n');
  if (files.page !== null) writeFileSync(join(folder, 'index.html'), files.page ?? PAGE);
  return pathToFileURL(`${folder}/`);
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('buildUiAssets', () => {
  it("builds the project's UI: the page loads app.js as a module and app.css, below a relative base", async () => {
    // Act
    const files = await buildUiAssets();

    // Assess
    expect(Object.keys(files).sort()).toEqual(['app.css', 'app.js', 'index.html']);
    expect(files['index.html']).toMatch(/<base href="\.\/"\s*\/?>/);
    expect(files['index.html']).toContain('<script type="module" src="app.js">');
    expect(files['index.html']).toMatch(/<link rel="stylesheet" href="app\.css"\s*\/?>/);
    expect(files['app.js'].length).toBeGreaterThan(0);
    expect(files['app.css'].length).toBeGreaterThan(0);
    // Bundled: nothing left for the browser to import.
    expect(files['app.js']).not.toMatch(/\bimport\s*[{*"']|\bimport\(/);
  });

  it('bundles the entry and its imports for the browser, minified, and the stylesheet minified', async () => {
    // Act
    const files = await buildUiAssets(sources());

    // Assess
    expect(files['app.js']).toContain('spans: ');
    expect(files['app.js']).not.toContain('./label.ts');
    expect(files['app.js']).not.toContain(': number');
    expect(files['app.js']).not.toContain('sourceMappingURL');
    expect(files['app.css'].trim()).toBe('body{margin:0}');
    expect(files['index.html']).toBe(PAGE);
  });

  it.each([
    ['the base', PAGE.replace('<base href="./" />', ''), '<base href="./">'],
    ['the script', PAGE.replace('<script type="module" src="app.js"></script>', ''), 'src="app.js"'],
    ['a module script', PAGE.replace('type="module" ', ''), 'src="app.js"'],
    ['the stylesheet', PAGE.replace('<link rel="stylesheet" href="app.css" />', ''), 'href="app.css"'],
  ])('refuses a page without %s, naming it', async (_, page, missing) => {
    // Act
    const act = buildUiAssets(sources({ page }));

    // Assess
    await expect(act).rejects.toThrow(UiPageError);
    await expect(act).rejects.toThrow(missing);
  });

  it.each([
    ['a script that does not parse', { main: 'const = 1;' }, 'main.ts'],
    ['an import that does not resolve', { main: "import './missing.ts';" }, 'missing.ts'],
    ['a stylesheet import that does not resolve', { style: "@import './missing.css';" }, 'missing.css'],
    ['no page', { page: null }, 'index.html'],
  ])('fails with UiBuildError on %s, naming the file', async (_, files, file) => {
    // Act
    const act = buildUiAssets(sources(files));

    // Assess
    await expect(act).rejects.toThrow(UiBuildError);
    await expect(act).rejects.toThrow(file);
  });
});

describe('writeUiAssets', () => {
  it('writes the three files into a folder it creates', async () => {
    // Prepare
    const folder = join(tempFolder(), 'bundle', 'ui');

    // Act
    const written = await writeUiAssets(folder);

    // Assess
    expect(written.sort()).toEqual(['app.css', 'app.js', 'index.html'].map((name) => join(folder, name)));
    const built = await buildUiAssets();
    for (const name of ['app.css', 'app.js', 'index.html'] as const)
      expect(readFileSync(join(folder, name), 'utf8')).toBe(built[name]);
  });
});
