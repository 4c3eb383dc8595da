/**
 * The whole pipeline on loopback: stand-ins for Kinesis (and, as the stores land, DynamoDB and S3),
 * the API Gateway stand-in serving the OTLP endpoint, and the very same Lambda handlers, built with
 * clients pointed at the stand-ins.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createIngestHandler } from '../lambdas/ingest/app.ts';
import type { TracesiftConfig } from '../lambdas/shared/config/schema.ts';
import type { Logger } from '../lambdas/shared/log.ts';
import { type MetricSink, Metrics } from '../lambdas/shared/metrics/emf.ts';
import { ShardDirectory } from '../lambdas/shared/routing/shard-directory.ts';
import { type ApiGatewayStandIn, startApiGateway } from './api-gateway.ts';
import { DataDirectoryError } from './errors.ts';
import { ensureStream, type KinesisStandIn, startKinesisStandIn } from './standins/kinesis.ts';

export interface LocalPipelineOptions {
  /** Where stand-ins keep their data (persisting across restarts) and endpoints.json is written. */
  readonly dataDir: string;
  /** Delete the stand-ins' data first (the API key file stays, so configured exporters keep working). */
  readonly fresh: boolean;
  /** OTLP/HTTP port; 4318 is the OpenTelemetry default. 0 picks a free port (tests). */
  readonly port: number;
  readonly apiKey: string;
  readonly config: TracesiftConfig;
  readonly shardCount: number;
  readonly logger: Logger;
  /** Receives every EMF metrics line of every handler (the status line reads them). */
  readonly metricSink: MetricSink;
  /** Keep stand-in data in memory only (tests). */
  readonly inMemory?: boolean;
}

export interface LocalEndpoints {
  readonly otlpHttp: string;
  readonly traces: string;
  readonly kinesis: string;
  readonly streamName: string;
  readonly apiKey: string;
}

export interface LocalPipeline {
  readonly endpoints: LocalEndpoints;
  /** Answers requests in flight, then stops every part. */
  stop(): Promise<void>;
}

export const STREAM_NAME = 'tracesift-spans';

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  prepareDataDir(options.dataDir, options.fresh);
  const stopOnFailure: Array<() => Promise<void>> = [];
  try {
    const kinesis: KinesisStandIn = await startKinesisStandIn(
      options.inMemory ? {} : { path: join(options.dataDir, 'kinesis') },
    );
    stopOnFailure.push(() => kinesis.close());
    const kinesisClient = kinesis.client({ maxAttempts: 1 });
    await ensureStream(kinesisClient, STREAM_NAME, options.shardCount);

    const ingest = createIngestHandler({
      kinesis: kinesisClient,
      streamName: STREAM_NAME,
      config: options.config,
      shards: new ShardDirectory(kinesisClient, {
        streamName: STREAM_NAME,
        ttlMs: options.config.ingest.shardMapTtlSeconds * 1000,
      }),
      metrics: new Metrics({ dimensions: { Function: 'ingest' }, sink: options.metricSink }),
      logger: options.logger,
    });
    const gateway: ApiGatewayStandIn = await startApiGateway({
      port: options.port,
      apiKeys: [options.apiKey],
      logger: options.logger,
      routes: [
        {
          method: 'ANY',
          path: '/v1/traces',
          handler: (event: APIGatewayProxyEvent) => ingest(event, {} as Context),
        },
      ],
    });
    stopOnFailure.push(() => gateway.close());

    const endpoints: LocalEndpoints = {
      otlpHttp: gateway.url,
      traces: `${gateway.url}/v1/traces`,
      kinesis: kinesis.endpoint,
      streamName: STREAM_NAME,
      apiKey: options.apiKey,
    };
    writeFileSync(join(options.dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    return {
      endpoints,
      stop: async () => {
        // Order matters: stop taking requests (answering those in flight) before the stream goes.
        await gateway.close();
        await kinesis.close();
      },
    };
  } catch (error) {
    for (const stop of stopOnFailure.reverse()) await stop().catch(() => {});
    throw error;
  }
}

/** What --fresh deletes: everything the pipeline stores, nothing the user configured. */
const DATA_ENTRIES = ['kinesis', 'dynamodb', 's3', 'state', 'endpoints.json'];

function prepareDataDir(dataDir: string, fresh: boolean): void {
  try {
    if (fresh)
      for (const entry of DATA_ENTRIES) rmSync(join(dataDir, entry), { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const probe = join(dataDir, '.write-probe');
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new DataDirectoryError(dataDir, { cause: error });
  }
}
