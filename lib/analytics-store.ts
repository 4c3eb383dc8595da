/**
 * Kept traces for SQL: the data bucket (Parquet files under `data/`, the symlink manifests Glue
 * reads under `tables/`, sampler state under `state/`), the Glue database and tables over it, and
 * the hourly compaction that rewrites each closed hour's small files into a few large ones.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { COMPACTION_MALLOC_ENVIRONMENT, COMPACTION_MEMORY_MB } from '../lambdas/compaction/sizing.ts';
import {
  analyticsTables,
  BUCKET_PREFIXES,
  GLUE_DATABASE_DEFAULT,
  ORPHANED_PENDING_EXPIRY_DAYS,
} from '../lambdas/storage/layout/index.ts';
import { BUCKET_ENV_VAR, CONFIG_ENV_VAR } from './function-environment.ts';
import { grantListing, grantObjectCalls } from './function-grants.ts';
import { glueTableInput } from './glue-tables.ts';
import { type BucketDefaults, pipelineBucket } from './pipeline-bucket.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import { checkDuration, checkInteger, checkName } from './validation.ts';

export interface AnalyticsStoreProps extends FunctionDefaults {
  /**
   * The configuration: `storage.analyticsRetentionDays` sets the expiry and the projected dates,
   * `storage.promotedAttributes` the extra columns of the spans table; the compaction function
   * receives it as TRACESIFT_CONFIG.
   */
  readonly config: PipelineConfig;
  readonly buckets: BucketDefaults;
  /**
   * Glue database of the tables (lower-case letters, digits and `_`). Glue names are unique per
   * account and region: give a second deployment there its own.
   * @default 'tracesift'
   */
  readonly databaseName?: string;
  /**
   * When compaction runs; it compacts the hours that have settled (`storage.compaction`).
   * @default every hour at minute 15 (UTC)
   */
  readonly compactionSchedule?: events.Schedule;
  /**
   * Memory of the compaction function (MB). It streams a shard-hour through trace buckets of
   * `storage.compaction.maxInputBytes` of input, so its peak follows a bucket, not the shard-hour:
   * 500,000 spans peaked at ~330 MB resident under the V8 flags Lambda's runtime gives a 1,024 MB
   * function and the allocator settings this construct gives it (BENCHMARKS.md, issue 18).
   * @default 1024
   */
  readonly compactionMemorySize?: number;
  /**
   * Timeout of one compaction run.
   * @default Duration.minutes(15)
   */
  readonly compactionTimeout?: Duration;
  /**
   * A bucket to keep the Parquet files, manifests and sampler state in instead of creating one.
   * tracesift writes only under `data/`, `tables/` and `state/` and changes nothing on the bucket
   * itself, so its lifecycle is the owner's: without expiry rules like those of a new bucket
   * (`tables/` after `storage.analyticsRetentionDays`, `data/` after parquetExpiryDays() of it,
   * `state/pending/` after ORPHANED_PENDING_EXPIRY_DAYS) the data is kept forever. A bucket
   * encrypted with a customer key must be imported with that key (`Bucket.fromBucketAttributes`
   * with `encryptionKey`) for the functions to be granted its use.
   * @default - a new bucket, encrypted, access-logged and expiring as described above
   */
  readonly existingDataBucket?: s3.IBucket;
}

/** Glue's rule for database names that Athena can query without quoting. */
const DATABASE_NAME = /^[a-z0-9_]+$/;

export class AnalyticsStore extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly databaseName: string;
  public readonly database: glue.CfnDatabase;
  /** Glue tables by name (`spans`, `traces`, `edges`). */
  public readonly tables: Readonly<Record<string, glue.CfnTable>>;
  public readonly compactionFunction: lambda.IFunction;
  public readonly compactionRule: events.Rule;
  /** Days of Parquet data kept and projected (`storage.analyticsRetentionDays`). */
  public readonly retentionDays: number;

  public constructor(scope: Construct, id: string, props: AnalyticsStoreProps) {
    super(scope, id);
    const storage = props.config.config.storage;
    this.retentionDays = storage.analyticsRetentionDays;
    this.databaseName = checkName(
      this,
      'databaseName',
      props.databaseName ?? GLUE_DATABASE_DEFAULT,
      DATABASE_NAME,
      255,
      'lower-case letters, digits and _',
    );
    const memorySize = checkInteger(
      this,
      'compactionMemorySize',
      props.compactionMemorySize ?? COMPACTION_MEMORY_MB,
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

    this.bucket = props.existingDataBucket ?? this.newBucket(props.buckets, storage.compaction.lookbackHours);

    const account = Stack.of(this).account;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'tracesift: kept traces as Parquet on S3' },
    });
    const tables: Record<string, glue.CfnTable> = {};
    for (const definition of analyticsTables(storage)) {
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
      environment: {
        [BUCKET_ENV_VAR]: this.bucket.bucketName,
        [CONFIG_ENV_VAR]: props.config.json,
        ...COMPACTION_MALLOC_ENVIRONMENT,
      },
    });
    this.compactionFunction = compaction.function;
    // Lists and reads an hour's files and manifests, writes the compacted file and the manifest
    // that replaces the old list, and deletes the replaced files (DeleteObjects: s3:DeleteObject).
    for (const prefix of [BUCKET_PREFIXES.data, BUCKET_PREFIXES.tables]) {
      grantObjectCalls(compaction.role, this.bucket, {
        prefix,
        calls: ['GetObject', 'PutObject', 'DeleteObject'],
        why: 'compaction rewrites the Parquet files and symlink manifests of settled hours',
      });
    }
    grantListing(compaction.role, this.bucket, [BUCKET_PREFIXES.data, BUCKET_PREFIXES.tables]);

    this.compactionRule = new events.Rule(this, 'CompactionSchedule', {
      description: 'tracesift: compact the Parquet files of settled hours',
      schedule: props.compactionSchedule ?? events.Schedule.cron({ minute: '15' }),
      targets: [
        new targets.LambdaFunction(compaction.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });
  }
  /** The data bucket, expiring manifests, orphaned pending traces and Parquet files. */
  private newBucket(buckets: BucketDefaults, lookbackHours: number): s3.Bucket {
    return pipelineBucket(this, 'Data', {
      ...buckets,
      accessLogsPrefix: 'data/',
      lifecycleRules: [
        {
          id: 'expire-manifests',
          prefix: BUCKET_PREFIXES.tables,
          expiration: Duration.days(this.retentionDays),
        },
        {
          // A pending set lives for a trace timeout; one no state document names is a crash's leftover.
          id: 'expire-orphaned-pending-traces',
          prefix: BUCKET_PREFIXES.pendingState,
          expiration: Duration.days(ORPHANED_PENDING_EXPIRY_DAYS),
        },
        {
          id: 'expire-parquet',
          prefix: BUCKET_PREFIXES.data,
          expiration: Duration.days(parquetExpiryDays(this.retentionDays, lookbackHours)),
        },
      ],
    });
  }
}

/**
 * Days after which Parquet files expire: later than the manifests that list them (which expire
 * after `retentionDays`). Compaction rewrites a manifest up to `lookbackHours` after the files it
 * lists were written, so a file expiring with the same age as its manifest could vanish while a
 * younger manifest still lists it, and every query of that partition would fail.
 */
export function parquetExpiryDays(retentionDays: number, lookbackHours: number): number {
  return retentionDays + Math.ceil(lookbackHours / 24) + 1;
}
