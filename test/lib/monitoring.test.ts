import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metrics/index.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import {
  CONSERVATION_EXPRESSION,
  CONSERVATION_MIN_SPANS,
  INGEST_METRICS,
  SAMPLER_METRICS,
} from '../../lib/monitoring.ts';
import { TracePipeline } from '../../lib/trace-pipeline.ts';
import { defined, logicalIdOf, type SynthesizedPipeline, synthPipeline, testStack } from '../support/cdk.ts';
import { emittedMetrics } from '../support/metric-emissions.ts';

function alarmsOf(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
}

function dashboardBody(template: Template): string {
  const dashboard = defined(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
  // The body is a Fn::Join of literal JSON and tokens; the literal parts hold the metric names.
  return JSON.stringify(dashboard.Properties.DashboardBody);
}

describe('PipelineMonitoring', () => {
  let synthesized: SynthesizedPipeline;
  beforeAll(() => {
    synthesized = synthPipeline();
  });

  it('alarms on sampler lag, given-up records, dead-lettered and lost pending spans, API 5xx and sampler errors', () => {
    // Act
    const alarms = alarmsOf(synthesized.template);

    // Assess
    const { pipeline, template } = synthesized;
    // Eight of the pipeline's own, and the canary's (lib/canary.ts, tested there)
    expect(alarms).toHaveLength(8 + (pipeline.canary?.alarms.length ?? 0));
    // The read API's 5xx are watched on its own stage
    const lookups = alarms.filter((alarm) => String(alarm.AlarmDescription).includes('trace lookups'));
    expect(lookups).toHaveLength(1);
    const apiNames = [pipeline.ingestApi.api, pipeline.queryApi.api].map((api) => api.restApiName);
    expect(new Set(apiNames).size).toBe(2);
    expect(lookups[0]?.Dimensions).toEqual(
      expect.arrayContaining([{ Name: 'ApiName', Value: pipeline.queryApi.api.restApiName }]),
    );
    const [mappingId] = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: Duration.minutes(5).toMilliseconds(),
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(pipeline.sampler.function) } }],
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(delivered, 0) + FILL(dropped, 0) + FILL(deliveryFailures, 0)' }),
        Match.objectLike({
          Id: 'delivered',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'OnFailureDestinationDeliveredEventCount',
              Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId } }],
            },
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: {
              Namespace: METRICS_NAMESPACE,
              MetricName: SAMPLER_METRICS.deadLettered,
              Dimensions: [{ Name: 'Function', Value: 'sampler' }],
            },
            Period: 300,
            Stat: 'Sum',
          },
        }),
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: METRICS_NAMESPACE,
              MetricName: SAMPLER_METRICS.pendingLost,
              Dimensions: [{ Name: 'Function', Value: 'sampler' }],
            },
          }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Threshold: 0.01,
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: { Ref: logicalIdOf(pipeline.ingestApi.stage) } }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(pipeline.sampler.function) } }],
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toBeUndefined();
      // An idle pipeline is healthy; only the canary's Silent alarm treats missing data as breaching
      if (JSON.stringify(alarm.Dimensions ?? []).includes('"canary"')) continue;
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('alarms when accepted spans stay unaccounted for, two hours in a row, above the tolerance', () => {
    // Act
    const { template } = synthesized;

    // Assess
    const hourly = (id: string, name: string, fn: string) =>
      Match.objectLike({
        Id: id,
        MetricStat: Match.objectLike({
          Metric: {
            Namespace: METRICS_NAMESPACE,
            MetricName: name,
            Dimensions: [{ Name: 'Function', Value: fn }],
          },
          Period: 3600,
          Stat: 'Sum',
        }),
      });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.1,
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: CONSERVATION_EXPRESSION.replace('minSpans', String(CONSERVATION_MIN_SPANS)),
        }),
        hourly('accepted', 'SpansAccepted', 'ingest'),
        hourly('kept', 'SpansKept', 'sampler'),
        hourly('dropped', 'SpansDropped', 'sampler'),
        hourly('deadLettered', 'SpansDeadLettered', 'sampler'),
        hourly('duplicates', 'DuplicateSpans', 'sampler'),
      ]),
    });
    expect(dashboardBody(template)).toContain('Span conservation');
  });

  it('graphs and alarms on no tracesift metric that no function emits', () => {
    // Prepare
    const { template } = synthesized;
    const emitted = emittedMetrics();

    // Act: the tracesift-namespace metric names of every alarm and of the dashboard
    const alarmNames = JSON.stringify(alarmsOf(template)).matchAll(
      /"Namespace":"tracesift","MetricName":"([A-Za-z0-9]+)"|"MetricName":"([A-Za-z0-9]+)","Namespace":"tracesift"/g,
    );
    const body = dashboardBody(template);
    const graphed = body.matchAll(/\\"tracesift\\",\\"([A-Za-z0-9]+)\\"/g);
    const searched = body.matchAll(/MetricName=\\\\\\"([A-Za-z0-9]+)\\\\\\"/g);
    const used = new Set(
      [...alarmNames, ...graphed, ...searched].map((match) => (match[1] ?? match[2]) as string),
    );

    // Assess
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !emitted.has(name as never))).toEqual([]);
  });

  it("graphs the functions' own counters, decisions by policy, and AWS throttles", () => {
    // Act
    const body = dashboardBody(synthesized.template);

    // Assess
    for (const name of [...INGEST_METRICS.spans, ...INGEST_METRICS.stream, ...SAMPLER_METRICS.spans]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
    for (const status of INGEST_METRICS.errorStatuses) expect(body).toContain(`Responses${status}`);
    for (const name of SAMPLER_METRICS.byPolicy.filter((n) => n.startsWith('Traces'))) {
      expect(body).toContain(
        `SEARCH('{${METRICS_NAMESPACE},Function,Policy} Function=\\\\\\"sampler\\\\\\" MetricName=\\\\\\"${name}\\\\\\"'`,
      );
    }
    for (const name of [
      'IteratorAge',
      'WriteProvisionedThroughputExceeded',
      'ReadProvisionedThroughputExceeded',
      'PutRecords.ThrottledRecords',
      'ReadThrottleEvents',
      'WriteThrottleEvents',
      'Throttles',
      'Errors',
    ]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
  });

  it('notifies the alarm topic when an alarm fires and when it clears', () => {
    // Prepare
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Alarms');

    // Act
    new TracePipeline(stack, 'Pipeline', { monitoring: { alarmTopic: topic } });

    // Assess
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    // The pipeline's eight and the canary's three: every one notifies
    expect(alarms).toHaveLength(11);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
      expect(alarm.OKActions).toEqual([{ Ref: logicalIdOf(topic) }]);
    }
  });

  it.each([
    {
      case: 'error rate over 1',
      monitoring: { apiServerErrorRateThreshold: 1.5 },
      message: /apiServerErrorRateThreshold must be a number from 0 to 1/,
    },
    {
      case: 'iteratorAge under 10 s',
      monitoring: { iteratorAgeThreshold: Duration.seconds(9) },
      message: /iteratorAgeThreshold must be from 10 seconds/,
    },
  ])('validates props: $case', ({ monitoring, message }) => {
    const act = () => new TracePipeline(testStack(), 'Pipeline', { monitoring });
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(message);
  });
});
