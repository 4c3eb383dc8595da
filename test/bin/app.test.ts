import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defined, testContext } from '../support/cdk.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface SynthesizedTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties: Record<string, unknown> }>;
  readonly Outputs: Record<string, unknown>;
}

/** Runs bin/app.ts as `cdk synth` would: context and output folder through the environment. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'tracesift-app-'));
  try {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(testContext(context)) },
    });
    const name = (context.stackName as string | undefined) ?? 'Tracesift';
    const template =
      result.status === 0
        ? (JSON.parse(readFileSync(join(outdir, `${name}.template.json`), 'utf8')) as SynthesizedTemplate)
        : undefined;
    return { status: result.status, stderr: result.stderr, template };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('bin/app.ts', () => {
  it('synthesizes one stack with the context overrides, passing cdk-nag', () => {
    // Act
    const { status, stderr, template } = runApp({
      stackName: 'TracesiftTest',
      streamMode: 'provisioned',
      shardCount: '3',
      parallelizationFactor: '2',
    });

    // Assess
    expect(stderr).not.toMatch(/Error/);
    expect(status).toBe(0);
    const resources = Object.values(defined(template).Resources);
    expect(defined(resources.find((r) => r.Type === 'AWS::Kinesis::Stream')).Properties.ShardCount).toBe(3);
    expect(
      defined(resources.find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).Properties
        .ParallelizationFactor,
    ).toBe(2);
    expect(Object.keys(defined(template).Outputs)).toEqual(
      expect.arrayContaining(['OtlpEndpoint', 'OtlpTracesEndpoint', 'ApiKeyId']),
    );
  });

  it('fails with the key and the problem when a context value is bad', () => {
    // Act
    const { status, stderr } = runApp({ streamMode: 'serverless' });

    // Assess
    expect(status).not.toBe(0);
    expect(stderr).toContain('context streamMode must be one of on-demand, provisioned (got "serverless")');
  });
});
