/**
 * Canary: a scheduled function that sends one known trace through the public OTLP endpoint with an
 * ingest key and reads it back by id through the query API with a read key (lambdas/canary/canary.ts), with alarms on what users would notice first:
 * a trace accepted but never readable (lost), exports refused or the canary not running (silent),
 * and traces readable only late (delay).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CanaryEnv } from '../lambdas/canary/environment.ts';
import { METRICS_NAMESPACE, type MetricName } from '../lambdas/shared/metrics/index.ts';
import { type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import { checkDuration } from './validation.ts';

export interface CanaryProps extends FunctionDefaults {
  /** The ingest API's stage the canary exports to (its URL is the exporters' endpoint). */
  readonly ingestStage: apigateway.Stage;
  /**
   * The ingest key it exports with; its value is read from API Gateway at run time, never put in
   * the template.
   */
  readonly ingestApiKey: apigateway.IApiKey;
  /** The query API's stage the canary reads the trace back from. */
  readonly queryStage: apigateway.Stage;
  /** The read key it reads with, read from API Gateway at run time as the ingest key is. */
  readonly queryApiKey: apigateway.IApiKey;
  /**
   * How often a canary trace is sent. Each run waits for its trace, so runs cost about the read
   * latency in 128 MB-seconds (around $1 a month at the default).
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * How long after its export the trace must be readable; later counts it lost. Must exceed the
   * sampler's send delay plus its batching window, with room for a backlog.
   * @default Duration.minutes(2)
   */
  readonly readDeadline?: Duration;
  /**
   * Read latency above which, three runs in a row, the delay alarm fires.
   * @default Duration.seconds(60)
   */
  readonly delayThreshold?: Duration;
}

export class Canary extends Construct {
  public readonly function: PipelineFunction['function'];
  /** A canary trace was accepted but not readable by the deadline. */
  public readonly lostAlarm: cloudwatch.Alarm;
  /** No canary trace was sent for three intervals: exports refused, or the canary not running. */
  public readonly silentAlarm: cloudwatch.Alarm;
  /** Canary traces became readable later than the delay threshold three runs in a row. */
  public readonly delayAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    const interval = checkDuration(
      this,
      'interval',
      props.interval ?? Duration.minutes(5),
      Duration.minutes(1),
      Duration.hours(1),
    );
    const readDeadline = checkDuration(
      this,
      'readDeadline',
      props.readDeadline ?? Duration.minutes(2),
      Duration.seconds(30),
      Duration.minutes(10),
    );
    const delayThreshold = checkDuration(
      this,
      'delayThreshold',
      props.delayThreshold ?? Duration.seconds(60),
      Duration.seconds(1),
      readDeadline,
    );
    const fn = new PipelineFunction(this, 'Canary', {
      name: 'canary',
      description: 'tracesift: sends a known trace through the OTLP endpoint and reads it back',
      memorySize: 128,
      timeout: readDeadline.plus(Duration.seconds(30)),
      environment: {
        [CanaryEnv.INGEST_ENDPOINT]: props.ingestStage.urlForPath('/'),
        [CanaryEnv.INGEST_API_KEY_ID]: props.ingestApiKey.keyId,
        [CanaryEnv.QUERY_ENDPOINT]: props.queryStage.urlForPath('/'),
        [CanaryEnv.QUERY_API_KEY_ID]: props.queryApiKey.keyId,
        [CanaryEnv.READ_DEADLINE_MS]: String(readDeadline.toMilliseconds()),
      },
      architecture: props.architecture,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn.function;
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:GET'],
        // The two keys' values, nothing else of API Gateway.
        resources: [props.ingestApiKey, props.queryApiKey].map((key) =>
          Stack.of(this).formatArn({ service: 'apigateway', account: '', resource: `/apikeys/${key.keyId}` }),
        ),
      }),
    );
    new events.Rule(this, 'Schedule', {
      description: 'tracesift: runs the canary',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(fn.function, { retryAttempts: 0 })],
    });

    const metric = (name: MetricName, statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { Function: 'canary' },
        statistic,
        period: interval,
      });
    this.lostAlarm = metric('CanaryTracesLost', cloudwatch.Stats.SUM).createAlarm(this, 'Lost', {
      alarmDescription: `tracesift: a canary trace was accepted but not readable by id within ${readDeadline.toHumanString()}`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.silentAlarm = metric('CanaryTracesSent', cloudwatch.Stats.SUM).createAlarm(this, 'Silent', {
      alarmDescription:
        'tracesift: no canary trace was accepted for three intervals (exports refused, or the canary fails)',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.delayAlarm = metric('CanaryReadLatency', cloudwatch.Stats.MAXIMUM).createAlarm(this, 'Delay', {
      alarmDescription: `tracesift: canary traces took more than ${delayThreshold.toHumanString()} to become readable`,
      threshold: delayThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  public get alarms(): cloudwatch.Alarm[] {
    return [this.lostAlarm, this.silentAlarm, this.delayAlarm];
  }
}
