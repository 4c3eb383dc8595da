/**
 * The npm package as a user gets it (slow: about a minute; builds, packs and installs). `npm pack`
 * (whose prepack runs scripts/build-package.ts) makes the tarball; a throwaway CDK app installs it
 * offline from the npm cache next to aws-cdk-lib and constructs, type-checks against its
 * declarations, and synthesizes a stack with `import { TracePipeline } from 'tracesift'` on
 * Node 24, which strips no types inside node_modules: only the compiled JavaScript can run there.
 * Everything is made under one temporary folder, removed afterwards, as is dist/ if it was not there.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_WORKERS, PIPELINE_FUNCTION_NAMES } from '../../lib/pipeline-function.ts';
import { type Lockfile, offlineLock } from './offline-lock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_24 = join(ROOT, 'node_modules', '.bin', 'node');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
/** npm runs prepack with node_modules/.bin first on PATH, so the build runs on Node 24 too. */
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false' };

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly integrity: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
}

const CONSUMER_APP = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import { TracePipeline, type TracePipelineProps } from 'tracesift';

// Fails the type check if the declarations did not resolve (the props would be any).
// @ts-expect-error parallelizationFactor is a number
const wrong: TracePipelineProps = { parallelizationFactor: 'two' };
// @ts-expect-error a config key from the compiled config schema
const wrongConfig: TracePipelineProps = { config: { sampling: { baselineProbability: 'all' } } };
void wrong;
void wrongConfig;

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer');
new TracePipeline(stack, 'Tracing', { sampler: { timeout: Duration.minutes(1) } });
app.synth();
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2024',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  files: ['app.ts'],
};

let work: string;
let pack: PackResult;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let outdir: string;
const distExisted = existsSync(join(ROOT, 'dist'));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tracesift-pack-'));
  const [result] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: NPM_ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as PackResult[];
  pack = result as PackResult;

  const app = join(work, 'app');
  mkdirSync(app);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const version = (name: string) => repoLock.packages[`node_modules/${name}`]?.version as string;
  const dependencies = {
    [manifest.name]: `file:../${pack.filename}`,
    'aws-cdk-lib': version('aws-cdk-lib'),
    constructs: version('constructs'),
  };
  const lock = offlineLock(repoLock, {
    appName: 'consumer',
    dependencies,
    resolved: {
      [manifest.name]: {
        version: manifest.version,
        resolved: `file:../${pack.filename}`,
        integrity: pack.integrity,
        dependencies: manifest.dependencies,
        peerDependencies: manifest.peerDependencies,
      },
    },
    registry: execFileSync('npm', ['config', 'get', 'registry'], { env: NPM_ENV, encoding: 'utf8' }).trim(),
  });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock));
  writeFileSync(join(app, 'app.ts'), CONSUMER_APP);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: app,
    env: NPM_ENV,
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  execFileSync(TSC, ['-p', app], { stdio: 'inherit' });
  outdir = join(app, 'cdk.out');
  execFileSync(NODE_24, ['app.ts'], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  template = JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8'));
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (!distExisted) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
});

describe('the npm package (slow: build, pack, offline install, synth)', () => {
  it('holds the compiled constructs, the named queries and a bundle per function, and nothing else', () => {
    const paths = pack.files.map((file) => file.path);
    console.info(
      `tracesift package: ${pack.filename}, ${(pack.size / 1e6).toFixed(1)} MB packed, ` +
        `${(pack.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${paths.length} files`,
    );
    expect(paths.filter((path) => !path.startsWith('dist/'))).toEqual(
      expect.arrayContaining(['package.json', 'README.md']),
    );
    expect(
      paths.filter(
        (path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(path),
      ),
    ).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts']));
    for (const name of PIPELINE_FUNCTION_NAMES) {
      expect(paths).toContain(`dist/lambda-assets/${name}/index.mjs`);
      for (const worker of FUNCTION_WORKERS[name] ?? [])
        expect(paths).toContain(`dist/lambda-assets/${name}/${worker.file}`);
    }
    for (const file of ['index.html', 'app.js', 'app.css'])
      expect(paths).toContain(`dist/lambda-assets/query/ui/${file}`);
    expect(paths.some((path) => /^dist\/athena\/queries\/.+\.sql$/.test(path))).toBe(true);
    // No TypeScript to strip: Node refuses it inside node_modules.
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((path) => /(^|\/)(test|bench|local|demo|fixtures)\//.test(path))).toEqual([]);
  });

  it('synthesizes a TracePipeline in a fresh app, every function from its pre-bundled asset', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const ours = functions.filter((fn) => String(fn.Properties.Description ?? '').startsWith('tracesift'));
    expect(ours).toHaveLength(PIPELINE_FUNCTION_NAMES.length);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler' });
      expect(fn.Properties.Code).toMatchObject({ S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) });
    }
    const assetFolders = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'));
    const bundles = assetFolders.filter((folder) => existsSync(join(outdir, folder, 'index.mjs')));
    expect(bundles).toHaveLength(PIPELINE_FUNCTION_NAMES.length);
  });
});
