import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { InvalidPropError } from '../../lib/errors.ts';
import { TraceStream, type TraceStreamProps } from '../../lib/trace-stream.ts';
import { testStack } from '../support/cdk.ts';

function synth(props?: TraceStreamProps): Template {
  const stack = testStack();
  new TraceStream(stack, 'Stream', props);
  return Template.fromStack(stack);
}

describe('TraceStream', () => {
  it('defaults to an on-demand stream, 24 h retention, encrypted with the AWS-managed KMS key', () => {
    // Act
    const template = synth();

    // Assess
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      ShardCount: Match.absent(),
    });
    // Records are transient; a retained stream would bill by the hour after `cdk destroy`.
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });

  it('provisions the given shards and retention, encrypted with a customer key', () => {
    // Prepare
    const stack = testStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });

    // Act
    new TraceStream(stack, 'Stream', {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 4,
      retentionPeriod: Duration.hours(48),
      encryptionKey: key,
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 4,
      RetentionPeriodHours: 48,
      StreamEncryption: {
        EncryptionType: 'KMS',
        KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      },
    });
  });

  it.each([
    {
      case: 'retention of 23 hours',
      props: { retentionPeriod: Duration.hours(23) },
      message: /retentionPeriod must be from 1 day to 365 days/,
    },
    {
      case: 'retention equal to the minimum',
      props: { retentionPeriod: Duration.hours(24) },
      message: undefined,
    },
    {
      case: 'retention equal to the maximum',
      props: { retentionPeriod: Duration.days(365) },
      message: undefined,
    },
    {
      case: 'retention over the maximum',
      props: { retentionPeriod: Duration.days(366) },
      message: /retentionPeriod must be/,
    },
    {
      case: 'retention in part hours',
      props: { retentionPeriod: Duration.minutes(1530) },
      message: /whole number of hours/,
    },
    {
      case: 'shards on an on-demand stream',
      props: { shardCount: 2 },
      message: /shardCount applies only to a PROVISIONED stream/,
    },
    {
      case: 'provisioned without shards',
      props: { streamMode: kinesis.StreamMode.PROVISIONED },
      message: /shardCount is required/,
    },
    {
      case: 'zero shards',
      props: { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 0 },
      message: /shardCount must be an integer from 1/,
    },
    {
      case: 'one shard',
      props: { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 1 },
      message: undefined,
    },
  ])('validates props: $case', ({ props, message }) => {
    // Act
    const act = () => new TraceStream(testStack(), 'Stream', props as TraceStreamProps);

    // Assess
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });

  it('uses an existing stream, stating its retention, and creates none', () => {
    // Prepare
    const stack = testStack();
    const existingStream = kinesis.Stream.fromStreamArn(
      stack,
      'Shared',
      'arn:aws:kinesis:eu-west-1:111111111111:stream/shared-spans',
    );

    // Act
    const stated = new TraceStream(stack, 'Stated', { existingStream, retentionPeriod: Duration.hours(72) });
    const assumed = new TraceStream(stack, 'Assumed', { existingStream });

    // Assess
    // (A stack holding nothing would fail CloudFormation validation: the tree is checked instead.)
    expect(stack.node.findAll().filter((child) => child instanceof kinesis.CfnStream)).toEqual([]);
    expect(stated.stream).toBe(existingStream);
    expect(stated.retentionPeriod.toHours()).toBe(72);
    expect(stated.streamMode).toBeUndefined();
    // Unstated, the Kinesis minimum: the sampler's maxRecordAge check then errs on the safe side.
    expect(assumed.retentionPeriod.toHours()).toBe(24);
  });

  it.each([
    { prop: 'streamMode', value: kinesis.StreamMode.PROVISIONED },
    { prop: 'shardCount', value: 2 },
    { prop: 'removalPolicy', value: RemovalPolicy.RETAIN },
  ])('refuses $prop with an existing stream', ({ prop, value }) => {
    // Act
    const act = () => {
      const stack = testStack();
      const existingStream = kinesis.Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:eu-west-1:1:stream/s');
      return new TraceStream(stack, 'Stream', { existingStream, [prop]: value });
    };

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(new RegExp(`^Test/Stream: ${prop} applies only to a stream tracesift creates`));
  });

  it('refuses a key for an existing stream, whose encryption is its own', () => {
    // Prepare
    const stack = testStack();
    const existingStream = kinesis.Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:eu-west-1:1:stream/s');
    const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });

    // Act
    const act = () => new TraceStream(stack, 'Stream', { existingStream, encryptionKey });

    // Assess
    expect(act).toThrow(/Test\/Stream: encryptionKey applies only to a stream tracesift creates/);
  });

  it('names the construct path in errors', () => {
    expect(() => new TraceStream(testStack(), 'Stream', { shardCount: 1 })).toThrow(
      /^Test\/Stream: shardCount/,
    );
  });
});
