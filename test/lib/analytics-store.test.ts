import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { BUCKET_PREFIXES, GLUE_DATABASE_DEFAULT } from '../../lambdas/shared/storage/layout.ts';
import { ANALYTICS_TABLES } from '../../lambdas/shared/storage/tables.ts';
import { AnalyticsStore, type AnalyticsStoreProps } from '../../lib/analytics-store.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { accessLogsBucket } from '../../lib/pipeline-bucket.ts';
import { defined, logicalIdOf, statementsOf, testStack } from '../support/cdk.ts';

function synth(props: Partial<AnalyticsStoreProps> = {}, withKey = false) {
  const stack = testStack();
  const logsBucket = accessLogsBucket(stack, 'AccessLogs', {
    retention: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const key = withKey ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
  const store = new AnalyticsStore(stack, 'Analytics', {
    configJson: '{}',
    buckets: {
      accessLogsBucket: logsBucket,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(key ? { encryptionKey: key } : {}),
    },
    architecture: lambda.Architecture.ARM_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  return {
    stack,
    store,
    key,
    logsBucket, // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

describe('AnalyticsStore', () => {
  it('keeps Parquet in an encrypted, TLS-only, private, access-logged bucket that expires tables/', () => {
    // Act
    const { template, store, logsBucket } = synth({ retention: Duration.days(45) });

    // Assess
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalIdOf(logsBucket) },
          LogFilePrefix: 'data/',
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
            Match.objectLike({ Prefix: BUCKET_PREFIXES.tables, ExpirationInDays: 45, Status: 'Enabled' }),
          ]),
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(store.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts with the customer key and bucket keys when given one', () => {
    // Act
    const { template, key } = synth({}, true);

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(defined(key)), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  it('registers a Glue table per analytics table, with partition projection over the data bucket', () => {
    // Act
    const { template, store } = synth();

    // Assess
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: GLUE_DATABASE_DEFAULT } });
    template.resourceCountIs('AWS::Glue::Table', ANALYTICS_TABLES.length);
    for (const table of ANALYTICS_TABLES) {
      template.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: GLUE_DATABASE_DEFAULT,
        TableInput: {
          Name: table.name,
          Parameters: {
            'projection.enabled': 'true',
            'storage.location.template': {
              'Fn::Join': [
                '',
                [
                  's3://',
                  { Ref: logicalIdOf(store.bucket) },
                  `/tables/${table.name}/dt=\${dt}/hour=\${hour}/`,
                ],
              ],
            },
          },
          StorageDescriptor: {
            Columns: Match.arrayWith([Match.objectLike({ Name: defined(table.columns[0]).name })]),
          },
        },
      });
    }
  });

  it('runs compaction hourly at minute 15 with read, write and delete on tables/ only', () => {
    // Act
    const { template, store } = synth();

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(15 * * * ? *)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(store.compactionFunction), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      MemorySize: 3008,
      Environment: {
        Variables: { TRACESIFT_BUCKET_NAME: { Ref: logicalIdOf(store.bucket) }, TRACESIFT_CONFIG: '{}' },
      },
    });
    const dataArn = { 'Fn::GetAtt': [logicalIdOf(store.bucket), 'Arn'] };
    const objectStatements = statementsOf(template, store.compactionFunction.role).filter((s) =>
      JSON.stringify(s.Resource).includes(logicalIdOf(store.bucket)),
    );
    const actions = objectStatements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['s3:GetObject*', 's3:List*', 's3:PutObject', 's3:DeleteObject*']),
    );
    for (const statement of objectStatements) {
      for (const resource of [statement.Resource].flat()) {
        expect([dataArn, { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.tables}*`]] }]).toContainEqual(
          resource,
        );
      }
    }
  });

  it('takes a custom schedule, database name and compaction size', () => {
    // Act
    const { template } = synth({
      compactionSchedule: events.Schedule.rate(Duration.hours(2)),
      databaseName: 'traces_prod',
      compactionMemorySize: 1024,
      compactionTimeout: Duration.minutes(5),
    });

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 hours)' });
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'traces_prod' } });
    template.hasResourceProperties('AWS::Glue::Table', { DatabaseName: 'traces_prod' });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 300 });
  });

  it.each([
    {
      case: 'database name with capitals',
      props: { databaseName: 'Traces' },
      message: /databaseName must be 1 to 255 characters of lower-case letters, digits and _/,
    },
    {
      case: 'database name with a hyphen',
      props: { databaseName: 'my-traces' },
      message: /databaseName must be/,
    },
    {
      case: 'retention under a day',
      props: { retention: Duration.hours(23) },
      message: /retention must be from 1 day/,
    },
    {
      case: 'retention in part days',
      props: { retention: Duration.hours(36) },
      message: /retention \(in days\) must be an integer/,
    },
    { case: 'retention of exactly a day', props: { retention: Duration.days(1) }, message: undefined },
    {
      case: 'compaction timeout over 15 minutes',
      props: { compactionTimeout: Duration.minutes(16) },
      message: /compactionTimeout must be from 1 second to 15 minutes/,
    },
  ])('validates props: $case', ({ props, message }) => {
    const act = () => synth(props as Partial<AnalyticsStoreProps>);
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });
});
