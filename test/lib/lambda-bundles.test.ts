/**
 * What goes into the Lambda bundles: every function entry bundled with esbuild's API using the
 * options of lib/pipeline-function.ts (cdk synth uses the same local esbuild), and the metafile's
 * inputs checked. The local stand-ins and their old dependencies (kinesalite, dynalite, s3rver,
 * leveldown and friends) are development-only and must never reach a Lambda; neither must the
 * local pipeline, the test support, the benchmark code, the seeded workload or the named-query
 * loader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_WORKERS } from '../../lib/pipeline-function.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = readdirSync(join(ROOT, 'lambdas'), { withFileTypes: true })
  .filter((dir) => dir.isDirectory() && readdirSync(join(ROOT, 'lambdas', dir.name)).includes('handler.ts'))
  .map((dir) => dir.name)
  .sort();

/** Packages that only the local stand-ins need (s3rver, dynalite and kinesalite pull these in). */
const FORBIDDEN_PACKAGES = [
  'kinesalite',
  'dynalite',
  's3rver',
  'leveldown',
  'levelup',
  'level',
  'memdown',
  'classic-level',
  'abstract-leveldown',
  'koa',
  '@duckdb/node-api',
  '@opentelemetry/sdk-trace',
  'aws-sdk-client-mock',
  'vitest',
  'fast-check',
];
const FORBIDDEN_SOURCES = ['local/', 'test/', 'bench/', 'demo/', 'workload/', 'athena/'];

/** Every bundle a function ships: its handler's and those of the worker threads it starts. */
const BUNDLES = [
  ...ENTRIES.map((name) => ({ name, source: `lambdas/${name}/handler.ts` })),
  ...Object.values(FUNCTION_WORKERS)
    .flat()
    .map((worker) => ({ name: worker.file, source: `lambdas/${worker.entry}` })),
];

const inputs = new Map<string, string[]>();

beforeAll(async () => {
  for (const { name, source } of BUNDLES) {
    const result = await build({
      entryPoints: [join(ROOT, source)],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      external: ['protobufjs'],
      logLevel: 'silent',
    });
    inputs.set(name, Object.keys((result.metafile as Metafile).inputs));
  }
}, 120_000);

function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [scope, name] = input.slice(at + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : scope;
}

describe('Lambda bundles', () => {
  it('bundles every function entry', () => {
    expect(ENTRIES).toEqual(expect.arrayContaining(['ingest', 'sampler', 'query', 'compaction']));
    for (const entry of ENTRIES) expect(inputs.get(entry)?.length).toBeGreaterThan(10);
  });

  it.each(BUNDLES)(
    '$name: no stand-in, test, benchmark or local-only package or source',
    ({ name, source }) => {
      const files = inputs.get(name) ?? [];
      const packages = new Set(files.map(packageOf).filter((p): p is string => p !== undefined));
      expect([...packages].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
      const ownSources = files.filter((f) => !f.includes('node_modules/'));
      expect(ownSources.filter((f) => FORBIDDEN_SOURCES.some((prefix) => f.startsWith(prefix)))).toEqual([]);
      // Sanity: the check looks at real inputs (the function's own sources are there).
      expect(ownSources).toContain(source);
    },
  );

  it('uses only the declared runtime dependencies and what they depend on', () => {
    const allowed = dependencyClosure(Object.keys(packageJson(ROOT).dependencies ?? {}));
    const bundled = new Set(
      [...inputs.values()]
        .flat()
        .map(packageOf)
        .filter((p): p is string => p !== undefined),
    );
    expect([...bundled].filter((p) => !allowed.has(p))).toEqual([]);
  });

  it('would notice a stand-in: a bundle of the Kinesis stand-in holds kinesalite', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'local', 'standins', 'kinesis.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const packages = Object.keys((result.metafile as Metafile).inputs).map(packageOf);
    expect(packages).toContain('kinesalite');
  });
});

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

function packageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The declared packages and, transitively, everything they depend on (as installed). */
function dependencyClosure(declared: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...declared];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = join(ROOT, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = packageJson(dir);
    queue.push(
      ...Object.keys({
        ...manifest.dependencies,
        ...manifest.optionalDependencies,
        ...manifest.peerDependencies,
      }),
    );
  }
  return seen;
}
