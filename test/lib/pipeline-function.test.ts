import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { rewriteInThread } from '../../lambdas/compaction/rewrite-thread.ts';
import { tableFormats } from '../../lambdas/storage/index.ts';
import { LambdaEnvironmentTooLargeError } from '../../lib/errors.ts';
import {
  FUNCTION_WORKERS,
  functionEntry,
  PipelineFunction,
  type PipelineFunctionProps,
} from '../../lib/pipeline-function.ts';
import { actionsOf, defined, logicalIdOf, statementsOf, testContext, testStack } from '../support/cdk.ts';
import { testConfig } from '../support/storage.ts';

const props: PipelineFunctionProps = {
  name: 'query',
  description: 'test function',
  memorySize: 256,
  timeout: Duration.seconds(3),
  environment: { TRACESIFT_CONFIG: '{}' },
  architecture: lambda.Architecture.X86_64,
  logRetention: logs.RetentionDays.TWO_WEEKS,
  removalPolicy: RemovalPolicy.DESTROY,
};

describe('PipelineFunction', () => {
  it('runs the handler entry on Node.js 24 with its own log group and retention', () => {
    // Prepare
    const stack = testStack();

    // Act
    const fn = new PipelineFunction(stack, 'Fn', props);

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Timeout: 3,
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: logicalIdOf(fn.logGroup) } },
      Environment: { Variables: { TRACESIFT_CONFIG: '{}', NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 14 },
    });
  });

  it('starts from an empty role: no managed policies, only writes to its own log group', () => {
    // Prepare
    const stack = testStack();

    // Act
    const fn = new PipelineFunction(stack, 'Fn', props);

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    expect(actionsOf(template, fn.role)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(defined(statementsOf(template, fn.role)[0]).Resource).toEqual({
      'Fn::GetAtt': [logicalIdOf(fn.logGroup), 'Arn'],
    });
  });

  it('fails synth when the environment would not fit in 4 KB', () => {
    // Act
    const act = () =>
      new PipelineFunction(testStack(), 'Fn', {
        ...props,
        environment: { TRACESIFT_CONFIG: 'x'.repeat(4050) },
      });

    // Assess
    expect(act).toThrow(LambdaEnvironmentTooLargeError);
    expect(act).toThrow(/Test\/Fn: .*largest variable is TRACESIFT_CONFIG/);
  });

  it('finds entries under lambdas/<name>/handler.ts unless the context names another folder', () => {
    // Prepare
    const stack = testStack();
    const plain = testStack({ 'tracesift:functionsRoot': undefined });

    // Act + Assess
    expect(functionEntry(stack, 'sampler')).toMatch(/test\/lib\/fixtures\/lambdas\/sampler\/handler\.ts$/);
    expect(functionEntry(plain, 'sampler')).toMatch(/\/lambdas\/sampler\/handler\.ts$/);
    expect(functionEntry(plain, 'sampler')).not.toContain('fixtures');
  });

  it('runs the commands after bundling in the bundle folder, given the project root (slow: bundles)', () => {
    // Prepare: bundling on for this stack (test apps skip it), the stand-in entry
    const app = new App({ context: testContext({ 'aws:cdk:bundling-stacks': ['**'] }) });
    const stack = new Stack(app, 'Bundled');
    const seen: string[] = [];

    // Act
    new PipelineFunction(stack, 'Fn', {
      ...props,
      afterBundling: (projectRoot, outputDir) => {
        seen.push(projectRoot);
        return [`echo built > '${join(outputDir, 'marker.txt')}'`];
      },
    });
    const assembly = app.synth();
    onTestFinished(() => rmSync(assembly.directory, { recursive: true, force: true }));

    // Assess
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    const bundles = assets.filter((name) =>
      readdirSync(join(assembly.directory, name)).includes('index.mjs'),
    );
    expect(bundles).toHaveLength(1);
    const bundle = join(assembly.directory, defined(bundles[0]));
    expect(readFileSync(join(bundle, 'marker.txt'), 'utf8')).toBe('built\n');
    // (CDK also asks for the Docker form of the commands, which local bundling never runs.)
    expect(seen).toContain(join(import.meta.dirname, '..', '..'));
  });

  it('bundles the worker threads a function starts beside its handler, and they run (slow: bundles)', async () => {
    // Prepare: bundling on for this stack (test apps skip it)
    const app = new App({ context: testContext({ 'aws:cdk:bundling-stacks': ['**'] }) });
    const stack = new Stack(app, 'Bundled');
    new PipelineFunction(stack, 'Fn', { ...props, name: 'compaction' });

    // Act
    const assembly = app.synth();
    onTestFinished(() => rmSync(assembly.directory, { recursive: true, force: true }));

    // Assess: the worker sits beside index.mjs and rewrites (an empty shard-hour) from its bundle
    const bundle = readdirSync(assembly.directory)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => join(assembly.directory, name))
      .find((dir) => readdirSync(dir).includes('index.mjs'));
    const files = readdirSync(defined(bundle));
    for (const worker of FUNCTION_WORKERS.compaction ?? []) expect(files).toContain(worker.file);
    const request = { inputs: [], formats: tableFormats(testConfig().storage), bucketBytes: 1 };
    const workerUrl = pathToFileURL(join(defined(bundle), 'rewrite-worker.mjs'));
    const result = await rewriteInThread(request, async () => new Uint8Array(), { workerUrl });
    expect(result).toEqual({ files: new Map(), buckets: 1, peakRowsHeld: 0 });
  });
});
