/** The hash redaction keys' secret: only when a rule hashes, readable by ingest alone, nag-clean. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENV } from '../../lambdas/shared/config/index.ts';
import { TracePipeline } from '../../lib/trace-pipeline.ts';
import { logicalIdOf, synthPipeline, unacknowledgedNagFindings } from '../support/cdk.ts';

const hashing = {
  redaction: { keys: [{ key: 'enduser', action: 'hash' as const }], hashKeys: { current: 'k7' } },
};

describe('RedactionKeys', () => {
  it('is not created when no rule hashes', () => {
    const { template, pipeline } = synthPipeline();
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(pipeline.redactionKeys).toBeUndefined();
  });

  it('generates the current key, and gives its ARN and read access to ingest only', () => {
    // Act
    const { template, pipeline } = synthPipeline({ config: hashing });

    // Assess
    const secret = pipeline.redactionKeys?.secret;
    expect(secret).toBeDefined();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'k7', PasswordLength: 64 },
    });
    const secretRef = { Ref: logicalIdOf(secret as NonNullable<typeof secret>) };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [FUNCTION_ENV.REDACTION_KEYS_SECRET]: secretRef }) },
    });
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
    );
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0]?.Properties.Roles)).toContain(
      logicalIdOf(
        pipeline.ingestApi.ingestFunction.role as NonNullable<typeof pipeline.ingestApi.ingestFunction.role>,
      ),
    );
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(
      unacknowledgedNagFindings((stack) => new TracePipeline(stack, 'Pipeline', { config: hashing })),
    ).toEqual([]);
  });
});
