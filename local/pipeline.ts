/**
 * The whole pipeline on loopback: in-process stand-ins for Kinesis, DynamoDB and S3, the API
 * Gateway stand-in serving the OTLP endpoint and the trace-by-id API, and a poller delivering
 * Kinesis batches to the sampler as the event source mapping would. Every handler is the very same
 * one that runs in Lambda, built by its factory with clients pointed at the stand-ins.
 */

import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, Context, KinesisStreamEvent } from 'aws-lambda';
import { compactionDeps } from '../lambdas/compaction/wiring.ts';
import { createIngestFunction } from '../lambdas/ingest/wiring.ts';
import { QUERY_ROUTES } from '../lambdas/query/app.ts';
import { uiAssetsOf } from '../lambdas/query/ui-assets.ts';
import { WEB_UI_RESOURCES } from '../lambdas/query/web-ui.ts';
import { createQueryFunction } from '../lambdas/query/wiring.ts';
import { createSamplerFunction } from '../lambdas/sampler/wiring.ts';
import type { TracesiftConfig } from '../lambdas/shared/config/index.ts';
import type { Logger } from '../lambdas/shared/log.ts';
import type { MetricSink } from '../lambdas/shared/metrics/index.ts';
import { invocationRecordOf, LAMBDA_DESTINATION_PREFIX } from '../replay/invocation-record.ts';
import { buildUiAssets } from '../ui/build.ts';
import { type ApiGatewayStandIn, startApiGateway } from './api-gateway.ts';
import { type LocalCompaction, startLocalCompaction } from './compaction.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { DataDirectoryError, SharedApiKeyError, SharedBrowserApiKeyError } from './errors.ts';
import { type FailedBatch, fileCheckpointStore, type Poller, startPoller } from './poller.ts';
import { localHashKeys } from './redaction-keys.ts';
import { generateCredentials, type StandInCredentials } from './standins/credentials.ts';
import { startDynamoDbStandIn } from './standins/dynamodb.ts';
import { ensureStream, startKinesisStandIn } from './standins/kinesis.ts';
import { startS3StandIn } from './standins/s3.ts';
import { ensureTraceTable } from './trace-table.ts';

export interface LocalPipelineOptions {
  /** Where stand-ins keep their data (persisting across restarts) and endpoints.json is written. */
  readonly dataDir: string;
  /** Delete the stand-ins' data first (the API key file stays, so configured exporters keep working). */
  readonly fresh: boolean;
  /** OTLP/HTTP port; 4318 is the OpenTelemetry default. 0 picks a free port (tests). */
  readonly port: number;
  /** The ingest key: accepted by the write routes only. */
  readonly apiKey: string;
  /** The read key: accepted by the read routes only; must differ from the ingest key. */
  readonly queryApiKey: string;
  /**
   * The browser key: public (it is in every page that exports spans), accepted by the write
   * routes only, like the ingest key; must differ from both. In AWS it exists only when
   * `ingest.cors.allowedOrigins` is set, and `npm start` passes one only then.
   */
  readonly browserApiKey?: string | undefined;
  readonly config: TracesiftConfig;
  readonly shardCount: number;
  readonly logger: Logger;
  /** Receives every EMF metrics line of every handler (the status line reads them). */
  readonly metricSink: MetricSink;
  /** Records per sampler batch (the event source mapping's BatchSize). */
  readonly batchSize?: number;
  /** Minutes between compaction runs over closed hours (as the hourly rule in AWS); 0: only at stop. */
  readonly compactionIntervalMinutes?: number;
  /**
   * The credential the stand-ins accept (and every client of the pipeline signs with); no other
   * local user can reach the data past the API key.
   * @default - one generated for this run (credentials.ts)
   */
  readonly credentials?: StandInCredentials;
}

export interface LocalEndpoints {
  readonly otlpHttp: string;
  readonly traces: string;
  /** GET `${traceById}/{traceId}`. */
  readonly traceById: string;
  /** The web UI (no key to load it; the page asks for the read key, or takes it from `#key=`). */
  readonly webUi: string;
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly s3: string;
  readonly streamName: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** Where s3rver keeps the bucket's objects on disk (the local query CLI reads Parquet there). */
  readonly s3Directory: string;
  /** The ingest key (POST /v1/traces); refused by every read route. */
  readonly apiKey: string;
  /** The read key (GET and HEAD on traceById); refused by every write route. */
  readonly queryApiKey: string;
  /** The browser key (public; sends spans only), when the pipeline has one. */
  readonly browserApiKey?: string;
  /** What the Kinesis, DynamoDB and S3 stand-ins accept: sign with it to reach them (replay). */
  readonly credentials: StandInCredentials;
  /** The sampler's clocks, so clients (the demo) know how long decisions take. */
  readonly sampler: {
    readonly batchingWindowSeconds: number;
    readonly sendDelaySeconds: number;
    readonly traceTimeoutSeconds: number;
  };
}

export interface LocalPipeline {
  readonly endpoints: LocalEndpoints;
  readonly poller: Poller;
  /** Records written to the stream and not yet checkpointed by the poller. */
  pendingRecords(putRecords: number): number;
  /** The compaction schedule (also run once more by stop()). */
  readonly compaction: LocalCompaction;
  /** Answers requests in flight, lets the sampler finish its batches, then stops every part. */
  stop(): Promise<void>;
}

export const STREAM_NAME = 'tracesift-spans';
export const TABLE_NAME = 'tracesift-traces';
export const BUCKET_NAME = 'tracesift-local';
export const FAILED_BATCHES_PREFIX = 'failed-batches/';

/** What --fresh deletes: everything the pipeline stores, nothing the user configured. */
const DATA_ENTRIES = ['kinesis', 'dynamodb', 's3', 'state', 'endpoints.json'];

const NO_CONTEXT = {} as Context;

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const { dataDir, config, logger } = options;
  if (options.queryApiKey === options.apiKey) throw new SharedApiKeyError();
  const { browserApiKey } = options;
  if (browserApiKey === options.apiKey || browserApiKey === options.queryApiKey) {
    throw new SharedBrowserApiKeyError();
  }
  // Built from the sources at every start (a third of a second), before anything needs stopping.
  const ui = uiAssetsOf(await buildUiAssets());
  const lock = prepareDataDir(dataDir, options.fresh);
  const credentials = options.credentials ?? generateCredentials();
  const cleanup: Array<() => Promise<void>> = [async () => lock.release()];
  try {
    const kinesis = await startKinesisStandIn({ path: join(dataDir, 'kinesis'), credentials });
    cleanup.push(() => kinesis.close());
    const dynamo = await startDynamoDbStandIn({ path: join(dataDir, 'dynamodb'), credentials });
    cleanup.push(() => dynamo.close());
    const s3Directory = join(dataDir, 's3');
    const s3 = await startS3StandIn({ directory: s3Directory, buckets: [BUCKET_NAME], credentials });
    cleanup.push(() => s3.close());

    // Ingest and sampler run their own retry loops with deadlines (put-records.ts).
    const kinesisClient = kinesis.client({ maxAttempts: 1 });
    const dynamodbClient = dynamo.client();
    const s3Client = s3.client();
    await ensureStream(kinesisClient, STREAM_NAME, options.shardCount);
    await ensureTraceTable(dynamodbClient, TABLE_NAME);
    // The very wiring each function runs in Lambda, given the stand-ins' clients and no Lambda context.
    const telemetry = { logger, metricSink: options.metricSink };
    const ingest = createIngestFunction(
      { config, streamName: STREAM_NAME, hashKeys: localHashKeys(dataDir, config) },
      { kinesis: kinesisClient, now: Date.now },
      telemetry,
    );
    const sampler = createSamplerFunction(
      { config, streamName: STREAM_NAME, tableName: TABLE_NAME, bucketName: BUCKET_NAME },
      { kinesis: kinesisClient, dynamodb: dynamodbClient, s3: s3Client, now: Date.now },
      telemetry,
    );
    const query = createQueryFunction(
      { tableName: TABLE_NAME, ui },
      { dynamodb: dynamodbClient, now: Date.now },
      telemetry,
    );

    const stateDir = join(dataDir, 'state');
    privateDirectory(stateDir);
    const poller = await startPoller({
      kinesis: kinesisClient,
      streamName: STREAM_NAME,
      handler: async (event: KinesisStreamEvent) => (await sampler(event, NO_CONTEXT)) ?? undefined,
      batchSize: options.batchSize ?? 500,
      batchingWindowMs: config.window.batchingWindowSeconds * 1000,
      parallelizationFactor: config.ingest.lanes,
      bisectOnError: true,
      reportBatchItemFailures: true,
      maxRetryAttempts: 3,
      // Like the event source mapping's S3 on-failure destination: the batch, payloads included.
      onFailure: (batch) => storeFailedBatch(s3Client, batch),
      checkpoints: fileCheckpointStore(join(stateDir, 'poller-checkpoints.json')),
      logger,
    });
    cleanup.push(() => poller.stop());

    const gateway: ApiGatewayStandIn = await startApiGateway({
      port: options.port,
      logger,
      // In AWS the read routes (every resource QUERY_ROUTES answers) are another REST API
      // (lib/query-api.ts) whose usage plan holds only the read key; here they share a port, each
      // route accepting its own API's keys. The web UI's static files need none there either.
      routes: [
        ...[...QUERY_ROUTES.keys()].flatMap((path) =>
          ['GET', 'HEAD'].map((method) => ({
            method,
            path,
            ...(WEB_UI_RESOURCES.includes(path)
              ? { keyless: true as const }
              : { apiKeys: [options.queryApiKey] }),
            handler: (event: APIGatewayProxyEvent) => query(event, NO_CONTEXT),
          })),
        ),
        // OTLP/HTTP and Zipkin's span reports, as on the ingest REST API (lib/ingest-api.ts), with
        // its CORS preflights when origins are allowed.
        ...['/v1/traces', '/api/v2/spans'].map((path) => ({
          method: 'ANY',
          path,
          apiKeys: browserApiKey === undefined ? [options.apiKey] : [options.apiKey, browserApiKey],
          allowedOrigins: config.ingest.cors.allowedOrigins,
          handler: (event: APIGatewayProxyEvent) => ingest(event, NO_CONTEXT),
        })),
      ],
    });

    const endpoints: LocalEndpoints = {
      otlpHttp: gateway.url,
      traces: `${gateway.url}/v1/traces`,
      traceById: `${gateway.url}/v1/traces`,
      webUi: `${gateway.url}/ui/`,
      kinesis: kinesis.endpoint,
      dynamodb: dynamo.endpoint,
      s3: s3.endpoint,
      streamName: STREAM_NAME,
      tableName: TABLE_NAME,
      bucketName: BUCKET_NAME,
      s3Directory,
      apiKey: options.apiKey,
      queryApiKey: options.queryApiKey,
      ...(browserApiKey === undefined ? {} : { browserApiKey }),
      credentials,
      sampler: {
        batchingWindowSeconds: config.window.batchingWindowSeconds,
        sendDelaySeconds: config.sampling.sendDelaySeconds,
        traceTimeoutSeconds: config.sampling.traceTimeoutSeconds,
      },
    };
    writePrivateFile(join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    const compaction = startLocalCompaction(
      compactionDeps(
        { bucketName: BUCKET_NAME, storage: config.storage },
        { s3: s3Client, now: Date.now },
        telemetry,
      ),
      (options.compactionIntervalMinutes ?? 5) * 60_000,
    );
    return {
      compaction,
      endpoints,
      poller,
      pendingRecords: (putRecords) => Math.max(0, putRecords - poller.stats.recordsDone),
      stop: async () => {
        // Order matters: stop taking requests (answering those in flight), then let the sampler
        // finish the batches it holds and checkpoint them, then stop the stand-ins. Spans of
        // undecided traces stay in the stream (durable on disk) and are read again on restart.
        // The lock goes whatever fails on the way: a stale one would refuse the next start.
        try {
          await gateway.close();
          await poller.stop();
          await compaction.stop();
          await s3.close();
          await dynamo.close();
          await kinesis.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    for (const stop of cleanup.reverse()) await stop().catch(() => {});
    throw error;
  }
}

/**
 * Like the mapping's S3 on-failure destination: the invocation record with the whole event, under
 * a key shaped as Lambda's (`aws/lambda/<mapping>/<shard>/YYYY/MM/DD/<time>-<id>`).
 */
async function storeFailedBatch(s3: S3Client, batch: FailedBatch): Promise<void> {
  const at = new Date();
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  const record = invocationRecordOf({
    condition: 'RetryAttemptsExhausted',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tracesift-local-sampler',
    attempts: batch.attempts,
    error: batch.error,
    timestamp: at.toISOString(),
    event: { Records: [...batch.records] },
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET_NAME,
      Key: `${FAILED_BATCHES_PREFIX}${LAMBDA_DESTINATION_PREFIX}local-sampler/${batch.shardId}/${day}/${at.toISOString()}-${randomUUID()}`,
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    }),
  );
}

/** The stand-ins' data folders: traces, keys and state are for the user who runs the pipeline only. */
const DATA_FOLDERS = ['kinesis', 'dynamodb', 's3', 'state'];

function prepareDataDir(dataDir: string, fresh: boolean): DataDirLock {
  try {
    // A data dir tracesift creates is private; one the user named and made keeps its mode, its
    // contents are private.
    if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DataDirectoryError(dataDir, { cause: error });
  }
  // Locked before --fresh deletes anything: a running pipeline's data stays untouched.
  const lock = lockDataDir(dataDir);
  try {
    if (fresh)
      for (const entry of DATA_ENTRIES) rmSync(join(dataDir, entry), { recursive: true, force: true });
    for (const folder of DATA_FOLDERS) privateDirectory(join(dataDir, folder));
    const probe = join(dataDir, '.write-probe');
    writeFileSync(probe, '');
    rmSync(probe);
    return lock;
  } catch (error) {
    lock.release();
    throw new DataDirectoryError(dataDir, { cause: error });
  }
}

/** A folder only its owner can enter: created so, or made so when an earlier run left it open. */
function privateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/** A file only its owner can read: the mode option applies only when the file is created. */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
