/**
 * CDK apps for tests: the feature flags of cdk.json (what `cdk synth` uses), bundling skipped
 * (the assertions read templates, not bundles), and cdk-nag's AwsSolutions findings as data.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { FUNCTIONS_ROOT_CONTEXT } from '../../lib/pipeline-function.ts';
import { TracePipeline, type TracePipelineProps } from '../../lib/trace-pipeline.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The context of cdk.json, so tests see the feature flags a deploy uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** Context for test apps: cdk.json's flags, no bundling, stand-in function entries. */
export function testContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...cdkJsonContext(),
    'aws:cdk:bundling-stacks': [],
    [FUNCTIONS_ROOT_CONTEXT]: join(ROOT, 'test', 'lib', 'fixtures', 'lambdas'),
    ...extra,
  };
}

export function testStack(context: Record<string, unknown> = {}): Stack {
  const app = new App({ context: testContext(context) });
  return new Stack(app, 'Test');
}

export interface SynthesizedPipeline {
  readonly stack: Stack;
  readonly pipeline: TracePipeline;
  readonly template: Template;
}

export function synthPipeline(props: TracePipelineProps = {}): SynthesizedPipeline {
  const stack = testStack();
  const pipeline = new TracePipeline(stack, 'Pipeline', props);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

export interface NagViolation {
  readonly rule: string;
  readonly severity: string;
  readonly paths: readonly string[];
}

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath: string }>;
    }>;
  }>;
}

/**
 * Runs cdk-nag's AwsSolutions pack over an app built by `build` and returns the findings nobody
 * acknowledged (errors and warnings). CDK fails synthesis when there are any and writes them to
 * validation-report.json, which is read back here.
 */
export function unacknowledgedNagFindings(build: (stack: Stack) => void): NagViolation[] {
  const outdir = mkdtempSync(join(tmpdir(), 'tracesift-nag-'));
  try {
    const app = new App({ outdir, context: testContext() });
    build(new Stack(app, 'Nag'));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
      return [];
    } catch (error) {
      let report: ValidationReport;
      try {
        report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
      } catch {
        throw error;
      }
      return report.pluginReports.flatMap((plugin) =>
        plugin.violations.map((violation) => ({
          rule: violation.ruleName,
          severity: violation.severity,
          paths: violation.violatingConstructs.map((c) => c.constructPath),
        })),
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of every inline policy attached to `role` (as CDK grants write them). */
export function statementsOf(template: Template, role: iam.IRole | undefined): PolicyStatement[] {
  const cfnRole = defined(role, 'role').node.defaultChild as iam.CfnRole;
  const logicalId = Stack.of(cfnRole).resolve(cfnRole.logicalId) as string;
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === logicalId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

/** Every action `role` is allowed, flattened and sorted. */
export function actionsOf(template: Template, role: iam.IRole | undefined): string[] {
  return statementsOf(template, role)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .sort();
}

/** The logical id CloudFormation gives `construct`'s default resource. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(resource).resolve(resource.logicalId) as string;
}

/** `value`, or a failed test naming what is missing (instead of a non-null assertion). */
export function defined<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be defined`);
  return value;
}
