/** The flags of `npm run demo` and `npm run trace`, validated into plain options (each bad flag named in the error). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidTraceIdHex } from '../lambdas/shared/span/ids.ts';
import type { GivenApis } from './endpoints.ts';
import { DemoUsageError } from './errors.ts';
import type { OtlpProtocol } from './telemetry.ts';

export interface DemoOptions {
  readonly rate: number;
  readonly count: number | undefined;
  readonly durationSeconds: number | undefined;
  readonly errorRate: number;
  readonly slowRate: number;
  readonly slowMs: number;
  readonly protocol: OtlpProtocol;
  readonly gzip: boolean;
  readonly seed: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly exportDelayMs: number;
  /** Read the decisions back and print them beside the ground truth. */
  readonly wait: boolean;
  /** A deployed pipeline's APIs and keys, instead of the local one's endpoints.json. */
  readonly deployed: GivenApis | undefined;
}

export const DEMO_USAGE = `npm run demo -- [options]

Five example services instrumented with the OpenTelemetry JS SDK send checkout traffic to the
pipeline (the local one of npm start unless --endpoint is given), then the sampler's decisions
are read back and printed beside what was sent.

  --rate N              requests a second (default 10)
  --duration S          seconds of traffic (default 30); or
  --count N             this many requests instead
  --error-rate R        share of requests that fail, 0 to 1 (default 0.05)
  --slow-rate R         share of requests that are slow, 0 to 1 (default 0.05)
  --slow-ms MS          how slow a slow request is (default 1500)
  --protocol P          OTLP/HTTP encoding: proto or json (default proto)
  --no-gzip             send uncompressed (default gzip)
  --seed N              seed of the traffic (default 42)
  --data-dir DIR        npm start's data directory, for its endpoints.json (default .tracesift)
  --logs FILE           the services' JSON logs (default DIR/demo-logs/demo-<time>.jsonl)
  --export-delay-ms MS  the SDK's batch export delay (default 5000)
  --no-wait             do not wait for the decisions (default: wait and print them)
  --endpoint URL        a deployed pipeline's OTLP endpoint (its OtlpEndpoint output), with --api-key KEY,
                        --query-endpoint URL (QueryEndpoint) and --query-api-key KEY instead of npm start's
  -h, --help            print this and exit

Example:
  npm run demo -- --rate 20 --duration 60 --error-rate 0.1
`;

export function parseDemoOptions(argv: readonly string[], now = new Date()): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string', default: '10' },
        duration: { type: 'string' },
        count: { type: 'string' },
        'error-rate': { type: 'string', default: '0.05' },
        'slow-rate': { type: 'string', default: '0.05' },
        'slow-ms': { type: 'string', default: '1500' },
        protocol: { type: 'string', default: 'proto' },
        gzip: { type: 'boolean', default: true },
        seed: { type: 'string', default: '42' },
        'data-dir': { type: 'string', default: '.tracesift' },
        logs: { type: 'string' },
        'export-delay-ms': { type: 'string', default: '5000' },
        wait: { type: 'boolean', default: true },
        endpoint: { type: 'string' },
        'api-key': { type: 'string' },
        'query-endpoint': { type: 'string' },
        'query-api-key': { type: 'string' },
      },
      allowNegative: true,
      strict: true,
    }).values;
  } catch (error) {
    throw new DemoUsageError('', `${(error as Error).message}\nusage: ${DEMO_USAGE}`, { cause: error });
  }
  if (values.duration !== undefined && values.count !== undefined)
    throw new DemoUsageError('count', 'give --duration or --count, not both');
  const errorRate = share('error-rate', values['error-rate'] as string);
  const slowRate = share('slow-rate', values['slow-rate'] as string);
  if (errorRate + slowRate > 1)
    throw new DemoUsageError(
      'slow-rate',
      `--error-rate plus --slow-rate is ${errorRate + slowRate}, above 1`,
    );
  const protocol = values.protocol as string;
  if (protocol !== 'proto' && protocol !== 'json')
    throw new DemoUsageError('protocol', `must be proto or json, got ${JSON.stringify(protocol)}`);
  const dataDir = values['data-dir'] as string;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    rate: positive('rate', values.rate as string),
    count: values.count === undefined ? undefined : integer('count', values.count as string, 1),
    durationSeconds:
      values.count !== undefined
        ? undefined
        : values.duration === undefined
          ? 30
          : positive('duration', values.duration as string),
    errorRate,
    slowRate,
    slowMs: integer('slow-ms', values['slow-ms'] as string, 1),
    protocol,
    gzip: values.gzip as boolean,
    seed: integer('seed', values.seed as string, 0),
    dataDir,
    logFile: (values.logs as string | undefined) ?? join(dataDir, 'demo-logs', `demo-${stamp}.jsonl`),
    exportDelayMs: integer('export-delay-ms', values['export-delay-ms'] as string, 1),
    wait: values.wait as boolean,
    deployed: deployedApis(values),
  };
}

const DEPLOYED_FLAGS = ['endpoint', 'api-key', 'query-endpoint', 'query-api-key'] as const;

/** The four flags of a deployed pipeline, all or none: spans go with one key, reads need the other. */
function deployedApis(values: Record<string, string | boolean | undefined>): GivenApis | undefined {
  const missing = DEPLOYED_FLAGS.filter((flag) => values[flag] === undefined);
  if (missing.length === DEPLOYED_FLAGS.length) return undefined;
  if (missing.length > 0)
    throw new DemoUsageError(
      missing[0] as string,
      'give --endpoint, --api-key, --query-endpoint and --query-api-key together',
    );
  return {
    endpoint: values.endpoint as string,
    apiKey: values['api-key'] as string,
    queryEndpoint: values['query-endpoint'] as string,
    queryApiKey: values['query-api-key'] as string,
  };
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new DemoUsageError(flag, `must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function positive(flag: string, text: string): number {
  const value = number(flag, text);
  if (value <= 0) throw new DemoUsageError(flag, `must be above 0, got ${text}`);
  return value;
}

function share(flag: string, text: string): number {
  const value = number(flag, text);
  if (value < 0 || value > 1) throw new DemoUsageError(flag, `must be between 0 and 1, got ${text}`);
  return value;
}

function integer(flag: string, text: string, min: number): number {
  const value = number(flag, text);
  if (!Number.isInteger(value) || value < min)
    throw new DemoUsageError(flag, `must be an integer of at least ${min}, got ${text}`);
  return value;
}

export const TRACE_USAGE = `npm run trace -- TRACE_ID [options]

Prints one kept trace from the local pipeline's trace-by-id API as a tree, with durations,
statuses, the critical path and the sampler's decision.

  TRACE_ID        32 hex digits (as the demo, the logs or npm run query print them)
  --data-dir DIR  npm start's data directory, for its endpoints.json (default .tracesift)
  -h, --help      print this and exit

Example:
  npm run trace -- 4bf92f3577b34da6a3ce929d0e0e4736
`;

/** The trace id argument, lower-cased (W3C ids are lower-case hex; a copied id may not be). */
export function parseTraceOptions(argv: readonly string[]): { traceId: string; dataDir: string } {
  let parsed: ReturnType<typeof parseTraceArgs>;
  try {
    parsed = parseTraceArgs(argv);
  } catch (error) {
    throw new DemoUsageError('', `${(error as Error).message}\nusage: ${TRACE_USAGE}`, { cause: error });
  }
  const [given, ...extra] = parsed.positionals;
  if (given === undefined || extra.length > 0)
    throw new DemoUsageError('', `give one trace id\nusage: ${TRACE_USAGE}`);
  const traceId = given.toLowerCase();
  if (!isValidTraceIdHex(traceId))
    throw new DemoUsageError('', `${JSON.stringify(given)} is not a trace id (32 hex digits, not all zero)`);
  return { traceId, dataDir: parsed.values['data-dir'] };
}

function parseTraceArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: { 'data-dir': { type: 'string', default: '.tracesift' } },
    allowPositionals: true,
    strict: true,
  });
}
