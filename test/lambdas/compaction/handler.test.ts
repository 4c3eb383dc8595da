import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError, MissingEnvironmentError } from '../../../lambdas/shared/config/index.ts';

describe('compaction Lambda entry point', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    vi.resetModules();
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('builds the handler from the environment', async () => {
    // Prepare
    Object.assign(process.env, { TRACESIFT_BUCKET_NAME: 'data', AWS_REGION: 'eu-west-1' });
    delete process.env.TRACESIFT_CONFIG;
    // Act
    const { handler } = await import('../../../lambdas/compaction/handler.ts');
    // Assess
    expect(typeof handler).toBe('function');
  });

  it('fails clearly without TRACESIFT_BUCKET_NAME', async () => {
    // Prepare
    delete process.env.TRACESIFT_BUCKET_NAME;
    // Act, Assess (modules are reset, so the error class is compared by name)
    await expect(import('../../../lambdas/compaction/handler.ts')).rejects.toMatchObject({
      name: MissingEnvironmentError.name,
      variable: 'TRACESIFT_BUCKET_NAME',
    });
  });

  it('fails clearly on a bad storage section in TRACESIFT_CONFIG', async () => {
    // Prepare
    Object.assign(process.env, {
      TRACESIFT_BUCKET_NAME: 'data',
      TRACESIFT_CONFIG: JSON.stringify({ storage: { compaction: { settleMinutes: 1 } } }),
    });
    // Act, Assess
    await expect(import('../../../lambdas/compaction/handler.ts')).rejects.toMatchObject({
      name: InvalidConfigError.name,
      issues: [expect.stringContaining('storage.compaction.settleMinutes')],
    });
  });
});
