/**
 * Modules are imported through their entry, never their internals. The shared modules below each
 * have an `index.ts` that names their public API; the rule, checked over the import graph of every
 * .ts file of the repository:
 *
 * - a file inside a module imports the module's other files directly;
 * - a test of a module's internals, under `test/` at the module's mirrored path (e.g.
 *   test/lambdas/storage/parquet/ for lambdas/storage/), may import that module's internals, and
 *   only that module's;
 * - everything else imports a module only through its entry. lambdas/storage has two: `index.ts`
 *   for the functions, the local pipeline, the tools and the tests, and the light
 *   `layout/index.ts` (names, keys and table definitions, no I/O) that lib/ must use instead, so
 *   synth loads none of the storage engine;
 * - an entry only re-exports (no statements of its own), so a function's bundle keeps only what it
 *   uses of a module.
 *
 * Specifiers are read with a pattern rather than a parser: Biome formats every source, so a
 * static import or re-export starts a line and its specifier is single-quoted.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = [
  'athena',
  'bench',
  'bin',
  'demo',
  'lambdas',
  'lib',
  'local',
  'replay',
  'scripts',
  'test',
  'ui',
  'workload',
];

const STORAGE = 'lambdas/storage';
/** Each module's directory and its entries (paths inside it). */
const MODULES: ReadonlyMap<string, readonly string[]> = new Map([
  ['lambdas/shared/config', ['index.ts']],
  ['lambdas/shared/metrics', ['index.ts']],
  ['lambdas/shared/otlp', ['index.ts']],
  ['lambdas/shared/record', ['index.ts']],
  ['lambdas/shared/routing', ['index.ts']],
  ['lambdas/shared/stream', ['index.ts']],
  [STORAGE, ['index.ts', 'layout/index.ts']],
]);

const SPECIFIER =
  /^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|^import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm;

function sourceFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative specifiers of a source, resolved to repository paths. */
function importsOf(file: string, text: string): { specifier: string; target: string }[] {
  return [...text.matchAll(SPECIFIER)]
    .map((match) => (match[1] ?? match[2] ?? match[3]) as string)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ specifier, target: posix.normalize(posix.join(posix.dirname(file), specifier)) }));
}

function moduleOf(path: string): string | undefined {
  return [...MODULES.keys()].find((dir) => path.startsWith(`${dir}/`));
}

/** The entry `file` must import module `dir` through. */
function entryFor(file: string, dir: string): string {
  if (dir === STORAGE) return file.startsWith('lib/') ? `${STORAGE}/layout/index.ts` : `${STORAGE}/index.ts`;
  return `${dir}/index.ts`;
}

/** `file: 'specifier'` for every import that reaches into a module other than through its entry. */
function deepImports(sources: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of sources) {
    for (const { specifier, target } of importsOf(file, text)) {
      const dir = moduleOf(target);
      if (dir === undefined || file.startsWith(`${dir}/`) || file.startsWith(`test/${dir}/`)) continue;
      const entry = entryFor(file, dir);
      if (target !== entry) found.push(`${file}: '${specifier}' (import ${entry} instead)`);
    }
  }
  return found;
}

/** The statements of an entry that are not re-exports (comments and blank lines aside). */
function entryStatements(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return code
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && !/^export (type )?\{[^}]*\} from '[^']+'$/.test(statement));
}

// This file only names deep imports, in its own table of cases.
const SELF = 'test/structure.test.ts';
const sources = new Map(
  SOURCE_DIRS.flatMap(sourceFiles)
    .filter((file) => file !== SELF)
    .map((file) => [file, readFileSync(join(ROOT, file), 'utf8')] as const),
);

describe('module structure', () => {
  it('imports every shared module through its entry, never its internals', () => {
    // Sanity: the graph is read (the functions import the modules, through their entries).
    const intoModules = [...sources].flatMap(([file, text]) =>
      importsOf(file, text).filter(({ target }) => moduleOf(target) !== undefined),
    );
    expect(intoModules.length).toBeGreaterThan(100);
    expect(deepImports(sources)).toEqual([]);
  });

  it.each([...MODULES].flatMap(([dir, entries]) => entries.map((entry) => `${dir}/${entry}`)))(
    '%s only re-exports',
    (entry) => {
      const text = sources.get(entry);
      expect(text, `${entry} exists`).toBeDefined();
      expect(entryStatements(text as string)).toEqual([]);
    },
  );

  it.each([
    [
      'a function reaching into a module',
      'lambdas/ingest/x.ts',
      "import { a } from '../shared/otlp/decode.ts';",
    ],
    [
      'a tool reaching into storage',
      'local/x.ts',
      "import type { A } from '../lambdas/storage/dynamodb/trace-table.ts';",
    ],
    [
      'lib taking the storage engine',
      'lib/x.ts',
      "import { TRACE_TABLE } from '../lambdas/storage/index.ts';",
    ],
    [
      'lib reaching into the layout',
      'lib/x.ts',
      "import {\n  a,\n} from '../lambdas/storage/layout/tables.ts';",
    ],
    ['a re-export of internals', 'bench/x.ts', "export { a } from '../lambdas/shared/record/codec.ts';"],
    [
      'a dynamic import of internals',
      'test/x.test.ts',
      "await import('../lambdas/shared/stream/put-records.ts');",
    ],
    [
      'a test reaching into another module',
      'test/lambdas/storage/x.test.ts',
      "import { a } from '../../../lambdas/shared/otlp/wire.ts';",
    ],
  ])('would notice %s', (_, file, text) => {
    expect(deepImports(new Map([[file, text]]))).toHaveLength(1);
  });

  it.each([
    [
      'a module importing its own files',
      'lambdas/storage/trace-store.ts',
      "import { a } from './parquet/store.ts';",
    ],
    [
      'a test of internals',
      'test/lambdas/storage/parquet/x.test.ts',
      "import { a } from '../../../../lambdas/storage/parquet/rows.ts';",
    ],
    ['an import through the entry', 'local/x.ts', "import { a } from '../lambdas/storage/index.ts';"],
    ['lib through the light entry', 'lib/x.ts', "import { a } from '../lambdas/storage/layout/index.ts';"],
    ['a file outside the modules', 'local/x.ts', "import { a } from '../lambdas/shared/log.ts';"],
  ])('allows %s', (_, file, text) => {
    expect(deepImports(new Map([[file, text]]))).toEqual([]);
  });

  it('would notice an entry with a statement of its own', () => {
    expect(entryStatements("/** API. */\nexport { a } from './a.ts';\nexport const b = 1;\n")).toEqual([
      'export const b = 1',
    ]);
  });
});
