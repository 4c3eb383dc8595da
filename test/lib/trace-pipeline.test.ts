import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidPipelineConfigError, InvalidPropError } from '../../lib/errors.ts';
import { BUCKET_ENV_VAR, STREAM_ENV_VAR, TABLE_ENV_VAR } from '../../lib/function-environment.ts';
import { addPipelineOutputs } from '../../lib/pipeline-outputs.ts';
import { TracePipeline, type TracePipelineProps } from '../../lib/trace-pipeline.ts';
import {
  defined,
  logicalIdOf,
  type SynthesizedPipeline,
  synthPipeline,
  testStack,
  unacknowledgedNagFindings,
} from '../support/cdk.ts';

interface FunctionProperties {
  readonly Runtime: string;
  readonly Architectures: string[];
  readonly Environment: { readonly Variables: Record<string, unknown> };
}

function functionsOf(template: Template): FunctionProperties[] {
  return Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) => fn.Properties as FunctionProperties,
  );
}

/** Every optional feature on: the combination with the most resources for cdk-nag to judge. */
function everythingProps(stack: ReturnType<typeof testStack>): TracePipelineProps {
  return {
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    removalPolicy: RemovalPolicy.DESTROY,
    parallelizationFactor: 2,
    stream: {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 2,
      retentionPeriod: Duration.hours(48),
    },
    api: {
      webAclArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/otlp/abc',
      cloudWatchRole: false,
    },
    queryApi: { webAclArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/reads/abc' },
    traceStore: { pointInTimeRecovery: true },
    monitoring: {
      alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:111122223333:alarms'),
    },
  };
}

describe('TracePipeline', () => {
  let defaults: SynthesizedPipeline;
  beforeAll(() => {
    defaults = synthPipeline();
  });

  it('creates the four functions and the canary on Node.js 24 arm64, one stream, one table, two APIs (write, read)', () => {
    // Act
    const { template } = defaults;

    // Assess
    const functions = functionsOf(template);
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
    }
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::Athena::WorkGroup', 1);
  });

  it('retains the data by default, not the stream', () => {
    // Act
    const resources = Object.values(defaults.template.toJSON().Resources) as Array<{
      Type: string;
      DeletionPolicy?: string;
    }>;

    // Assess
    for (const resource of resources.filter((r) =>
      ['AWS::DynamoDB::Table', 'AWS::S3::Bucket'].includes(r.Type),
    )) {
      expect(resource.DeletionPolicy).toBe('Retain');
    }
    expect(resources.find((r) => r.Type === 'AWS::Kinesis::Stream')?.DeletionPolicy).toBe('Delete');
  });

  it('gives every function the same configuration, whose lanes equal the ParallelizationFactor', () => {
    // Act
    const { template } = synthPipeline({
      config: { sampling: { baselineProbability: 0.2 } },
      parallelizationFactor: 3,
    });

    // Assess
    // Every function but the canary, which only talks to the public endpoint
    const configured = functionsOf(template).filter((fn) => 'TRACESIFT_CONFIG' in fn.Environment.Variables);
    expect(configured).toHaveLength(4);
    const configs = new Set(configured.map((fn) => fn.Environment.Variables.TRACESIFT_CONFIG));
    expect([...configs]).toEqual([
      JSON.stringify({ sampling: { baselineProbability: 0.2 }, ingest: { lanes: 3 } }),
    ]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ParallelizationFactor: 3 });
  });

  it('fails synth on a bad configuration, naming the key', () => {
    // Act
    const act = () => synthPipeline({ config: { window: { batchingWindowSeconds: 301 } } });

    // Assess
    expect(act).toThrow(InvalidPipelineConfigError);
    expect(act).toThrow(
      /Test\/Pipeline: invalid tracesift configuration[\s\S]*window\.batchingWindowSeconds/,
    );
  });

  it('fails synth when the parallelization factor contradicts the configured lanes', () => {
    expect(() => synthPipeline({ config: { ingest: { lanes: 2 } }, parallelizationFactor: 4 })).toThrow(
      InvalidPropError,
    );
  });

  it('encrypts the stream, table, buckets and Athena results with the customer key when given one', () => {
    // Prepare
    const stack = testStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };

    // Act
    new TracePipeline(stack, 'Pipeline', { encryptionKey: key });

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: keyArn },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { KMSMasterKeyId: keyArn } });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: keyArn } },
      },
    });
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')).map((b) => b.Properties);
    const algorithms = buckets.map(
      (b) =>
        b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    );
    // Every bucket but the access-log bucket (S3 delivers server access logs only to SSE-S3).
    expect(algorithms.sort()).toEqual(['AES256', 'aws:kms', 'aws:kms', 'aws:kms']);
  });

  it('uses an existing stream, table and data bucket instead of creating them', () => {
    // Prepare
    const stack = testStack();
    const existingStream = kinesis.Stream.fromStreamArn(
      stack,
      'SharedStream',
      'arn:aws:kinesis:eu-west-1:111111111111:stream/shared-spans',
    );
    const tableKey = kms.Key.fromKeyArn(
      stack,
      'TableKey',
      'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555',
    );
    const existingTable = dynamodb.Table.fromTableAttributes(stack, 'SharedTable', {
      tableName: 'shared-traces',
      encryptionKey: tableKey,
    });
    const existingDataBucket = s3.Bucket.fromBucketName(stack, 'SharedData', 'shared-trace-data');

    // Act
    const pipeline = new TracePipeline(stack, 'Pipeline', {
      existingStream,
      existingTable,
      existingDataBucket,
    });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    // Access logs, failed batches and Athena results; no data bucket.
    template.resourceCountIs('AWS::S3::Bucket', 3);
    expect(pipeline.traceStream.stream).toBe(existingStream);
    expect(pipeline.traceStore.table).toBe(existingTable);
    expect(pipeline.analyticsStore.bucket).toBe(existingDataBucket);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [STREAM_ENV_VAR]: 'shared-spans',
          [TABLE_ENV_VAR]: 'shared-traces',
          [BUCKET_ENV_VAR]: 'shared-trace-data',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: existingStream.streamArn,
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: { StorageDescriptor: { Location: Match.stringLikeRegexp('^s3://shared-trace-data/') } },
    });
    // Granted the imported table's key, as with a table tracesift creates.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt']), Resource: tableKey.keyArn }),
        ]),
      },
    });
  });

  it.each([
    {
      case: 'a stream mode for an existing stream',
      props: (stack: Stack): TracePipelineProps => ({
        existingStream: kinesis.Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:eu-west-1:1:stream/s'),
        stream: { streamMode: kinesis.StreamMode.ON_DEMAND },
      }),
      message: /Pipeline\/Stream: streamMode applies only to a stream tracesift creates/,
    },
    {
      case: 'point-in-time recovery for an existing table',
      props: (stack: Stack): TracePipelineProps => ({
        existingTable: dynamodb.Table.fromTableName(stack, 'T', 'shared-traces'),
        traceStore: { pointInTimeRecovery: true },
      }),
      message: /Pipeline\/TraceStore: pointInTimeRecovery applies only to a table tracesift creates/,
    },
  ])('refuses props that configure a new resource with an existing one: $case', ({ props, message }) => {
    // Act (a new stack each time: the assertions below each build a pipeline)
    const act = () => {
      const stack = testStack();
      return new TracePipeline(stack, 'Pipeline', props(stack));
    };

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(message);
  });

  it('uses x86_64 when asked', () => {
    const { template } = synthPipeline({ architecture: lambda.Architecture.X86_64 });
    for (const fn of functionsOf(template)) expect(fn.Architectures).toEqual(['x86_64']);
  });

  it('outputs the OTLP endpoints and the API key id', () => {
    // Prepare
    const stack = testStack();
    const pipeline = new TracePipeline(stack, 'Pipeline');

    // Act
    addPipelineOutputs(stack, pipeline);

    // Assess
    const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'OtlpEndpoint',
        'OtlpTracesEndpoint',
        'ApiKeyId',
        'AthenaWorkGroup',
        'GlueDatabase',
        'DataBucket',
        'TraceStream',
        'CanaryFunction',
      ]),
    );
    expect(defined(outputs.ApiKeyId).Value).toEqual({ Ref: logicalIdOf(pipeline.ingestApi.apiKey) });
    expect(JSON.stringify(defined(outputs.OtlpTracesEndpoint).Value)).toContain('/v1/traces');
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged finding with the defaults', () => {
      expect(unacknowledgedNagFindings((stack) => new TracePipeline(stack, 'Pipeline'))).toEqual([]);
    });

    it('has no unacknowledged finding with every option on', () => {
      expect(
        unacknowledgedNagFindings((stack) => new TracePipeline(stack, 'Pipeline', everythingProps(stack))),
      ).toEqual([]);
    });

    it('reports a finding nobody acknowledged (the check can fail)', () => {
      // Prepare: a bucket outside the pipeline, without TLS enforcement or access logs.
      const findings = unacknowledgedNagFindings((stack) => {
        new TracePipeline(stack, 'Pipeline');
        new s3.Bucket(stack, 'Loose');
      });

      // Assess
      expect(findings.map((f) => f.rule)).toEqual(
        expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
      );
      expect(findings.every((f) => f.paths.every((p) => p.startsWith('Nag/Loose')))).toBe(true);
    });
  });
});
