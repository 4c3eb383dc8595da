import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { parseConfig, type TracesiftConfigInput } from '../../lambdas/shared/config/index.ts';
import { BUCKET_PREFIXES } from '../../lambdas/storage/index.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { accessLogsBucket } from '../../lib/pipeline-bucket.ts';
import { resolvePipelineConfig } from '../../lib/pipeline-config.ts';
import {
  SAMPLER_DOCUMENTS_PREFIX,
  SAMPLER_RESERVED_CONCURRENCY,
  Sampler,
  type SamplerProps,
} from '../../lib/sampler.ts';
import { TraceStream } from '../../lib/trace-stream.ts';
import { actionsOf, logicalIdOf, statementsOf, testStack } from '../support/cdk.ts';

interface Options {
  readonly props?: Partial<SamplerProps>;
  readonly config?: TracesiftConfigInput;
  readonly parallelizationFactor?: number;
  readonly retention?: Duration;
}

function synth(options: Options = {}) {
  const stack: Stack = testStack();
  const stream = new TraceStream(
    stack,
    'Stream',
    options.retention ? { retentionPeriod: options.retention } : {},
  );
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'trace_id', type: dynamodb.AttributeType.STRING },
  });
  const dataBucket = new s3.Bucket(stack, 'Data');
  const logsBucket = accessLogsBucket(stack, 'AccessLogs', {
    retention: Duration.days(30),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const sampler = new Sampler(stack, 'Sampler', {
    stream: stream.stream,
    streamRetention: stream.retentionPeriod,
    table,
    dataBucket,
    config: resolvePipelineConfig(stack, options.config, options.parallelizationFactor),
    buckets: { accessLogsBucket: logsBucket, removalPolicy: RemovalPolicy.RETAIN },
    architecture: lambda.Architecture.ARM_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...options.props,
  });
  return {
    stack,
    stream,
    table,
    dataBucket,
    sampler, // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

const defaults = parseConfig({});
const defaultSettleSeconds = defaults.storage.compaction.settleMinutes * 60;
/** The default trace timeout plus the default sampler timeout (2 minutes). */
const latestWriteWithoutAge = defaults.sampling.traceTimeoutSeconds + 120;

describe('Sampler', () => {
  it('reads the stream with the configured batching, bisect, bounded retries, and an S3 on-failure destination', () => {
    // Act
    const { template, stream, sampler } = synth({ config: { window: { batchingWindowSeconds: 7 } } });

    // Assess
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stream.stream), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(sampler.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 7,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      TumblingWindowInSeconds: Match.absent(),
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(sampler.failedBatchesBucket), 'Arn'] } },
      },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('sets ParallelizationFactor to the lanes ingest routes to', () => {
    // Act
    const { template } = synth({ config: { ingest: { lanes: 4 } } });

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ParallelizationFactor: 4 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TRACESIFT_CONFIG: JSON.stringify({ ingest: { lanes: 4 } }) } },
    });
  });

  it('takes tuned batch size, retries and record age', () => {
    // Act
    const { template } = synth({
      props: {
        batchSize: 10_000,
        retryAttempts: 0,
        maxRecordAge: Duration.minutes(1),
        memorySize: 3008,
        timeout: Duration.minutes(5),
      },
    });

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10_000,
      MaximumRetryAttempts: 0,
      MaximumRecordAgeInSeconds: 60,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 3008,
      Timeout: 300,
      Runtime: 'nodejs24.x',
    });
  });

  it('gives the function the stream, table, bucket and config it reads', () => {
    // Act
    const { template, stream, table, dataBucket } = synth();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TRACESIFT_STREAM_NAME: { Ref: logicalIdOf(stream.stream) },
          TRACESIFT_TABLE_NAME: { Ref: logicalIdOf(table) },
          TRACESIFT_BUCKET_NAME: { Ref: logicalIdOf(dataBucket) },
          TRACESIFT_CONFIG: JSON.stringify({ ingest: { lanes: 1 } }),
        },
      },
    });
  });

  it('grants objects of the data bucket only under data/, tables/ and the two state/ prefixes', () => {
    // Act
    const { template, sampler, dataBucket, stream } = synth();

    // Assess
    const dataArn = { 'Fn::GetAtt': [logicalIdOf(dataBucket), 'Arn'] };
    const role = sampler.function.role;
    const objectResources = statementsOf(template, role)
      .flatMap((s) => [s.Resource].flat())
      .filter((r) => JSON.stringify(r).includes(logicalIdOf(dataBucket)));
    expect(objectResources).toEqual(
      expect.arrayContaining([
        { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.data}*`]] },
        { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.tables}*`]] },
        { 'Fn::Join': ['', [dataArn, `/${SAMPLER_DOCUMENTS_PREFIX}*`]] },
        { 'Fn::Join': ['', [dataArn, `/${BUCKET_PREFIXES.pendingState}*`]] },
      ]),
    );
    const allowed = [
      dataArn,
      ...[
        BUCKET_PREFIXES.data,
        BUCKET_PREFIXES.tables,
        SAMPLER_DOCUMENTS_PREFIX,
        BUCKET_PREFIXES.pendingState,
      ].map((p) => ({ 'Fn::Join': ['', [dataArn, `/${p}*`]] })),
    ];
    for (const resource of objectResources) expect(allowed).toContainEqual(resource);
    // Reads the stream through the mapping, re-puts deferred traces, lists shards to route them.
    const streamActions = statementsOf(template, role)
      .filter(
        (s) =>
          JSON.stringify(s.Resource) ===
          JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stream.stream), 'Arn'] }),
      )
      .flatMap((s) => [s.Action].flat());
    expect(streamActions).toEqual(
      expect.arrayContaining(['kinesis:GetRecords', 'kinesis:PutRecords', 'kinesis:ListShards']),
    );
    expect(actionsOf(template, role)).not.toContain('s3:*');
  });

  it('reserves 10 concurrent executions for the sampler by default, a given number, or none with 0', () => {
    // Act
    const byDefault = synth().template;
    const given = synth({ props: { reservedConcurrentExecutions: 40 } }).template;
    const none = synth({ props: { reservedConcurrentExecutions: 0 } }).template;

    // Assess
    expect(SAMPLER_RESERVED_CONCURRENCY).toBe(10);
    byDefault.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: SAMPLER_RESERVED_CONCURRENCY,
    });
    given.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 40 });
    for (const fn of Object.values(none.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('gives the failed-batches destination only PutObject and ListBucket', () => {
    // Act
    const { template, sampler } = synth();

    // Assess
    const failed = logicalIdOf(sampler.failedBatchesBucket);
    const actions = statementsOf(template, sampler.function.role)
      .filter((s) => JSON.stringify(s.Resource).includes(failed))
      .flatMap((s) => [s.Action].flat())
      .sort();
    expect(actions).toEqual(['s3:ListBucket', 's3:PutObject']);
  });

  it('keeps failed batches in a private, TLS-only, expiring bucket', () => {
    // Act
    const { template, sampler } = synth({ props: { failedBatchRetention: Duration.days(14) } });

    // Assess
    const id = logicalIdOf(sampler.failedBatchesBucket);
    const bucket = template.toJSON().Resources[id];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: 'failed-batches/' },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 14, Status: 'Enabled' })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each([
    {
      case: 'record age equal to the stream retention',
      options: { props: { maxRecordAge: Duration.hours(24) } },
      message: /maxRecordAge must be shorter than the stream retention \(1 day\)/,
    },
    {
      case: 'record age that, with the trace timeout and sampler timeout, reaches the settle time',
      options: { props: { maxRecordAge: Duration.seconds(defaultSettleSeconds - latestWriteWithoutAge) } },
      message:
        /maxRecordAge plus sampling\.traceTimeoutSeconds and the sampler timeout .* must be shorter than storage\.compaction\.settleMinutes/,
    },
    {
      case: 'record age one second inside the settle time',
      options: {
        props: { maxRecordAge: Duration.seconds(defaultSettleSeconds - latestWriteWithoutAge - 1) },
      },
      message: undefined,
    },
    {
      case: 'a long record age allowed by a longer settle time',
      options: {
        config: { storage: { compaction: { settleMinutes: 600 } } },
        props: { maxRecordAge: Duration.hours(9) },
      },
      message: undefined,
    },
    {
      case: 'record age under a minute',
      options: { props: { maxRecordAge: Duration.seconds(59) } },
      message: /maxRecordAge must be from 1 minute to 7 days/,
    },
    {
      case: 'batch size 0',
      options: { props: { batchSize: 0 } },
      message: /batchSize must be an integer from 1 to 10000/,
    },
    {
      case: 'batch size over 10,000',
      options: { props: { batchSize: 10_001 } },
      message: /batchSize must be an integer/,
    },
    {
      case: 'negative retries',
      options: { props: { retryAttempts: -1 } },
      message: /retryAttempts must be an integer from 0 to 10000/,
    },
    {
      case: 'timeout over 15 minutes',
      options: { props: { timeout: Duration.minutes(16) } },
      message: /timeout must be from 1 second to 15 minutes/,
    },
    {
      case: 'memory over 10,240 MB',
      options: { props: { memorySize: 10_241 } },
      message: /memorySize must be an integer from 128 to 10240/,
    },
  ])('validates props: $case', ({ options, message }) => {
    const act = () => synth(options as Options);
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });
});
