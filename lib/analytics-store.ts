/**
 * Kept traces for SQL: the data bucket (Parquet under `tables/`, sampler state under `state/`),
 * the Glue database and tables over it, and the hourly compaction that rewrites each closed hour's
 * small files into a few large ones.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  type AnalyticsTableDefinition,
  BUCKET_PREFIXES,
  GLUE_DATABASE_DEFAULT,
} from '../lambdas/shared/storage/layout.ts';
import { ANALYTICS_TABLES } from '../lambdas/shared/storage/tables.ts';
import { BUCKET_ENV_VAR, CONFIG_ENV_VAR } from './function-environment.ts';
import { glueTableInput } from './glue-tables.ts';
import { acknowledgeBucketGrant } from './grant-findings.ts';
import { type BucketDefaults, pipelineBucket } from './pipeline-bucket.ts';
import { type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import { checkDuration, checkInteger, checkName } from './validation.ts';

export interface AnalyticsStoreProps extends FunctionDefaults {
  /** TRACESIFT_CONFIG for the compaction function. */
  readonly configJson: string;
  readonly buckets: BucketDefaults;
  /**
   * Glue database of the tables (lower-case letters, digits and `_`). Glue names are unique per
   * account and region: give a second deployment there its own.
   * @default 'tracesift'
   */
  readonly databaseName?: string;
  /**
   * How long Parquet data is kept; objects under `tables/` expire after this many days.
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
  /**
   * When compaction runs. It compacts the hours that have closed, so shortly after each hour.
   * @default every hour at minute 15 (UTC)
   */
  readonly compactionSchedule?: events.Schedule;
  /**
   * Memory of the compaction function (MB): it holds an hour's rows of one table while sorting.
   * @default 3008
   */
  readonly compactionMemorySize?: number;
  /**
   * Timeout of one compaction run.
   * @default Duration.minutes(15)
   */
  readonly compactionTimeout?: Duration;
  /**
   * The tables to register.
   * @default ANALYTICS_TABLES (lambdas/shared/storage/tables.ts)
   */
  readonly tables?: readonly AnalyticsTableDefinition[];
}

/** Glue's rule for database names that Athena can query without quoting. */
const DATABASE_NAME = /^[a-z0-9_]+$/;

export class AnalyticsStore extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly databaseName: string;
  public readonly database: glue.CfnDatabase;
  /** Glue tables by name (`spans`, `traces`, `edges`). */
  public readonly tables: Readonly<Record<string, glue.CfnTable>>;
  public readonly compactionFunction: lambda.IFunction;
  public readonly compactionRule: events.Rule;
  /** Whole days of Parquet data kept. */
  public readonly retentionDays: number;

  public constructor(scope: Construct, id: string, props: AnalyticsStoreProps) {
    super(scope, id);
    this.databaseName = checkName(
      this,
      'databaseName',
      props.databaseName ?? GLUE_DATABASE_DEFAULT,
      DATABASE_NAME,
      255,
      'lower-case letters, digits and _',
    );
    const retention = checkDuration(
      this,
      'retention',
      props.retention ?? Duration.days(30),
      Duration.days(1),
      Duration.days(3650),
    );
    this.retentionDays = checkInteger(
      this,
      'retention (in days)',
      retention.toDays({ integral: false }),
      1,
      3650,
    );
    const memorySize = checkInteger(
      this,
      'compactionMemorySize',
      props.compactionMemorySize ?? 3008,
      128,
      10_240,
    );
    const timeout = checkDuration(
      this,
      'compactionTimeout',
      props.compactionTimeout ?? Duration.minutes(15),
      Duration.seconds(1),
      Duration.minutes(15),
    );

    this.bucket = pipelineBucket(this, 'Data', {
      ...props.buckets,
      accessLogsPrefix: 'data/',
      lifecycleRules: [
        {
          id: 'expire-tables',
          prefix: BUCKET_PREFIXES.tables,
          expiration: Duration.days(this.retentionDays),
        },
      ],
    });

    const account = Stack.of(this).account;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'tracesift: kept traces as Parquet on S3' },
    });
    const tables: Record<string, glue.CfnTable> = {};
    for (const definition of props.tables ?? ANALYTICS_TABLES) {
      const table = new glue.CfnTable(this, `Table-${definition.name}`, {
        catalogId: account,
        databaseName: this.databaseName,
        tableInput: glueTableInput(this, definition, {
          bucketName: this.bucket.bucketName,
          retentionDays: this.retentionDays,
        }),
      });
      table.addResourceDependency(this.database);
      tables[definition.name] = table;
    }
    this.tables = tables;

    const compaction = new PipelineFunction(this, 'Compaction', {
      name: 'compaction',
      description: 'tracesift: compacts the Parquet files of closed hours',
      memorySize,
      timeout,
      architecture: props.architecture,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: { [BUCKET_ENV_VAR]: this.bucket.bucketName, [CONFIG_ENV_VAR]: props.configJson },
    });
    this.compactionFunction = compaction.function;
    const tablesKeys = `${BUCKET_PREFIXES.tables}*`;
    this.bucket.grantRead(compaction.function, tablesKeys);
    this.bucket.grantPut(compaction.function, tablesKeys);
    this.bucket.grantDelete(compaction.function, tablesKeys);
    acknowledgeBucketGrant(compaction.role, this.bucket, {
      prefix: BUCKET_PREFIXES.tables,
      grants: ['read', 'put', 'delete'],
      why: 'compaction lists and reads an hour of Parquet files, writes the compacted files and deletes the originals',
    });

    this.compactionRule = new events.Rule(this, 'CompactionSchedule', {
      description: 'tracesift: compact the Parquet files of closed hours',
      schedule: props.compactionSchedule ?? events.Schedule.cron({ minute: '15' }),
      targets: [
        new targets.LambdaFunction(compaction.function, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
