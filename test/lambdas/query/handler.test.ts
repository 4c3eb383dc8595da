import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MissingEnvironmentError } from '../../../lambdas/shared/config/index.ts';

describe('query Lambda entry point', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    vi.resetModules();
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('builds the handler from the environment', async () => {
    // Prepare
    Object.assign(process.env, { TRACESIFT_TABLE_NAME: 'traces', AWS_REGION: 'eu-west-1' });
    // Act
    const { handler } = await import('../../../lambdas/query/handler.ts');
    // Assess
    expect(typeof handler).toBe('function');
  });

  it('fails clearly without TRACESIFT_TABLE_NAME', async () => {
    // Prepare
    delete process.env.TRACESIFT_TABLE_NAME;
    // Act, Assess (modules are reset, so the error class is compared by name)
    await expect(import('../../../lambdas/query/handler.ts')).rejects.toMatchObject({
      name: MissingEnvironmentError.name,
      variable: 'TRACESIFT_TABLE_NAME',
    });
  });
});
