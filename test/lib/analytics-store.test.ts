import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { TracesiftConfigInput } from '../../lambdas/shared/config/index.ts';
import {
  ANALYTICS_TABLES,
  BUCKET_PREFIXES,
  GLUE_DATABASE_DEFAULT,
  ORPHANED_PENDING_EXPIRY_DAYS,
  tablePrefix,
} from '../../lambdas/storage/index.ts';
import { AnalyticsStore, type AnalyticsStoreProps, parquetExpiryDays } from '../../lib/analytics-store.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { accessLogsBucket } from '../../lib/pipeline-bucket.ts';
import { resolvePipelineConfig } from '../../lib/pipeline-config.ts';
import { defined, logicalIdOf, statementsOf, testStack } from '../support/cdk.ts';

interface Options {
  readonly props?: Partial<AnalyticsStoreProps>;
  readonly config?: TracesiftConfigInput;
  readonly withKey?: boolean;
}

function synth(options: Options = {}) {
  const stack = testStack();
  const logsBucket = accessLogsBucket(stack, 'AccessLogs', {
    retention: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const key = options.withKey ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
  const store = new AnalyticsStore(stack, 'Analytics', {
    config: resolvePipelineConfig(stack, options.config, undefined),
    buckets: {
      accessLogsBucket: logsBucket,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(key ? { encryptionKey: key } : {}),
    },
    architecture: lambda.Architecture.ARM_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...options.props,
  });
  return {
    stack,
    store,
    key,
    logsBucket,
    // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

describe('AnalyticsStore', () => {
  it('keeps Parquet in an encrypted, TLS-only, private, access-logged bucket', () => {
    // Act
    const { template, store, logsBucket } = synth();

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

  it('expires manifests after storage.analyticsRetentionDays and Parquet files after them', () => {
    // Act
    const { template, store } = synth({
      config: { storage: { analyticsRetentionDays: 45, compaction: { lookbackHours: 49 } } },
    });

    // Assess
    expect(store.retentionDays).toBe(45);
    const bucket = template.toJSON().Resources[logicalIdOf(store.bucket)];
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        expect.objectContaining({ Prefix: BUCKET_PREFIXES.tables, ExpirationInDays: 45, Status: 'Enabled' }),
        expect.objectContaining({
          Prefix: BUCKET_PREFIXES.data,
          ExpirationInDays: 45 + 3 + 1,
          Status: 'Enabled',
        }),
        expect.objectContaining({
          Prefix: BUCKET_PREFIXES.pendingState,
          ExpirationInDays: ORPHANED_PENDING_EXPIRY_DAYS,
          Status: 'Enabled',
        }),
      ]),
    );
  });

  it.each([
    { lookbackHours: 1, expected: 32 },
    { lookbackHours: 24, expected: 32 },
    { lookbackHours: 25, expected: 33 },
    { lookbackHours: 48, expected: 33 },
  ])(
    'keeps Parquet files $expected days with a $lookbackHours h compaction lookback',
    ({ lookbackHours, expected }) => {
      expect(parquetExpiryDays(30, lookbackHours)).toBe(expected);
    },
  );

  it('encrypts with the customer key and bucket keys when given one', () => {
    // Act
    const { template, key } = synth({ withKey: true });

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

  it('registers a Glue table per analytics table over the bucket, partitions projected over the retention', () => {
    // Act
    const { template, store } = synth({ config: { storage: { analyticsRetentionDays: 10 } } });

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
            'projection.dt.range': 'NOW-11DAYS,NOW',
            'storage.location.template': {
              'Fn::Join': [
                '',
                [
                  's3://',
                  { Ref: logicalIdOf(store.bucket) },
                  `/${tablePrefix(table.name)}dt=\${dt}/hour=\${hour}/`,
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

  it('adds the configured promoted attribute columns to the spans table', () => {
    // Act
    const { template } = synth({
      config: { storage: { promotedAttributes: [{ column: 'tenant_id', attributes: ['tenant.id'] }] } },
    });

    // Assess
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: 'spans',
        StorageDescriptor: {
          Columns: Match.arrayWith([Match.objectLike({ Name: 'tenant_id', Type: 'string' })]),
        },
      },
    });
  });

  it('runs compaction hourly at minute 15 with read, write and delete on data/ and tables/ only', () => {
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
      MemorySize: 1024,
      Environment: {
        Variables: {
          TRACESIFT_BUCKET_NAME: { Ref: logicalIdOf(store.bucket) },
          TRACESIFT_CONFIG: '{"ingest":{"lanes":1}}',
          NODE_OPTIONS: '--enable-source-maps',
          MALLOC_ARENA_MAX: '1',
          MALLOC_TRIM_THRESHOLD_: '262144',
        },
      },
    });
    const dataArn = { 'Fn::GetAtt': [logicalIdOf(store.bucket), 'Arn'] };
    const bucketStatements = statementsOf(template, store.compactionFunction.role).filter((s) =>
      JSON.stringify(s.Resource).includes(logicalIdOf(store.bucket)),
    );
    expect(bucketStatements.flatMap((s) => [s.Action].flat())).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject']),
    );
    expect(bucketStatements.flatMap((s) => [s.Action].flat()).some((a) => a.includes('*'))).toBe(false);
    const allowed = [
      dataArn,
      { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.data}*`]] },
      { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.tables}*`]] },
    ];
    for (const resource of bucketStatements.flatMap((s) => [s.Resource].flat())) {
      expect(allowed).toContainEqual(resource);
    }
  });

  it('takes a custom schedule, database name and compaction size', () => {
    // Act
    const { template } = synth({
      props: {
        compactionSchedule: events.Schedule.rate(Duration.hours(2)),
        databaseName: 'traces_prod',
        compactionMemorySize: 1024,
        compactionTimeout: Duration.minutes(5),
      },
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
      case: 'memory over 10,240 MB',
      props: { compactionMemorySize: 10_241 },
      message: /compactionMemorySize must be an integer from 128 to 10240/,
    },
    {
      case: 'compaction timeout over 15 minutes',
      props: { compactionTimeout: Duration.minutes(16) },
      message: /compactionTimeout must be from 1 second to 15 minutes/,
    },
    {
      case: 'compaction timeout of exactly 15 minutes',
      props: { compactionTimeout: Duration.minutes(15) },
      message: undefined,
    },
  ])('validates props: $case', ({ props, message }) => {
    const act = () => synth({ props: props as Partial<AnalyticsStoreProps> });
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });
});
