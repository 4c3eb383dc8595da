/**
 * `npm start`: the tracesift pipeline on loopback, no AWS account needed (options in START_USAGE).
 */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HashKeysError } from '../lambdas/ingest/errors.ts';
import { ConfigError, parseConfig, parseConfigJson } from '../lambdas/shared/config/index.ts';
import { jsonLogger } from '../lambdas/shared/log.ts';
import { UiBuildError } from '../ui/errors.ts';
import { ConfigFileError, DataDirectoryError, LocalPipelineError, UsageError } from './errors.ts';
import { startLocalPipeline } from './pipeline.ts';
import { StandInError } from './standins/errors.ts';
import { StatusBoard, StatusReporter, statusLine } from './status.ts';
import { usageRequested } from './usage.ts';

export const START_USAGE = `npm start -- [options]

Runs the whole tracesift pipeline on this machine (stand-ins for API Gateway, Kinesis, DynamoDB
and S3, the real Lambda handlers) and serves the OTLP/HTTP endpoint until Ctrl-C.

  --port N          OTLP/HTTP and trace-by-id port on 127.0.0.1; 0 picks a free one (default 4318)
  --data-dir DIR    where the stand-ins keep their data, endpoints.json and the API keys (default .tracesift)
  --config FILE     a tracesift configuration JSON (default: the built-in defaults)
  --fresh           delete the stored traces and stream first; the API keys stay (default off)
  --shards N        Kinesis shards of the stand-in stream (default 2)
  --batch-size N    records per sampler batch, as the event source mapping's BatchSize (default 500)
  --api-key KEY     the ingest API key, which can only send spans (default TRACESIFT_API_KEY, or one
                    generated and kept in DIR/api-key)
  --query-api-key KEY  the read API key, which can only read traces (default TRACESIFT_QUERY_API_KEY,
                    or one generated and kept in DIR/query-api-key); must differ from the ingest key
  --browser-api-key KEY  the browser API key, public, which can only send spans (default
                    TRACESIFT_BROWSER_API_KEY, or one generated and kept in DIR/browser-api-key);
                    used only when the config sets ingest.cors.allowedOrigins
  -h, --help        print this and exit

Example:
  npm start -- --fresh --port 4318
`;

export interface StartOptions {
  readonly config: string | undefined;
  readonly fresh: boolean;
  readonly port: string;
  readonly shards: string;
  readonly batchSize: string;
  readonly apiKey: string | undefined;
  readonly queryApiKey: string | undefined;
  readonly browserApiKey: string | undefined;
  readonly dataDir: string;
}

export function parseStartArgs(argv: readonly string[]): StartOptions {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        fresh: { type: 'boolean', default: false },
        port: { type: 'string', default: '4318' },
        shards: { type: 'string', default: '2' },
        'batch-size': { type: 'string', default: '500' },
        'api-key': { type: 'string' },
        'query-api-key': { type: 'string' },
        'browser-api-key': { type: 'string' },
        'data-dir': { type: 'string', default: '.tracesift' },
      },
      strict: true,
    });
    return {
      config: values.config,
      fresh: values.fresh,
      port: values.port,
      shards: values.shards,
      batchSize: values['batch-size'],
      apiKey: values['api-key'],
      queryApiKey: values['query-api-key'],
      browserApiKey: values['browser-api-key'],
      dataDir: values['data-dir'],
    };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${START_USAGE}`);
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

/** Where a local key comes from: its flag, its environment variable, or its file in the data dir. */
interface KeySource {
  readonly envName: string;
  readonly file: string;
  readonly prefix: string;
}

const INGEST_KEY: KeySource = { envName: 'TRACESIFT_API_KEY', file: 'api-key', prefix: 'local-' };
const QUERY_KEY: KeySource = {
  envName: 'TRACESIFT_QUERY_API_KEY',
  file: 'query-api-key',
  prefix: 'local-read-',
};
const BROWSER_KEY: KeySource = {
  envName: 'TRACESIFT_BROWSER_API_KEY',
  file: 'browser-api-key',
  prefix: 'local-browser-',
};

/** A local API key: the flag, the environment variable, or one generated once and kept in the data dir. */
function apiKey(dataDir: string, given: string | undefined, source: KeySource): string {
  if (given) return given;
  const fromEnv = process.env[source.envName];
  if (fromEnv) return fromEnv;
  const file = join(dataDir, source.file);
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    // Private like everything in it (pipeline.ts): it holds the keys, traces and the stand-ins' credential.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = `${source.prefix}${randomBytes(12).toString('hex')}`;
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

/** The browser key's lines of the start-up text, when pages of allowed origins may send spans. */
function browserLines(key: string | undefined, origins: readonly string[]): string {
  if (key === undefined) return '';
  return `\n  browser API key      x-api-key: ${key}   (public, sends spans only; pages of ${origins.join(', ')})`;
}

async function main(argv: readonly string[]): Promise<void> {
  if (usageRequested(argv)) {
    process.stdout.write(START_USAGE);
    return;
  }
  const args = parseStartArgs(argv);
  const dataDir = resolve(args.dataDir);
  const config = args.config ? parseConfigJson(configFile(args.config), args.config) : parseConfig({});
  const logger = jsonLogger('local', 'warn');
  const status = new StatusBoard();
  const pipeline = await startLocalPipeline({
    dataDir,
    fresh: args.fresh,
    port: positiveInt('port', args.port, true),
    apiKey: apiKey(dataDir, args.apiKey, INGEST_KEY),
    queryApiKey: apiKey(dataDir, args.queryApiKey, QUERY_KEY),
    // As in AWS, where the browser key and its usage plan exist only for allowed origins.
    browserApiKey:
      config.ingest.cors.allowedOrigins.length > 0
        ? apiKey(dataDir, args.browserApiKey, BROWSER_KEY)
        : undefined,
    config,
    shardCount: positiveInt('shards', args.shards),
    batchSize: positiveInt('batch-size', args.batchSize),
    logger,
    metricSink: status.sink,
  });
  // Before anything is printed: a signal arriving with no listener would kill the process at once,
  // leaving the data directory's lock behind.
  let report: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (report) clearInterval(report);
    console.log('\nstopping: answering requests in flight, letting the sampler finish its batches...');
    try {
      await pipeline.stop();
    } catch (error) {
      console.error(`tracesift: stopping failed: ${(error as Error).message}`);
      process.exit(1);
    }
    const end = status.snapshot();
    console.log(statusLine(end, end, 0, pipeline.pendingRecords(end.recordsPut)));
    console.log('stopped. Undecided traces stay in the stream and are picked up by the next start.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const e = pipeline.endpoints;
  console.log(`tracesift is running locally (data in ${dataDir})

  OTLP/HTTP endpoint   ${e.traces}
  trace by id          GET ${e.traceById}/{traceId}
  Jaeger query API     GET ${e.otlpHttp}/api/services, /api/traces?service=... (Grafana: Jaeger data source, URL ${e.otlpHttp}, header x-api-key = the read key)
  ingest API key       x-api-key: ${e.apiKey}   (sends spans only)
  read API key         x-api-key: ${e.queryApiKey}   (reads traces only)
  web UI               ${e.webUi}#key=${encodeURIComponent(e.queryApiKey)}   (open in a browser; the page keeps the key for the tab only)${browserLines(e.browserApiKey, config.ingest.cors.allowedOrigins)}
  Kinesis stand-in     ${e.kinesis} (stream ${e.streamName}, ${args.shards} shards)
  DynamoDB stand-in    ${e.dynamodb} (table ${e.tableName})
  S3 stand-in          ${e.s3} (bucket ${e.bucketName}, files in ${e.s3Directory})
  sampler              batching window ${config.window.batchingWindowSeconds} s, send delay ${config.sampling.sendDelaySeconds} s, trace timeout ${config.sampling.traceTimeoutSeconds} s
  endpoints            ${join(dataDir, 'endpoints.json')}

Point an OpenTelemetry exporter at it, e.g.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${e.traces} OTEL_EXPORTER_OTLP_HEADERS=x-api-key=${e.apiKey}
Ctrl-C stops it gracefully.`);

  // A live line on a terminal, a periodic one in logs (CI, docker logs, files); each only when a
  // figure changed, so an idle pipeline stays quiet.
  const tty = process.stdout.isTTY === true;
  const reporter = new StatusReporter({
    board: status,
    pendingRecords: pipeline.pendingRecords,
    now: Date.now,
    print: (line) => {
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else console.log(line);
    },
  });
  report = setInterval(() => reporter.tick(), tty ? 1_000 : 10_000);
}

if (import.meta.main)
  main(process.argv.slice(2)).catch((error: unknown) => {
    const known =
      error instanceof ConfigError ||
      error instanceof LocalPipelineError ||
      error instanceof StandInError ||
      error instanceof HashKeysError ||
      error instanceof UiBuildError;
    console.error(`tracesift: ${known ? (error as Error).message : (error as Error).stack}`);
    process.exit(known ? 2 : 1);
  });
