/**
 * TracePipeline: the whole of tracesift as one construct, for `cdk deploy` through bin/app.ts or
 * inside any other CDK app. It composes one construct per concern and wires them together; every
 * setting a user would tune is a prop, and all props are checked before anything is created.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { needsHashKeys } from '../lambdas/ingest/hash-keys.ts';
import type { TracesiftConfigInput } from '../lambdas/shared/config/index.ts';
import { AnalyticsStore, type AnalyticsStoreProps } from './analytics-store.ts';
import { AthenaWorkspace, type AthenaWorkspaceProps } from './athena-workspace.ts';
import { Canary, type CanaryProps } from './canary.ts';
import { InvalidPropError } from './errors.ts';
import { IngestApi, type IngestApiProps } from './ingest-api.ts';
import { PipelineMonitoring, type PipelineMonitoringProps } from './monitoring.ts';
import { athenaNamedQueries } from './named-queries.ts';
import { accessLogsBucket, type BucketDefaults } from './pipeline-bucket.ts';
import { type PipelineConfig, resolvePipelineConfig } from './pipeline-config.ts';
import type { FunctionDefaults } from './pipeline-function.ts';
import { QueryApi, type QueryApiProps } from './query-api.ts';
import { RedactionKeys } from './redaction-keys.ts';
import { Sampler, type SamplerProps } from './sampler.ts';
import { TraceStore, type TraceStoreProps } from './trace-store.ts';
import { TraceStream, type TraceStreamProps } from './trace-stream.ts';
import { checkDuration } from './validation.ts';

export interface TracePipelineProps {
  /**
   * The sampling and ingest configuration (lambdas/shared/config/schema.ts), the same object local
   * mode reads with `--config`. Validated at synth time; passed to every function as
   * TRACESIFT_CONFIG. `window.batchingWindowSeconds` sets the sampler's batching window.
   * @default {} (every default)
   */
  readonly config?: TracesiftConfigInput;
  /**
   * Concurrent sampler batches per shard (1 to 10). Ingest routes each trace to one of this many
   * lanes, so `config.ingest.lanes` is set from it; give one or the other, or both equal.
   * @default config.ingest.lanes, whose default is 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Customer-managed KMS key for the stream, table, buckets and Athena results (those tracesift
   * creates: an existing stream, table or bucket keeps its own encryption).
   * @default - AWS-managed keys: alias/aws/kinesis, alias/aws/dynamodb, SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A Kinesis stream to use instead of creating one; `stream.retentionPeriod` then states its
   * retention. See TraceStreamProps.existingStream for what it must be and which props it refuses.
   * @default - a new stream
   */
  readonly existingStream?: kinesis.IStream;
  /**
   * A DynamoDB table to keep traces in instead of creating one, with tracesift's key schema, TTL
   * attribute and service index. See TraceStoreProps.existingTable.
   * @default - a new table
   */
  readonly existingTable?: dynamodb.ITable;
  /**
   * An S3 bucket for the Parquet files, manifests and sampler state instead of creating one; its
   * expiry rules are the owner's. See AnalyticsStoreProps.existingDataBucket.
   * @default - a new bucket
   */
  readonly existingDataBucket?: s3.IBucket;
  /**
   * Instruction set of every function.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Retention of the functions' logs and the API access logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retention of the S3 server access logs.
   * @default Duration.days(90)
   */
  readonly accessLogRetention?: Duration;
  /**
   * What `cdk destroy` does with data: RETAIN keeps the table, buckets and logs; DESTROY deletes
   * them (emptying the buckets first). DESTROY suits test deployments. The stream is always
   * deleted (see TraceStreamProps.removalPolicy).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - see TraceStreamProps */
  readonly stream?: Omit<TraceStreamProps, 'encryptionKey' | 'removalPolicy'>;
  /** The ingest API (writes). @default - see IngestApiProps */
  readonly api?: Pick<
    IngestApiProps,
    | 'memorySize'
    | 'timeout'
    | 'reservedConcurrentExecutions'
    | 'throttle'
    | 'quota'
    | 'browserThrottle'
    | 'stageName'
    | 'cloudWatchRole'
    | 'webAclArn'
  >;
  /**
   * The query API (reads), a REST API of its own with its own read key, so that no ingest key can
   * read. Its stage needs the account's API Gateway logging role, which `api.cloudWatchRole` creates.
   * @default - see QueryApiProps
   */
  readonly queryApi?: Pick<QueryApiProps, 'throttle' | 'quota' | 'stageName' | 'webAclArn'>;
  /** @default - see SamplerProps */
  readonly sampler?: Pick<
    SamplerProps,
    | 'memorySize'
    | 'timeout'
    | 'batchSize'
    | 'retryAttempts'
    | 'maxRecordAge'
    | 'failedBatchRetention'
    | 'reservedConcurrentExecutions'
  >;
  /** @default - see TraceStoreProps */
  readonly traceStore?: Pick<
    TraceStoreProps,
    | 'pointInTimeRecovery'
    | 'queryMemorySize'
    | 'queryTimeout'
    | 'maxWriteRequestUnits'
    | 'maxReadRequestUnits'
  >;
  /** @default - see AnalyticsStoreProps */
  readonly analytics?: Pick<
    AnalyticsStoreProps,
    'databaseName' | 'compactionSchedule' | 'compactionMemorySize' | 'compactionTimeout'
  >;
  /**
   * `namedQueries` are added to the named queries of athena/queries/, which are always created.
   * @default - see AthenaWorkspaceProps
   */
  readonly athena?: Pick<
    AthenaWorkspaceProps,
    'workGroupName' | 'bytesScannedCutoffPerQuery' | 'resultRetention' | 'namedQueries'
  >;
  /**
   * The synthetic canary: a known trace sent through the endpoint and read back on a schedule,
   * with alarms on loss and delay (sent to `monitoring.alarmTopic`). It relies on the baseline
   * keeping its trace (any probability above 0 does), so `false` is required with a baseline of 0.
   * @default - enabled, see CanaryProps
   */
  readonly canary?: Pick<CanaryProps, 'interval' | 'readDeadline' | 'delayThreshold'> | false;
  /** @default - see PipelineMonitoringProps */
  readonly monitoring?: Pick<
    PipelineMonitoringProps,
    'alarmTopic' | 'iteratorAgeThreshold' | 'apiServerErrorRateThreshold'
  >;
}

export class TracePipeline extends Construct {
  /** The validated configuration every function receives. */
  public readonly config: PipelineConfig;
  public readonly traceStream: TraceStream;
  public readonly traceStore: TraceStore;
  public readonly analyticsStore: AnalyticsStore;
  public readonly sampler: Sampler;
  /** Writes only: POST /v1/traces with an ingest key. */
  public readonly ingestApi: IngestApi;
  /**
   * Reads only, with the read key: GET/HEAD /v1/traces/{traceId} (OTLP JSON) and Jaeger's query API
   * for Grafana (/api/traces, /api/traces/{traceId}, /api/services, /api/services/{service}/operations,
   * /api/operations, /api/dependencies).
   */
  public readonly queryApi: QueryApi;
  public readonly athena: AthenaWorkspace;
  public readonly monitoring: PipelineMonitoring;
  /** Undefined when the `canary` prop is false. */
  public readonly canary: Canary | undefined;
  /** The keys of the `hash` redaction action; undefined when no configured rule hashes. */
  public readonly redactionKeys: RedactionKeys | undefined;

  public constructor(scope: Construct, id: string, props: TracePipelineProps = {}) {
    super(scope, id);
    // Buckets owned by their owner (ACLs disabled) can only receive access logs granted through
    // the bucket policy; without this flag (apps made before CDK 2.60) CDK would grant them with an
    // ACL and fail synth. Set here, it holds for this construct's resources only.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.config = resolvePipelineConfig(this, props.config, props.parallelizationFactor);
    if (props.canary !== false && !(this.config.config.sampling.baselineProbability > 0)) {
      throw new InvalidPropError(
        this.node.path,
        'canary',
        props.canary,
        'must be false when config.sampling.baselineProbability is 0: the canary trace is kept by the baseline',
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const functions: FunctionDefaults = {
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    };
    const accessLogs = accessLogsBucket(this, 'AccessLogs', {
      retention: checkDuration(
        this,
        'accessLogRetention',
        props.accessLogRetention ?? Duration.days(90),
        Duration.days(1),
        Duration.days(3650),
      ),
      removalPolicy,
    });
    const buckets: BucketDefaults = {
      accessLogsBucket: accessLogs,
      removalPolicy,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    };
    const withKey = props.encryptionKey ? { encryptionKey: props.encryptionKey } : {};

    this.traceStream = new TraceStream(
      this,
      'Stream',
      props.existingStream
        ? { ...props.stream, existingStream: props.existingStream }
        : { ...props.stream, ...withKey },
    );
    this.traceStore = new TraceStore(this, 'TraceStore', {
      ...props.traceStore,
      ...functions,
      ...(props.existingTable ? { existingTable: props.existingTable } : withKey),
      configJson: this.config.json,
      tableRemovalPolicy: removalPolicy,
    });
    this.analyticsStore = new AnalyticsStore(this, 'Analytics', {
      ...props.analytics,
      ...functions,
      buckets,
      config: this.config,
      ...(props.existingDataBucket ? { existingDataBucket: props.existingDataBucket } : {}),
    });
    this.sampler = new Sampler(this, 'Sampler', {
      ...props.sampler,
      ...functions,
      stream: this.traceStream.stream,
      streamRetention: this.traceStream.retentionPeriod,
      table: this.traceStore.table,
      dataBucket: this.analyticsStore.bucket,
      config: this.config,
      buckets,
    });
    this.ingestApi = new IngestApi(this, 'Api', {
      ...props.api,
      ...functions,
      stream: this.traceStream.stream,
      config: this.config,
    });
    this.redactionKeys = needsHashKeys(this.config.config)
      ? new RedactionKeys(this, 'RedactionKeys', {
          currentKeyId: this.config.config.redaction.hashKeys.current,
          reader: this.ingestApi.ingestFunction,
          removalPolicy,
          ...withKey,
        })
      : undefined;
    this.queryApi = new QueryApi(this, 'QueryApi', {
      ...props.queryApi,
      logRetention: functions.logRetention,
      removalPolicy,
      queryFunction: this.traceStore.queryFunction,
      // One logging role per account and region: the ingest API's, when it creates one.
      cloudWatchRole: false,
    });
    const loggingRole = this.ingestApi.api.node.tryFindChild('Account');
    if (loggingRole) this.queryApi.stage.node.addDependency(loggingRole);
    this.athena = new AthenaWorkspace(this, 'Athena', {
      ...props.athena,
      // Read at synth time: the saved queries are the tested .sql files, run in the database
      // whose tables (spans, traces, edges) they name unqualified.
      namedQueries: [...athenaNamedQueries(), ...(props.athena?.namedQueries ?? [])],
      databaseName: this.analyticsStore.databaseName,
      buckets,
    });
    // The database is named by a plain string: without these, CloudFormation could create a saved
    // query before the tables it reads exist.
    for (const query of this.athena.namedQueries) {
      for (const table of Object.values(this.analyticsStore.tables)) query.addResourceDependency(table);
    }
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      ...props.monitoring,
      ingestFunction: this.ingestApi.ingestFunction,
      samplerFunction: this.sampler.function,
      queryFunction: this.traceStore.queryFunction,
      compactionFunction: this.analyticsStore.compactionFunction,
      samplerEventSourceMappingId: this.sampler.eventSource.eventSourceMappingId,
      stream: this.traceStream.stream,
      table: this.traceStore.table,
      apiStage: this.ingestApi.stage,
      queryApiStage: this.queryApi.stage,
    });
    this.canary =
      props.canary === false
        ? undefined
        : new Canary(this, 'Canary', {
            ...props.canary,
            ...functions,
            ingestStage: this.ingestApi.stage,
            ingestApiKey: this.ingestApi.apiKey,
            queryStage: this.queryApi.stage,
            queryApiKey: this.queryApi.apiKey,
          });
    const topic = props.monitoring?.alarmTopic;
    if (topic && this.canary) {
      const action = new actions.SnsAction(topic);
      for (const alarm of this.canary.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
