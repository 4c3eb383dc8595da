/**
 * The one way tracesift builds a Lambda function: Node.js 24, bundled by the locally installed
 * esbuild (no Docker), its own log group with a retention, and a role that starts empty and gets
 * every permission through a grant, so each function's policy shows exactly what it touches.
 *
 * In this repository a function is bundled from its sources at synth time (NodejsFunction). The
 * npm package instead ships each function pre-bundled (scripts/build-package.ts, with the same
 * options) in `lambda-assets/<name>/` beside its compiled `lib/`: a user's app then needs neither
 * the function sources, nor their dependencies, nor this project's lock file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { checkEnvironmentSize } from './lambda-environment.ts';
import { checkInteger } from './validation.ts';

/** The repository root: the functions' entries live under it in `lambdas/`. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the package keeps the pre-bundled functions (`<name>/index.mjs`). Only the built package
 * has this folder (`dist/lambda-assets/`, beside `dist/lib/`); from lib/ in the repository it
 * names a folder that does not exist, so development always bundles the sources.
 */
const BUNDLED_FUNCTIONS_DIRECTORY = fileURLToPath(new URL('../lambda-assets/', import.meta.url));

const SOURCE_MAP_OPTIONS = '--enable-source-maps';

/** The function folders under `lambdas/`, each with a `handler.ts` exporting `handler`. */
export const PIPELINE_FUNCTION_NAMES = ['ingest', 'sampler', 'query', 'compaction', 'canary'] as const;
export type PipelineFunctionName = (typeof PIPELINE_FUNCTION_NAMES)[number];

/**
 * How every function is bundled, in esbuild's terms: NodejsFunction passes these at synth time and
 * scripts/build-package.ts when it pre-bundles the package's functions, so both builds match.
 */
export const FUNCTION_BUNDLING = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  // Dependencies still written as CommonJS call require(); ESM output has none of its own.
  banner:
    "import { createRequire as __tracesiftRequire } from 'node:module'; const require = __tracesiftRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // @datadog/sketches-js requires protobufjs only inside toProto/fromProto, which tracesift
  // never calls (the sampler encodes its sketches itself, lambdas/sampler/state), and
  // protobufjs is not installed: left out, the bundle still builds and never needs it.
  external: ['protobufjs'],
} as const;

/**
 * Worker-thread scripts a function starts (an entry under `lambdas/`), bundled beside its
 * index.mjs under the name it loads them by: compaction rewrites a shard-hour in a thread of its
 * own (lambdas/compaction/rewrite-thread.ts).
 */
export const FUNCTION_WORKERS: Partial<
  Record<PipelineFunctionName, readonly { readonly entry: string; readonly file: string }[]>
> = {
  compaction: [{ entry: 'compaction/rewrite-worker.ts', file: 'rewrite-worker.mjs' }],
};

/** The file a bundle's handler is in (NodejsFunction's name for ESM output): `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * Context key naming another folder of function entries (`<folder>/<name>/handler.ts`); tests
 * point it at stubs while a function's handler is still being written.
 */
export const FUNCTIONS_ROOT_CONTEXT = 'tracesift:functionsRoot';

/** Path of a function's entry (`lambdas/<name>/handler.ts`). */
export function functionEntry(scope: Construct, name: PipelineFunctionName): string {
  const root = scope.node.tryGetContext(FUNCTIONS_ROOT_CONTEXT) as string | undefined;
  return join(root ?? join(PROJECT_ROOT, 'lambdas'), name, 'handler.ts');
}

/** Settings every function shares; TracePipeline passes the same ones to all of its functions. */
export interface FunctionDefaults {
  /** Instruction set of every function. Graviton (arm64) costs about 20% less per GB-second. */
  readonly architecture: lambda.Architecture;
  /** How long function logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log groups when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

export interface PipelineFunctionProps extends FunctionDefaults {
  readonly name: PipelineFunctionName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Concurrency reserved for the function (and its cap); 0 or absent reserves none, leaving the
   * function in the account's unreserved pool. (Lambda's own 0 would throttle every invocation.)
   * @default - no reserved concurrency (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Shell commands run once esbuild has bundled the function from its sources, given the project
   * root and the bundle's folder (NodejsFunction's afterBundling hook): files the handler reads
   * beside index.mjs go in there. The npm package's pre-bundled functions already hold such files
   * (scripts/build-package.ts), so these do not run for them.
   * @default - none
   */
  readonly afterBundling?: (projectRoot: string, outputDir: string) => string[];
}

/**
 * An upper bound for typos only: the real one is the account's limit less the 100 Lambda keeps
 * unreserved, known at deploy time, when a larger reservation fails.
 */
export const MAX_RESERVED_CONCURRENCY = 100_000;

/** Checks a reserved concurrency prop: an integer from 0 (none) to MAX_RESERVED_CONCURRENCY. */
export function checkReservedConcurrency(scope: Construct, value: number): number {
  return checkInteger(scope, 'reservedConcurrentExecutions', value, 0, MAX_RESERVED_CONCURRENCY);
}

/** A tracesift Lambda function with its log group and role. */
export class PipelineFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    // Stack traces name source lines, not minified columns. Measured here: loading the 800 KB
    // ingest bundle took a median 254 ms with source maps on against 235 ms off (5 runs), a cold
    // start cost worth paying for readable errors.
    const environment = { ...props.environment, NODE_OPTIONS: SOURCE_MAP_OPTIONS };
    checkEnvironmentSize(this, environment);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // No AWSLambdaBasicExecutionRole: the managed policy would allow writing to any log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `tracesift ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    const settings: lambda.FunctionOptions = {
      architecture: props.architecture,
      memorySize: props.memorySize,
      timeout: props.timeout,
      description: props.description,
      environment,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrentExecutions
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    };
    const bundled = bundledFunction(this, props.name);
    this.function = bundled
      ? new lambda.Function(this, 'Function', {
          ...settings,
          code: lambda.Code.fromAsset(bundled),
          handler: 'index.handler',
          runtime: lambda.Runtime.NODEJS_24_X,
        })
      : sourceFunction(this, props.name, settings, props.afterBundling);
  }
}

/**
 * The pre-bundled function folder of the package, if this is the package and no functions-root
 * context asks for other entries.
 */
function bundledFunction(scope: Construct, name: PipelineFunctionName): string | undefined {
  if (scope.node.tryGetContext(FUNCTIONS_ROOT_CONTEXT) !== undefined) return undefined;
  const folder = join(BUNDLED_FUNCTIONS_DIRECTORY, name);
  return existsSync(join(folder, BUNDLE_FILE)) ? folder : undefined;
}

/** The function bundled from its entry by NodejsFunction at synth time. */
function sourceFunction(
  scope: PipelineFunction,
  name: PipelineFunctionName,
  settings: lambda.FunctionOptions,
  afterBundling: PipelineFunctionProps['afterBundling'],
): lambda.Function {
  const lockFile = join(PROJECT_ROOT, 'package-lock.json');
  return new nodejs.NodejsFunction(scope, 'Function', {
    ...settings,
    entry: functionEntry(scope, name),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    ...(existsSync(lockFile) ? { depsLockFilePath: lockFile } : {}),
    runtime: lambda.Runtime.NODEJS_24_X,
    awsSdkConnectionReuse: false,
    bundling: {
      // Local esbuild only: `cdk synth` must work offline without Docker.
      forceDockerBundling: false,
      format: nodejs.OutputFormat.ESM,
      target: FUNCTION_BUNDLING.target,
      mainFields: [...FUNCTION_BUNDLING.mainFields],
      banner: FUNCTION_BUNDLING.banner,
      minify: FUNCTION_BUNDLING.minify,
      sourceMap: FUNCTION_BUNDLING.sourceMap,
      sourcesContent: FUNCTION_BUNDLING.sourcesContent,
      // The SDK version that passed the tests is the one deployed, not whatever the runtime ships.
      bundleAwsSDK: true,
      externalModules: [...FUNCTION_BUNDLING.external],
      ...(afterBundling || FUNCTION_WORKERS[name]
        ? {
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (projectRoot: string, outputDir: string) => [
                ...workerBuild(name, projectRoot, outputDir),
                ...(afterBundling?.(projectRoot, outputDir) ?? []),
              ],
            },
          }
        : {}),
    },
  });
}

/** A shell command line of `words`, each single-quoted. */
export function shellCommand(words: readonly string[]): string {
  return words.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
}

/** Commands bundling the worker scripts of a function beside its bundle (scripts/bundle-entry.ts). */
function workerBuild(name: PipelineFunctionName, projectRoot: string, outputDir: string): string[] {
  const script = join(projectRoot, 'scripts', 'bundle-entry.ts');
  return (FUNCTION_WORKERS[name] ?? []).map((worker) =>
    shellCommand([
      process.execPath,
      script,
      join(projectRoot, 'lambdas', worker.entry),
      join(outputDir, worker.file),
    ]),
  );
}
