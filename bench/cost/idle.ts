/**
 * What a deployment costs with no traffic at all: the bills that run by the hour whether spans
 * arrive or not. Everything priced per request or per byte (API Gateway, Lambda, DynamoDB
 * on-demand, S3 requests, Athena, log ingestion) is zero; stored traces and Parquet age out with
 * their retention. The canary's one trace every five minutes is left out (cents a month), but it
 * is what keeps the custom metrics published, hence billed, every hour.
 */
import { type CostLine, type Deployment, validateDeployment } from './model.ts';
import type { Prices } from './prices.ts';

const HOURS_PER_MONTH = 730;

export interface IdleCost {
  readonly kinesisMode: Deployment['kinesisMode'];
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

export function estimateIdleCost(d: Deployment, prices: Prices): IdleCost {
  validateDeployment(d);
  const extendedRetention = d.streamRetentionHours > 24;
  const stream: CostLine =
    d.kinesisMode === 'on-demand'
      ? {
          component: 'Kinesis (on-demand)',
          usd: HOURS_PER_MONTH * prices.kinesisOnDemandStreamHour.usd,
          usage: `${HOURS_PER_MONTH} stream hours`,
        }
      : {
          component: 'Kinesis (provisioned)',
          usd:
            HOURS_PER_MONTH *
            (prices.kinesisShardHour.usd +
              (extendedRetention ? prices.kinesisExtendedRetentionShardHour.usd : 0)),
          usage: `1 shard, ${HOURS_PER_MONTH} shard hours`,
        };
  const lines: CostLine[] = [
    stream,
    {
      component: 'CloudWatch metrics',
      usd: d.customMetrics * prices.cloudWatchMetricMonth.usd,
      usage: `${d.customMetrics} custom metrics`,
    },
    {
      component: 'CloudWatch alarms',
      usd: d.alarms * prices.cloudWatchAlarmMonth.usd,
      usage: `${d.alarms} alarms`,
    },
  ];
  return {
    kinesisMode: d.kinesisMode,
    lines,
    totalUsd: lines.reduce((sum, line) => sum + line.usd, 0),
  };
}
