/**
 * The pipeline watching itself: one CloudWatch dashboard (spans through each stage, decisions by
 * policy, lag, errors and throttles) and the alarms that mean data is late or at risk. The
 * functions' own counters arrive as Embedded Metric Format in the `tracesift` namespace with a
 * `Function` dimension (and `Policy` for decisions); the rest are AWS service metrics.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  type IngestErrorStatus,
  METRICS_NAMESPACE,
  type MetricName,
  RESPONSE_METRICS,
} from '../lambdas/shared/metrics/index.ts';
import { checkDuration, checkNumber } from './validation.ts';

/** The ingest function's counters on the dashboard (dimension Function=ingest). */
export const INGEST_METRICS = {
  spans: ['SpansReceived', 'SpansAccepted', 'SpansRejected', 'SpansNotAccepted'],
  stream: ['RecordsPut', 'PutRetries', 'ShardMapRefreshes'],
  /** Every status ingest answers besides 200, each with its `Responses<status>` counter. */
  errorStatuses: Object.keys(RESPONSE_METRICS).map(Number) as IngestErrorStatus[],
} as const satisfies Record<string, readonly MetricName[] | readonly IngestErrorStatus[]>;

/** The sampler's counters on the dashboard (Function=sampler); the *Kept/*Dropped ones add Policy. */
export const SAMPLER_METRICS = {
  spans: ['SpansIn', 'SpansPending', 'SpansDeferred', 'SpansForwarded', 'SpansDeadLettered', 'LateSpans'],
  byPolicy: ['SpansKept', 'SpansDropped', 'TracesKept', 'TracesDropped'],
  deadLettered: 'SpansDeadLettered',
  /** Spans of a pending set its state document named but that could not be read back (gone, corrupt). */
  pendingLost: 'PendingSpansLost',
} as const satisfies Record<string, MetricName | readonly MetricName[]>;

/**
 * Span conservation over an hour (lambdas/shared/metrics/catalogue.ts): the share of the span
 * copies ingest accepted that the sampler has not counted as kept, dropped, dead-lettered or
 * duplicate. Spans still in flight (waiting in a pending set or in the stream) make it positive
 * and those accepted in the previous hour and decided in this one negative; at the defaults a span
 * waits at most sendDelay + traceTimeout + the batching window (45 s) plus the sampler's lag, so
 * with steady traffic the two cancel out, and traffic that starts within the hour leaves at most
 * 45 s / 3600 s = 1.3% in flight (8% at the iterator-age alarm's 5 minutes of lag). Copies re-put
 * by failed invocations and replayed dead-lettered records make it negative: only a positive share
 * means spans went missing.
 */
export const CONSERVATION_EXPRESSION =
  'IF(FILL(accepted, 0) >= minSpans, ' +
  '(FILL(accepted, 0) - FILL(kept, 0) - FILL(dropped, 0) - FILL(deadLettered, 0) - FILL(duplicates, 0)) / FILL(accepted, 0), 0)';

/** Below this many spans an hour one trace in flight exceeds any useful tolerance: not judged. */
export const CONSERVATION_MIN_SPANS = 1000;

export interface PipelineMonitoringProps {
  readonly ingestFunction: lambda.IFunction;
  readonly samplerFunction: lambda.IFunction;
  readonly queryFunction: lambda.IFunction;
  readonly compactionFunction: lambda.IFunction;
  /** UUID of the sampler's event source mapping (its failed-record metrics are per mapping). */
  readonly samplerEventSourceMappingId: string;
  readonly stream: kinesis.IStream;
  readonly table: dynamodb.ITable;
  readonly apiStage: apigateway.Stage;
  /** The read API's stage (lib/query-api.ts): trace lookups, watched like the ingest stage. */
  readonly queryApiStage: apigateway.Stage;
  /**
   * Topic notified when an alarm fires and when it clears.
   * @default - alarms only change state; nobody is notified
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The sampler is this far behind the stream for three minutes: kept traces arrive late, and
   * records near the end of their retention risk the failed-batches bucket.
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeThreshold?: Duration;
  /**
   * Share of API requests answered 5xx (0 to 1) for three minutes. A 503 asks exporters to retry,
   * so a short burst while the stream scales is expected; a steady share is not.
   * @default 0.01
   */
  readonly apiServerErrorRateThreshold?: number;
  /**
   * Share of an hour's accepted spans (0 to 1) the sampler may leave uncounted (CONSERVATION_EXPRESSION)
   * two hours in a row before the conservation alarm fires. The default is above what spans in
   * flight explain at the default windows with up to 5 minutes of lag (8%); raise it with longer
   * windows (trace timeout, send delay).
   * @default 0.1
   */
  readonly conservationTolerance?: number;
}

const PERIOD = Duration.minutes(5);
const CONSERVATION_PERIOD = Duration.hours(1);

export class PipelineMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  /** Records the sampler's event source mapping gave up on (sent to the failed-batches bucket or lost). */
  public readonly failedRecordsAlarm: cloudwatch.Alarm;
  public readonly deadLetteredSpansAlarm: cloudwatch.Alarm;
  public readonly pendingSpansLostAlarm: cloudwatch.Alarm;
  public readonly apiServerErrorsAlarm: cloudwatch.Alarm;
  public readonly queryApiServerErrorsAlarm: cloudwatch.Alarm;
  public readonly samplerErrorsAlarm: cloudwatch.Alarm;
  /** Accepted spans the sampler did not account for (CONSERVATION_EXPRESSION) above the tolerance. */
  public readonly conservationAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const iteratorAgeThreshold = checkDuration(
      this,
      'iteratorAgeThreshold',
      props.iteratorAgeThreshold ?? Duration.minutes(5),
      Duration.seconds(10),
      Duration.days(7),
    );
    const errorRate = checkNumber(
      this,
      'apiServerErrorRateThreshold',
      props.apiServerErrorRateThreshold ?? 0.01,
      0,
      1,
    );
    const conservationTolerance = checkNumber(
      this,
      'conservationTolerance',
      props.conservationTolerance ?? 0.1,
      0,
      1,
    );

    const iteratorAge = props.samplerFunction.metric('IteratorAge', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    this.iteratorAgeAlarm = iteratorAge.createAlarm(this, 'IteratorAge', {
      alarmDescription: `tracesift: the sampler is more than ${iteratorAgeThreshold.toHumanString()} behind the trace stream`,
      threshold: iteratorAgeThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      // No records, no IteratorAge: an idle pipeline is a healthy one.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const failedRecords = new cloudwatch.MathExpression({
      label: 'Records given up on',
      expression: 'FILL(delivered, 0) + FILL(dropped, 0) + FILL(deliveryFailures, 0)',
      usingMetrics: {
        delivered: this.mappingMetric(
          'OnFailureDestinationDeliveredEventCount',
          props.samplerEventSourceMappingId,
        ),
        dropped: this.mappingMetric('DroppedEventCount', props.samplerEventSourceMappingId),
        deliveryFailures: props.samplerFunction.metric('DestinationDeliveryFailures', {
          statistic: cloudwatch.Stats.SUM,
          period: PERIOD,
        }),
      },
      period: PERIOD,
    });
    this.failedRecordsAlarm = failedRecords.createAlarm(this, 'FailedRecords', {
      alarmDescription:
        'tracesift: the sampler event source mapping gave up on records; they are in the failed-batches ' +
        'bucket: inspect, fix the cause, then put them back with `npm run replay` (docs/DEPLOY.md)',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.deadLetteredSpansAlarm = samplerMetric(SAMPLER_METRICS.deadLettered).createAlarm(
      this,
      'DeadLetteredSpans',
      {
        alarmDescription: 'tracesift: the sampler dead-lettered spans of undecodable (poison) records',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );

    this.pendingSpansLostAlarm = samplerMetric(SAMPLER_METRICS.pendingLost).createAlarm(
      this,
      'PendingSpansLost',
      {
        alarmDescription:
          'tracesift: the sampler lost pending traces (a pending set its state named was gone or corrupt)',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );

    this.apiServerErrorsAlarm = props.apiStage
      .metricServerError({ statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(1) })
      .createAlarm(this, 'ApiServerErrors', {
        alarmDescription: `tracesift: more than ${errorRate * 100}% of API requests answered 5xx`,
        threshold: errorRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.queryApiServerErrorsAlarm = props.queryApiStage
      .metricServerError({ statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(1) })
      .createAlarm(this, 'QueryApiServerErrors', {
        alarmDescription: `tracesift: more than ${errorRate * 100}% of trace lookups answered 5xx`,
        threshold: errorRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.samplerErrorsAlarm = props.samplerFunction
      .metricErrors({ statistic: cloudwatch.Stats.SUM, period: PERIOD })
      .createAlarm(this, 'SamplerErrors', {
        alarmDescription: 'tracesift: sampler invocations keep failing (each failure retries its batch)',
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // One failed batch is retried and usually passes; two bad periods out of three are not luck.
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const conservation = new cloudwatch.MathExpression({
      label: 'Accepted spans not accounted for (share, 1 h)',
      expression: CONSERVATION_EXPRESSION.replace('minSpans', String(CONSERVATION_MIN_SPANS)),
      usingMetrics: {
        accepted: ingestMetric('SpansAccepted', CONSERVATION_PERIOD),
        kept: samplerMetric('SpansKept', CONSERVATION_PERIOD),
        dropped: samplerMetric('SpansDropped', CONSERVATION_PERIOD),
        deadLettered: samplerMetric('SpansDeadLettered', CONSERVATION_PERIOD),
        duplicates: samplerMetric('DuplicateSpans', CONSERVATION_PERIOD),
      },
      period: CONSERVATION_PERIOD,
    });
    this.conservationAlarm = conservation.createAlarm(this, 'SpanConservation', {
      alarmDescription:
        `tracesift: more than ${conservationTolerance * 100}% of the spans ingest accepted were neither ` +
        'kept, dropped, dead-lettered nor duplicates two hours in a row (spans lost between ingest and the sampler)',
      threshold: conservationTolerance,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alarms = [
      this.iteratorAgeAlarm,
      this.failedRecordsAlarm,
      this.deadLetteredSpansAlarm,
      this.pendingSpansLostAlarm,
      this.apiServerErrorsAlarm,
      this.queryApiServerErrorsAlarm,
      this.samplerErrorsAlarm,
      this.conservationAlarm,
    ];
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('API requests', [
            props.apiStage.metricCount({ period: PERIOD, label: 'requests' }),
            props.apiStage.metricClientError({
              period: PERIOD,
              statistic: cloudwatch.Stats.SUM,
              label: '4xx',
            }),
            props.apiStage.metricServerError({
              period: PERIOD,
              statistic: cloudwatch.Stats.SUM,
              label: '5xx',
            }),
          ]),
          graph('Query API requests', [
            props.queryApiStage.metricCount({ period: PERIOD, label: 'lookups' }),
            props.queryApiStage.metricClientError({
              period: PERIOD,
              statistic: cloudwatch.Stats.SUM,
              label: '4xx',
            }),
            props.queryApiStage.metricServerError({
              period: PERIOD,
              statistic: cloudwatch.Stats.SUM,
              label: '5xx',
            }),
          ]),
          graph(
            'Ingest: spans',
            INGEST_METRICS.spans.map((name) => ingestMetric(name)),
          ),
          graph(
            'Ingest: error answers by status',
            INGEST_METRICS.errorStatuses.map((status) => ingestMetric(RESPONSE_METRICS[status])),
          ),
          graph(
            'Ingest: records and retries',
            INGEST_METRICS.stream.map((name) => ingestMetric(name)),
          ),
        ],
        [
          graph('Sampler: spans', [
            ...SAMPLER_METRICS.spans.map((name) => samplerMetric(name)),
            samplerMetric('SpansKept'),
            samplerMetric('SpansDropped'),
          ]),
          graph('Sampler: traces kept by policy', [policySearch('TracesKept')]),
          graph('Sampler: traces dropped by policy', [policySearch('TracesDropped')]),
          graph('Sampler: lag (iterator age, max)', [iteratorAge], {
            leftAnnotations: [{ value: iteratorAgeThreshold.toMilliseconds(), label: 'alarm' }],
          }),
        ],
        [
          graph(
            'Sampler event source mapping',
            ['PolledEventCount', 'InvokedEventCount', 'FailedInvokeEventCount', 'DroppedEventCount'].map(
              (name) => this.mappingMetric(name, props.samplerEventSourceMappingId),
            ),
            {},
            [failedRecords],
          ),
          graph(
            'Lambda errors',
            functions(props).map(([name, fn]) => fn.metricErrors({ period: PERIOD, label: name })),
          ),
          graph(
            'Lambda throttles',
            functions(props).map(([name, fn]) => fn.metricThrottles({ period: PERIOD, label: name })),
          ),
          graph(
            'Lambda duration (p99)',
            functions(props).map(([name, fn]) =>
              fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(99), label: name }),
            ),
          ),
        ],
        [
          graph('Kinesis throttling', [
            props.stream.metricWriteProvisionedThroughputExceeded({
              period: PERIOD,
              label: 'write throttled',
            }),
            props.stream.metricReadProvisionedThroughputExceeded({ period: PERIOD, label: 'read throttled' }),
            props.stream.metricPutRecordsThrottledRecords({
              period: PERIOD,
              label: 'PutRecords throttled records',
            }),
          ]),
          graph('DynamoDB throttling', [
            props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: cloudwatch.Stats.SUM }),
            props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: cloudwatch.Stats.SUM }),
          ]),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 12, height: 6 }),
        ],
        [
          graph('Span conservation (share of accepted spans not accounted for, 1 h)', [conservation], {
            leftAnnotations: [{ value: conservationTolerance, label: 'alarm' }],
            width: 12,
          }),
        ],
      ],
    });
  }

  private mappingMetric(name: string, mappingId: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: name,
      dimensionsMap: { EventSourceMappingUUID: mappingId },
      statistic: cloudwatch.Stats.SUM,
      period: PERIOD,
    });
  }
}

function ingestMetric(name: MetricName, period = PERIOD): cloudwatch.Metric {
  return tracesiftMetric(name, 'ingest', period);
}

/** Under Function alone a metric with a Policy dimension is its total over policies (EMF rollup). */
function samplerMetric(name: MetricName, period = PERIOD): cloudwatch.Metric {
  return tracesiftMetric(name, 'sampler', period);
}

function tracesiftMetric(name: MetricName, fn: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { Function: fn },
    statistic: cloudwatch.Stats.SUM,
    period,
    label: name,
  });
}

/** One line per policy: EMF writes these with the Policy dimension, whose values are data. */
function policySearch(name: MetricName): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},Function,Policy} Function="sampler" MetricName="${name}"', 'Sum', ${PERIOD.toSeconds()})`,
    label: '',
    period: PERIOD,
  });
}

function functions(props: PipelineMonitoringProps): ReadonlyArray<readonly [string, lambda.IFunction]> {
  return [
    ['ingest', props.ingestFunction],
    ['sampler', props.samplerFunction],
    ['query', props.queryFunction],
    ['compaction', props.compactionFunction],
  ];
}

function graph(
  title: string,
  left: readonly cloudwatch.IMetric[],
  options: Partial<cloudwatch.GraphWidgetProps> = {},
  right: readonly cloudwatch.IMetric[] = [],
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: [...left],
    ...(right.length > 0 ? { right: [...right] } : {}),
    width: 6,
    height: 6,
    ...options,
  });
}
