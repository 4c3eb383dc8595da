import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MissingEnvironmentError } from '../../../lambdas/shared/config/index.ts';

const ENV = {
  TRACESIFT_STREAM_NAME: 'traces',
  TRACESIFT_TABLE_NAME: 'traces-table',
  TRACESIFT_BUCKET_NAME: 'traces-bucket',
  AWS_REGION: 'eu-west-1',
};

describe('sampler Lambda entry point', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    vi.resetModules();
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('builds the handler from the environment', async () => {
    // Prepare
    Object.assign(process.env, ENV);

    // Act
    const { handler } = await import('../../../lambdas/sampler/handler.ts');

    // Assess
    expect(typeof handler).toBe('function');
  });

  it.each(Object.keys(ENV).filter((k) => k.startsWith('TRACESIFT_')))(
    'fails clearly without %s',
    async (name) => {
      // Prepare
      Object.assign(process.env, ENV);
      delete process.env[name];

      // Act / Assess (modules are reset, so the error class is compared by name)
      await expect(import('../../../lambdas/sampler/handler.ts')).rejects.toMatchObject({
        name: MissingEnvironmentError.name,
        variable: name,
      });
    },
  );
});
