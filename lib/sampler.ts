/**
 * The sampler: a Lambda function fed by the stream through an event source mapping that batches
 * for the configured window, bisects a failing batch, retries a bounded number of times, and sends
 * what it finally gives up on, payload included, to an S3 bucket, so a poison record never blocks
 * its shard and is never lost.
 */
import { Duration, Names } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from '../lambdas/storage/layout/index.ts';
import { InvalidPropError } from './errors.ts';
import { BUCKET_ENV_VAR, CONFIG_ENV_VAR, STREAM_ENV_VAR, TABLE_ENV_VAR } from './function-environment.ts';
import { grantListing, grantObjectCalls, grantStreamCalls, grantTableCalls } from './function-grants.ts';
import { type BucketDefaults, pipelineBucket } from './pipeline-bucket.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { checkReservedConcurrency, type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import { checkDuration, checkInteger } from './validation.ts';

/** Lambda's bounds for a Kinesis event source mapping. */
export const EVENT_SOURCE_LIMITS = {
  maxBatchSize: 10_000,
  maxRetryAttempts: 10_000,
  minRecordAge: Duration.seconds(60),
  maxRecordAge: Duration.days(7),
} as const;

export interface SamplerProps extends FunctionDefaults {
  readonly stream: kinesis.IStream;
  /** The stream's retention: `maxRecordAge` must be shorter, or records expire before they fail over. */
  readonly streamRetention: Duration;
  readonly table: dynamodb.ITable;
  /** The analytics bucket: Parquet under `tables/`, sampler state (latency sketches) under `state/`. */
  readonly dataBucket: s3.IBucket;
  readonly config: PipelineConfig;
  /** For the failed-batches bucket. */
  readonly buckets: BucketDefaults;
  /**
   * Memory of the sampler function (MB). 1,769 MB is one full vCPU: decoding and Parquet encoding
   * are CPU-bound, and the prototype's Parquet writers peaked at 590-850 MB for 200k spans (FACTS.md).
   * @default 1769
   */
  readonly memorySize?: number;
  /**
   * Timeout of one sampler invocation; a timed-out batch is retried like a failed one.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Most records in one batch (Lambda also caps a batch at 6 MB). Records are packed, so one record
   * can hold hundreds of spans.
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * Retries of a failing batch (after bisecting it) before its records go to the failed-batches bucket.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the failed-batches bucket instead of the function. Must be
   * shorter than the stream's retention (so they fail over before the stream drops them), and
   * together with `sampling.traceTimeoutSeconds` and `timeout` shorter than
   * `storage.compaction.settleMinutes` (so no write reaches an hour after compaction settled it).
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * How long failed batches are kept in their bucket for inspection and replay.
   * @default Duration.days(30)
   */
  readonly failedBatchRetention?: Duration;
  /**
   * Reserved concurrency of the sampler: a share of the account's concurrency that ingest (or any
   * other function of the account) can never take, so a flood of requests cannot starve the
   * sampler. The event source mapping runs at most one invocation per shard and lane (plus a few
   * while a reshard overlaps parent and child shards), so the sampler needs no more than shards ×
   * parallelization factor; 10 covers 5 shards at factor 2, or 10 at 1. Reserve at least that many
   * (more shards need more, or batches wait throttled). Reserved concurrency is taken from the
   * account's pool, which must keep 100 unreserved: set 0 to reserve none (and leave the sampler
   * in the shared pool) where the account's limit is the default 1,000 minus other reservations.
   * @default 10
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The sampler's state documents (`state/sampler/<stream>/<shard>.json`, statePrefix in
 * lambdas/sampler/state/state-store.ts), apart from the pending objects under state/pending/.
 */
export const SAMPLER_DOCUMENTS_PREFIX = `${BUCKET_PREFIXES.state}sampler/`;

/** Concurrency reserved for the sampler unless told otherwise (see reservedConcurrentExecutions). */
export const SAMPLER_RESERVED_CONCURRENCY = 10;

/**
 * The mapping's S3 on-failure destination with the two permissions Lambda documents for it
 * (s3:PutObject, s3:ListBucket), not the read-write-delete of CDK's S3OnFailureDestination.
 */
class FailedBatchesDestination implements lambda.IEventSourceDlq {
  private readonly bucket: s3.IBucket;

  public constructor(bucket: s3.IBucket) {
    this.bucket = bucket;
  }

  public bind(_mapping: lambda.IEventSourceMapping, target: lambda.IFunction): lambda.DlqDestinationConfig {
    const role = target.role as iam.IRole;
    grantObjectCalls(role, this.bucket, {
      prefix: '',
      calls: ['PutObject'],
      why: 'the event source mapping writes the batches it gave up on with the function role, under keys Lambda chooses',
    });
    grantListing(role, this.bucket, []);
    return { destination: this.bucket.bucketArn };
  }
}

export class Sampler extends Construct {
  public readonly function: lambda.IFunction;
  public readonly eventSource: lambda.EventSourceMapping;
  /** Where the event source mapping writes the batches it gave up on, with their records. */
  public readonly failedBatchesBucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: SamplerProps) {
    super(scope, id);
    const memorySize = checkInteger(this, 'memorySize', props.memorySize ?? 1769, 128, 10_240);
    const timeout = checkDuration(
      this,
      'timeout',
      props.timeout ?? Duration.minutes(2),
      Duration.seconds(1),
      Duration.minutes(15),
    );
    const batchSize = checkInteger(
      this,
      'batchSize',
      props.batchSize ?? 1000,
      1,
      EVENT_SOURCE_LIMITS.maxBatchSize,
    );
    const retryAttempts = checkInteger(
      this,
      'retryAttempts',
      props.retryAttempts ?? 3,
      0,
      EVENT_SOURCE_LIMITS.maxRetryAttempts,
    );
    const maxRecordAge = this.recordAgeWithin(props.maxRecordAge ?? Duration.hours(1), props.streamRetention);
    this.checkWritesSettle(props.config, maxRecordAge, timeout);
    const failedBatchRetention = checkDuration(
      this,
      'failedBatchRetention',
      props.failedBatchRetention ?? Duration.days(30),
      Duration.days(1),
      Duration.days(3650),
    );

    this.failedBatchesBucket = pipelineBucket(this, 'FailedBatches', {
      ...props.buckets,
      accessLogsPrefix: 'failed-batches/',
      lifecycleRules: [{ id: 'expire-failed-batches', expiration: failedBatchRetention }],
    });

    const sampler = new PipelineFunction(this, 'Sampler', {
      name: 'sampler',
      description: 'tracesift: tail-sampling of the trace stream',
      memorySize,
      timeout,
      architecture: props.architecture,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrentExecutions: checkReservedConcurrency(
        this,
        props.reservedConcurrentExecutions ?? SAMPLER_RESERVED_CONCURRENCY,
      ),
      environment: {
        [STREAM_ENV_VAR]: props.stream.streamName,
        [TABLE_ENV_VAR]: props.table.tableName,
        [BUCKET_ENV_VAR]: props.dataBucket.bucketName,
        [CONFIG_ENV_VAR]: props.config.json,
      },
    });
    this.function = sampler.function;

    this.grantCalls(sampler, props);

    // Made as KinesisEventSource made it (same construct id, so the same logical id: replacing a
    // deployed mapping would start it again from TRIM_HORIZON), without its read grant.
    this.eventSource = sampler.function.addEventSourceMapping(
      `KinesisEventSource:${Names.nodeUniqueId(props.stream.node)}`,
      {
        eventSourceArn: props.stream.streamArn,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow: Duration.seconds(props.config.config.window.batchingWindowSeconds),
        // Equal to ingest's lanes by construction (resolvePipelineConfig): a trace's records share a
        // lane, so Lambda hands all of them to one concurrent batch.
        parallelizationFactor: props.config.parallelizationFactor,
        bisectBatchOnError: true,
        retryAttempts,
        maxRecordAge,
        reportBatchItemFailures: true,
        onFailure: new FailedBatchesDestination(this.failedBatchesBucket),
        supportS3OnFailureDestination: true,
        // EventCount metrics include OnFailureDestinationDeliveredEventCount, which the alarms watch.
        metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
      },
    );
  }

  /** Exactly the calls the sampler makes (lambdas/sampler, lambdas/storage) and its mapping makes. */
  private grantCalls(sampler: PipelineFunction, props: SamplerProps): void {
    const role = sampler.role;
    // The mapping reads the stream; deferred and forwarded traces go back to it (PutRecords,
    // routed by ListShards).
    grantStreamCalls(role, props.stream, ['consume', 'put']);
    // Decisions of late spans and stored deliveries (BatchGetItem), stored traces to merge with
    // (Query), kept traces (BatchWriteItem).
    grantTableCalls(role, props.table, ['BatchGetItem', 'BatchWriteItem', 'Query']);
    grantObjectCalls(role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.data,
      calls: ['PutObject'],
      why: 'the sampler writes Parquet files whose keys it derives from each batch',
    });
    grantObjectCalls(role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.tables,
      calls: ['GetObject', 'PutObject'],
      why: 'the sampler adds its Parquet files to the symlink manifest of their shard-hour',
    });
    grantObjectCalls(role, props.dataBucket, {
      prefix: SAMPLER_DOCUMENTS_PREFIX,
      calls: ['GetObject', 'PutObject'],
      why: "the sampler persists its statistics and recent decisions, and reads other shards' after a reshard",
    });
    grantObjectCalls(role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.pendingState,
      calls: ['GetObject', 'PutObject', 'DeleteObject'],
      why: 'the sampler keeps not-ready traces in pending objects, and deletes the one a new object replaces',
    });
    // Lists the documents of other shards; reads manifests and documents that may not exist yet.
    grantListing(role, props.dataBucket, [
      BUCKET_PREFIXES.tables,
      SAMPLER_DOCUMENTS_PREFIX,
      BUCKET_PREFIXES.pendingState,
    ]);
  }

  /**
   * The last write into an hour's partition can come `traceTimeoutSeconds` (deferrals) plus
   * `maxRecordAge` (retries) plus one invocation after the hour; compaction must wait longer.
   */
  private checkWritesSettle(config: PipelineConfig, maxRecordAge: Duration, timeout: Duration): void {
    if (maxRecordAge.isUnresolved() || timeout.isUnresolved()) return;
    const latestWriteSeconds =
      config.config.sampling.traceTimeoutSeconds + maxRecordAge.toSeconds() + timeout.toSeconds();
    const settleSeconds = config.config.storage.compaction.settleMinutes * 60;
    if (latestWriteSeconds >= settleSeconds) {
      throw new InvalidPropError(
        this.node.path,
        'maxRecordAge',
        maxRecordAge.toHumanString(),
        `plus sampling.traceTimeoutSeconds and the sampler timeout (${latestWriteSeconds} s in all) must ` +
          `be shorter than storage.compaction.settleMinutes (${settleSeconds} s): a write may reach an hour ` +
          'that compaction has already settled; lower maxRecordAge or raise settleMinutes',
      );
    }
  }

  private recordAgeWithin(maxRecordAge: Duration, retention: Duration): Duration {
    checkDuration(
      this,
      'maxRecordAge',
      maxRecordAge,
      EVENT_SOURCE_LIMITS.minRecordAge,
      EVENT_SOURCE_LIMITS.maxRecordAge,
    );
    if (
      !maxRecordAge.isUnresolved() &&
      !retention.isUnresolved() &&
      maxRecordAge.toSeconds() >= retention.toSeconds()
    ) {
      throw new InvalidPropError(
        this.node.path,
        'maxRecordAge',
        maxRecordAge.toHumanString(),
        `must be shorter than the stream retention (${retention.toHumanString()}), or records the ` +
          'sampler keeps failing on expire from the stream before they reach the failed-batches bucket',
      );
    }
    return maxRecordAge;
  }
}
