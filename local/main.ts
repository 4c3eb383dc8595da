/**
 * `npm start`: the tracesift pipeline on loopback, no AWS account needed.
 *
 *   npm start -- [--config FILE] [--fresh] [--port 4318] [--shards 2] [--batch-size 500]
 *                [--api-key KEY] [--data-dir DIR]
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lambdas/shared/config/errors.ts';
import { parseConfig, parseConfigJson } from '../lambdas/shared/config/load.ts';
import { jsonLogger } from '../lambdas/shared/log.ts';
import { ConfigFileError, DataDirectoryError, LocalPipelineError, UsageError } from './errors.ts';
import { startLocalPipeline } from './pipeline.ts';
import { StandInError } from './standins/errors.ts';
import { StatusBoard, statusLine } from './status.ts';

function options() {
  try {
    return parseArgs({
      options: {
        config: { type: 'string' },
        fresh: { type: 'boolean', default: false },
        port: { type: 'string', default: '4318' },
        shards: { type: 'string', default: '2' },
        'batch-size': { type: 'string', default: '500' },
        'api-key': { type: 'string' },
        'data-dir': { type: 'string', default: '.tracesift' },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function positiveInt(name: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65_535) {
    throw new UsageError(
      `--${name} must be an integer from ${allowZero ? 0 : 1} to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** The local API key: --api-key, TRACESIFT_API_KEY, or one generated once and kept in the data dir. */
function apiKey(dataDir: string, given: string | undefined): string {
  if (given) return given;
  if (process.env.TRACESIFT_API_KEY) return process.env.TRACESIFT_API_KEY;
  const file = join(dataDir, 'api-key');
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    // Private like everything in it (pipeline.ts): it holds the key, traces and the stand-ins' credential.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = `local-${randomBytes(12).toString('hex')}`;
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  } catch (error) {
    throw new DataDirectoryError(dataDir, { cause: error });
  }
}

function configFile(path: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, { cause: error });
  }
}

async function main(): Promise<void> {
  const args = options();
  const dataDir = resolve(args['data-dir']);
  const config = args.config ? parseConfigJson(configFile(args.config), args.config) : parseConfig({});
  const logger = jsonLogger('local', 'warn');
  const status = new StatusBoard();
  const pipeline = await startLocalPipeline({
    dataDir,
    fresh: args.fresh,
    port: positiveInt('port', args.port, true),
    apiKey: apiKey(dataDir, args['api-key']),
    config,
    shardCount: positiveInt('shards', args.shards),
    batchSize: positiveInt('batch-size', args['batch-size']),
    logger,
    metricSink: status.sink,
  });
  const e = pipeline.endpoints;
  console.log(`tracesift is running locally (data in ${dataDir})

  OTLP/HTTP endpoint   ${e.traces}
  trace by id          GET ${e.traceById}/{traceId}
  API key header       x-api-key: ${e.apiKey}
  Kinesis stand-in     ${e.kinesis} (stream ${e.streamName}, ${args.shards} shards)
  DynamoDB stand-in    ${e.dynamodb} (table ${e.tableName})
  S3 stand-in          ${e.s3} (bucket ${e.bucketName}, files in ${e.s3Directory})
  sampler              batching window ${config.window.batchingWindowSeconds} s, send delay ${config.sampling.sendDelaySeconds} s, trace timeout ${config.sampling.traceTimeoutSeconds} s
  endpoints            ${join(dataDir, 'endpoints.json')}

Point an OpenTelemetry exporter at it, e.g.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${e.traces} OTEL_EXPORTER_OTLP_HEADERS=x-api-key=${e.apiKey}
Ctrl-C stops it gracefully.`);

  // A live line on a terminal, a periodic one in logs (CI, docker logs, files).
  const tty = process.stdout.isTTY === true;
  let previous = status.snapshot();
  let previousAt = Date.now();
  const report = setInterval(
    () => {
      const now = status.snapshot();
      const at = Date.now();
      const line = statusLine(
        now,
        previous,
        (at - previousAt) / 1000,
        pipeline.pendingRecords(now.recordsPut),
      );
      previous = now;
      previousAt = at;
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else console.log(line);
    },
    tty ? 1_000 : 10_000,
  );

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(report);
    console.log('\nstopping: answering requests in flight, letting the sampler finish its batches...');
    await pipeline.stop();
    const end = status.snapshot();
    console.log(statusLine(end, end, 0, pipeline.pendingRecords(end.recordsPut)));
    console.log('stopped. Undecided traces stay in the stream and are picked up by the next start.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  const known =
    error instanceof ConfigError || error instanceof LocalPipelineError || error instanceof StandInError;
  console.error(`tracesift: ${known ? (error as Error).message : (error as Error).stack}`);
  process.exit(known ? 2 : 1);
});
