/**
 * Public on-demand list prices, US East (N. Virginia), in USD, without free tiers, savings plans or
 * taxes. One entry per unit price, each with its source page and the date it was checked.
 *
 * HONESTY NOTE: these were written down on 2026-11-24 on a machine without internet access, from
 * memory of the public price pages, cross-checked where a stored copy of a page or of a third-party
 * article was at hand (marked "cross-checked"). AWS changes prices (DynamoDB on-demand halved in
 * November 2024): verify every figure on its source page before relying on the totals, and edit
 * this file, the only place prices live.
 */

export interface UnitPrice {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  readonly source: string;
  readonly checked: string;
}

/** A volume tier: `usd` per unit for the units up to `upTo` (cumulative), the last tier unbounded. */
export interface PriceTier {
  readonly upTo: number;
  readonly usd: number;
}

export interface TieredPrice {
  readonly tiers: readonly PriceTier[];
  readonly per: string;
  readonly source: string;
  readonly checked: string;
}

const FROM_MEMORY = '2026-11-24, as published, from memory of the public price page; verify before relying';
const CROSS_CHECKED =
  '2026-11-24, as published, from memory, cross-checked against a stored copy; verify before relying';

export const PRICES = {
  apiGatewayRestRequests: {
    // Per request; REST (not HTTP) APIs because ingest needs API keys and usage plans.
    tiers: [
      { upTo: 333e6, usd: 3.5e-6 },
      { upTo: 1e9, usd: 2.8e-6 },
      { upTo: 20e9, usd: 2.38e-6 },
      { upTo: Number.POSITIVE_INFINITY, usd: 1.51e-6 },
    ],
    per: 'request (REST API), per month',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    checked: CROSS_CHECKED,
  },
  lambdaArmGbSecond: {
    tiers: [
      { upTo: 7.5e9, usd: 0.0000133334 },
      { upTo: 18.75e9, usd: 0.0000120001 },
      { upTo: Number.POSITIVE_INFINITY, usd: 0.0000106667 },
    ],
    per: 'GB-second, arm64, per month across the account',
    source: 'https://aws.amazon.com/lambda/pricing/',
    checked: FROM_MEMORY,
  },
  lambdaX86GbSecond: {
    tiers: [
      { upTo: 6e9, usd: 0.0000166667 },
      { upTo: 15e9, usd: 0.000015 },
      { upTo: Number.POSITIVE_INFINITY, usd: 0.0000133334 },
    ],
    per: 'GB-second, x86_64, per month across the account',
    source: 'https://aws.amazon.com/lambda/pricing/',
    checked: FROM_MEMORY,
  },
  lambdaRequest: {
    usd: 0.2e-6,
    per: 'invocation',
    source: 'https://aws.amazon.com/lambda/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisShardHour: {
    usd: 0.015,
    per: 'shard-hour (provisioned)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisPutPayloadUnit: {
    usd: 0.014e-6,
    per: 'PUT payload unit of 25 KB (provisioned)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisExtendedRetentionShardHour: {
    usd: 0.02,
    per: 'shard-hour of retention beyond 24 h, up to 7 days (provisioned)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    per: 'stream-hour (on-demand)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisOnDemandIngestGb: {
    // Each record rounded up to a whole KB (cross-checked).
    usd: 0.08,
    per: 'GB written, records rounded up to 1 KB (on-demand)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisOnDemandRetrievalGb: {
    usd: 0.04,
    per: 'GB read by a shared-throughput consumer (on-demand)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  kinesisOnDemandExtendedRetentionGbMonth: {
    usd: 0.1,
    per: 'GB-month retained beyond 24 h, up to 7 days (on-demand)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
    checked: FROM_MEMORY,
  },
  dynamoDbWriteRequestUnit: {
    usd: 0.625e-6,
    per: 'write request unit (on-demand, standard table class)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: CROSS_CHECKED,
  },
  dynamoDbStorageGbMonth: {
    usd: 0.25,
    per: 'GB-month (standard table class)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: FROM_MEMORY,
  },
  s3StorageGbMonth: {
    tiers: [
      { upTo: 50 * 1024, usd: 0.023 },
      { upTo: 500 * 1024, usd: 0.022 },
      { upTo: Number.POSITIVE_INFINITY, usd: 0.021 },
    ],
    per: 'GB-month, S3 Standard',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: FROM_MEMORY,
  },
  s3PutRequest: {
    usd: 0.005e-3,
    per: 'PUT, COPY, POST or LIST request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: FROM_MEMORY,
  },
  s3GetRequest: {
    usd: 0.0004e-3,
    per: 'GET or SELECT request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: FROM_MEMORY,
  },
  athenaTbScanned: {
    // Billed per MB scanned, 10 MB minimum per query.
    usd: 5,
    per: 'TB scanned (SQL queries), 10 MB minimum per query',
    source: 'https://aws.amazon.com/athena/pricing/',
    checked: FROM_MEMORY,
  },
  cloudWatchLogsIngestGb: {
    usd: 0.5,
    per: 'GB ingested (standard log class)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: FROM_MEMORY,
  },
  cloudWatchLogsStorageGbMonth: {
    usd: 0.03,
    per: 'GB-month archived (compressed)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: FROM_MEMORY,
  },
  cloudWatchMetricMonth: {
    usd: 0.3,
    per: 'custom metric-month (first 10,000)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: FROM_MEMORY,
  },
  cloudWatchAlarmMonth: {
    usd: 0.1,
    per: 'standard-resolution alarm-month',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: FROM_MEMORY,
  },
  xrayTraceRecorded: {
    usd: 5e-6,
    per: 'trace recorded',
    source: 'https://aws.amazon.com/xray/pricing/',
    checked: CROSS_CHECKED,
  },
  xrayTraceRetrieved: {
    usd: 0.5e-6,
    per: 'trace retrieved',
    source: 'https://aws.amazon.com/xray/pricing/',
    checked: CROSS_CHECKED,
  },
  xrayTraceScanned: {
    usd: 0.5e-6,
    per: 'trace scanned',
    source: 'https://aws.amazon.com/xray/pricing/',
    checked: CROSS_CHECKED,
  },
} as const satisfies Record<string, UnitPrice | TieredPrice>;

export type Prices = {
  readonly [K in keyof typeof PRICES]: (typeof PRICES)[K] extends TieredPrice ? TieredPrice : UnitPrice;
};
