/**
 * The sampler: a Lambda function fed by the stream through an event source mapping that batches
 * for the configured window, bisects a failing batch, retries a bounded number of times, and sends
 * what it finally gives up on, payload included, to an S3 bucket, so a poison record never blocks
 * its shard and is never lost.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from '../lambdas/shared/storage/layout.ts';
import { InvalidPropError } from './errors.ts';
import { BUCKET_ENV_VAR, CONFIG_ENV_VAR, STREAM_ENV_VAR, TABLE_ENV_VAR } from './function-environment.ts';
import { acknowledgeBucketGrant, acknowledgeStreamGrant, acknowledgeTableGrant } from './grant-findings.ts';
import { type BucketDefaults, pipelineBucket } from './pipeline-bucket.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
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
   * Reserved concurrency of the sampler.
   * @default - none: shards × parallelization factor invocations at most
   */
  readonly reservedConcurrentExecutions?: number;
}

export class Sampler extends Construct {
  public readonly function: lambda.IFunction;
  public readonly eventSource: sources.KinesisEventSource;
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
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      environment: {
        [STREAM_ENV_VAR]: props.stream.streamName,
        [TABLE_ENV_VAR]: props.table.tableName,
        [BUCKET_ENV_VAR]: props.dataBucket.bucketName,
        [CONFIG_ENV_VAR]: props.config.json,
      },
    });
    this.function = sampler.function;

    // Deferred traces go back to the stream (PutRecords, routed by ListShards).
    props.stream.grantWrite(sampler.function);
    props.table.grantReadWriteData(sampler.function);
    // Parquet files under data/; the symlink manifests under tables/ are read, extended, written.
    props.dataBucket.grantPut(sampler.function, `${BUCKET_PREFIXES.data}*`);
    props.dataBucket.grantRead(sampler.function, `${BUCKET_PREFIXES.tables}*`);
    props.dataBucket.grantPut(sampler.function, `${BUCKET_PREFIXES.tables}*`);
    props.dataBucket.grantReadWrite(sampler.function, `${BUCKET_PREFIXES.state}*`);

    this.eventSource = new sources.KinesisEventSource(props.stream, {
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
      onFailure: new sources.S3OnFailureDestination(this.failedBatchesBucket),
      // EventCount metrics include OnFailureDestinationDeliveredEventCount, which the alarms watch.
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    sampler.function.addEventSource(this.eventSource);

    acknowledgeStreamGrant(
      sampler.role,
      props.stream,
      'the sampler writes deferred traces back to the stream',
    );
    acknowledgeTableGrant(sampler.role, props.table, 'the sampler looks up decisions of late spans');
    acknowledgeBucketGrant(sampler.role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.data,
      grants: ['put'],
      why: 'the sampler writes Parquet files whose keys it derives from each batch',
    });
    acknowledgeBucketGrant(sampler.role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.tables,
      grants: ['read', 'put'],
      why: 'the sampler adds its Parquet files to the symlink manifest of their shard-hour',
    });
    acknowledgeBucketGrant(sampler.role, props.dataBucket, {
      prefix: BUCKET_PREFIXES.state,
      grants: ['read', 'put', 'delete'],
      why: 'the sampler persists its statistics, recent decisions and pending traces under state/ (and deletes a pending set it replaced)',
    });
    acknowledgeBucketGrant(sampler.role, this.failedBatchesBucket, {
      prefix: '',
      grants: ['read', 'put', 'delete'],
      why: 'granted by S3OnFailureDestination: the event source mapping writes failed batches with the function role',
    });
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
