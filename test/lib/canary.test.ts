/** The canary construct: its schedule, the one call it may make, its alarms, its props checked first. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { CanaryEnv } from '../../lambdas/canary/environment.ts';
import { Canary, type CanaryProps } from '../../lib/canary.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { TracePipeline } from '../../lib/trace-pipeline.ts';
import { logicalIdOf, synthPipeline, testStack } from '../support/cdk.ts';

function synth(props: Partial<CanaryProps> = {}) {
  const stack = testStack();
  const api = new apigateway.RestApi(stack, 'Api');
  api.root.addMethod('POST');
  const apiKey = api.addApiKey('Key');
  const queryApi = new apigateway.RestApi(stack, 'QueryApi');
  queryApi.root.addMethod('GET');
  const queryApiKey = queryApi.addApiKey('Key');
  const canary = new Canary(stack, 'Canary', {
    ingestStage: api.deploymentStage,
    ingestApiKey: apiKey,
    queryStage: queryApi.deploymentStage,
    queryApiKey,
    architecture: lambda.Architecture.ARM_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  return { stack, canary, apiKey, queryApi, queryApiKey, template: Template.fromStack(stack) };
}

describe('Canary', () => {
  it('runs on a schedule with both endpoints, both key ids and the deadline; reads only those keys', () => {
    // Act
    const { template, apiKey, queryApi, queryApiKey } = synth({
      interval: Duration.minutes(10),
      readDeadline: Duration.minutes(3),
    });

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 210,
      MemorySize: 128,
      Environment: {
        Variables: Match.objectLike({
          [CanaryEnv.INGEST_API_KEY_ID]: { Ref: logicalIdOf(apiKey) },
          [CanaryEnv.QUERY_API_KEY_ID]: { Ref: logicalIdOf(queryApiKey) },
          [CanaryEnv.READ_DEADLINE_MS]: '180000',
          [CanaryEnv.INGEST_ENDPOINT]: Match.anyValue(),
          // Reads go to the query API's stage, not the ingest API's
          [CanaryEnv.QUERY_ENDPOINT]: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(queryApi) }])],
          }),
        }),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } })
          .PolicyDocument.Statement,
    );
    const apiGateway = statements.filter((s) => JSON.stringify(s.Action).includes('apigateway'));
    expect(apiGateway).toHaveLength(1);
    expect(apiGateway[0]?.Action).toBe('apigateway:GET');
    const resources = apiGateway[0]?.Resource as unknown[];
    expect(resources).toHaveLength(2);
    expect(JSON.stringify(resources[0])).toContain(`/apikeys/`);
    expect(JSON.stringify(resources[0])).toContain(logicalIdOf(apiKey));
    expect(JSON.stringify(resources[1])).toContain(`/apikeys/`);
    expect(JSON.stringify(resources[1])).toContain(logicalIdOf(queryApiKey));
  });

  it('alarms on a lost trace, on silence (missing data breaches) and on delay', () => {
    // Act
    const { template } = synth({ delayThreshold: Duration.seconds(45) });

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CanaryTracesLost',
      Dimensions: [{ Name: 'Function', Value: 'canary' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CanaryTracesSent',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CanaryReadLatency',
      Statistic: 'Maximum',
      Threshold: 45_000,
    });
  });

  it.each([
    ['interval', { interval: Duration.seconds(30) }],
    ['readDeadline', { readDeadline: Duration.minutes(11) }],
    ['delayThreshold', { readDeadline: Duration.minutes(1), delayThreshold: Duration.minutes(2) }],
  ])('refuses an out-of-range %s before creating anything', (prop, props) => {
    const act = () => synth(props);
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(new RegExp(prop));
  });
});

describe('TracePipeline canary', () => {
  it('is on by default, on the API stage and key, its alarms sent to the alarm topic', () => {
    // Prepare
    const stack = testStack();
    const alarmTopic = new sns.Topic(stack, 'Topic');

    // Act
    const pipeline = new TracePipeline(stack, 'Pipeline', { monitoring: { alarmTopic } });

    // Assess
    expect(pipeline.canary?.alarms).toHaveLength(3);
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', {
      Properties: { Dimensions: [{ Name: 'Function', Value: 'canary' }] },
    });
    expect(Object.keys(alarms)).toHaveLength(3);
    for (const alarm of Object.values(alarms))
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalIdOf(alarmTopic) }]);
  });

  it('can be turned off, and must be with a baseline of 0', () => {
    const off = synthPipeline({ canary: false, config: { sampling: { baselineProbability: 0 } } });
    expect(off.pipeline.canary).toBeUndefined();
    expect(
      Object.keys(
        off.template.findResources('AWS::Events::Rule', {
          Properties: { Description: 'tracesift: runs the canary' },
        }),
      ),
    ).toEqual([]);
    const act = () => synthPipeline({ config: { sampling: { baselineProbability: 0 } } });
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(/canary must be false when config.sampling.baselineProbability is 0/);
  });
});
