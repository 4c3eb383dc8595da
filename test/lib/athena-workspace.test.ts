import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import {
  AthenaWorkspace,
  type AthenaWorkspaceProps,
  MIN_BYTES_SCANNED_CUTOFF,
} from '../../lib/athena-workspace.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { accessLogsBucket } from '../../lib/pipeline-bucket.ts';
import { defined, logicalIdOf, testStack } from '../support/cdk.ts';

const query = { name: 'Slow traces', description: 'the slowest traces of the last hour', sql: 'SELECT 1' };

function synth(
  props: Partial<AthenaWorkspaceProps> = {},
  options: { key?: boolean; removalPolicy?: RemovalPolicy } = {},
) {
  const stack = testStack();
  const logsBucket = accessLogsBucket(stack, 'AccessLogs', {
    retention: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const key = options.key ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
  const workspace = new AthenaWorkspace(stack, 'Athena', {
    databaseName: 'tracesift',
    buckets: {
      accessLogsBucket: logsBucket,
      removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(key ? { encryptionKey: key } : {}),
    },
    ...props,
  });
  return {
    workspace,
    key, // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

describe('AthenaWorkspace', () => {
  it('enforces its result location, SSE-S3 encryption and a 10 GiB cutoff per query', () => {
    // Act
    const { template, workspace } = synth();

    // Assess
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'tracesift',
      State: 'ENABLED',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: {
            'Fn::Join': ['', ['s3://', { Ref: logicalIdOf(workspace.resultsBucket) }, '/results/']],
          },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'athena-results/' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) },
    });
  });

  it('encrypts results with the customer key when given one', () => {
    // Act
    const { template, key } = synth({}, { key: true });

    // Assess
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        ResultConfiguration: {
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [logicalIdOf(defined(key)), 'Arn'] },
          },
        },
      },
    });
  });

  it('creates each named query in the workgroup and database', () => {
    // Act
    const { template } = synth({
      workGroupName: 'traces-prod',
      namedQueries: [query, { ...query, name: 'Errors by service', sql: 'SELECT 2' }],
    });

    // Assess
    template.resourceCountIs('AWS::Athena::NamedQuery', 2);
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'Slow traces',
      Database: 'tracesift',
      WorkGroup: 'traces-prod',
      QueryString: 'SELECT 1',
    });
  });

  it.each([
    {
      case: 'cutoff equal to 10 MB',
      props: { bytesScannedCutoffPerQuery: MIN_BYTES_SCANNED_CUTOFF },
      message: undefined,
    },
    {
      case: 'cutoff under 10 MB',
      props: { bytesScannedCutoffPerQuery: MIN_BYTES_SCANNED_CUTOFF - 1 },
      message: /bytesScannedCutoffPerQuery must be an integer from 10485760/,
    },
    {
      case: 'workgroup name with a space',
      props: { workGroupName: 'my traces' },
      message: /workGroupName must be 1 to 128 characters/,
    },
    {
      case: 'two queries with one name',
      props: { namedQueries: [query, query] },
      message: /namedQueries\[1\]\.name must be unique/,
    },
    {
      case: 'an empty query',
      props: { namedQueries: [{ ...query, sql: '  ' }] },
      message: /namedQueries\[0\]\.sql must be 1 to 262,144 characters/,
    },
    {
      case: 'a query name of 129 characters',
      props: { namedQueries: [{ ...query, name: 'q'.repeat(129) }] },
      message: /namedQueries\[0\]\.name must be 1 to 128 characters/,
    },
  ])('validates props: $case', ({ props, message }) => {
    const act = () => synth(props as Partial<AthenaWorkspaceProps>);
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });
});
