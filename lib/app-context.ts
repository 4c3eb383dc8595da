/**
 * TracePipeline props from CDK context, so a deployment is tuned without editing code:
 * `cdk deploy -c streamMode=provisioned -c shardCount=2 -c configFile=tracesift.json`. Values come
 * as strings from the command line and as JSON values from cdk.json; both are accepted, and a
 * value that cannot be read fails with the key's name.
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { TracesiftConfigInput } from '../lambdas/shared/config/index.ts';
import { InvalidContextError } from './errors.ts';
import type { TracePipelineProps } from './trace-pipeline.ts';

/** Every context key the app reads, with what it sets; DEPLOY.md lists the same. */
export const CONTEXT_KEYS = {
  stackName: 'name of the stack (default Tracesift)',
  configFile: 'path of a JSON file with the sampling/ingest configuration',
  parallelizationFactor: 'sampler batches per shard, 1-10 (sets config.ingest.lanes)',
  streamMode: 'on-demand | provisioned',
  shardCount: 'shards of a provisioned stream',
  streamRetentionHours: 'stream retention in hours, 24-8760',
  architecture: 'arm64 | x86_64',
  removalPolicy: 'retain | destroy',
  pointInTimeRecovery: 'true | false, for the trace table',
  glueDatabaseName: 'Glue database name',
  athenaWorkGroupName: 'Athena workgroup name',
  athenaBytesScannedCutoff: 'most bytes one Athena query may scan',
  ingestMemorySize: 'ingest function memory (MB)',
  samplerMemorySize: 'sampler function memory (MB)',
  samplerBatchSize: 'most records per sampler batch',
  apiRateLimit: 'requests/s per API key',
  apiBurstLimit: 'request burst per API key',
  apiDailyQuota: 'requests per day per API key (0: no quota)',
  ingestReservedConcurrency: 'concurrency reserved for (and capping) ingest (0: none)',
  samplerReservedConcurrency: 'concurrency reserved for the sampler (0: none)',
  tableMaxWriteUnits: 'most write request units/s of the trace table (0: no maximum)',
  tableMaxReadUnits: 'most read request units/s of the trace table (0: no maximum)',
  apiCloudWatchRole: 'true | false: create the account-wide API Gateway logging role',
  webAclArn: 'ARN of a REGIONAL WAF web ACL for the API stage',
  alarmTopicArn: 'ARN of an SNS topic for alarm notifications',
  canary: 'true | false: the synthetic canary (default true; false is required with a baseline of 0)',
  encryptionKeyArn: 'ARN of a KMS key to encrypt everything with',
  logRetentionDays: 'days of function and access logs (a CloudWatch Logs retention value)',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Reads context through one function, so tests can pass a plain object. */
export type ContextReader = (key: ContextKey) => unknown;

export function stackNameFromContext(read: ContextReader): string {
  return text(read, 'stackName') ?? 'Tracesift';
}

/** The props the context asks for; keys that are not set leave TracePipeline's defaults. */
export function pipelinePropsFromContext(scope: Construct, read: ContextReader): TracePipelineProps {
  const config = configFromFile(read);
  const parallelizationFactor = integer(read, 'parallelizationFactor');
  const encryptionKeyArn = text(read, 'encryptionKeyArn');
  const alarmTopicArn = text(read, 'alarmTopicArn');
  const logRetention = logRetentionOf(read);
  const stream = compact({
    streamMode: choice(read, 'streamMode', {
      'on-demand': kinesis.StreamMode.ON_DEMAND,
      provisioned: kinesis.StreamMode.PROVISIONED,
    }),
    shardCount: integer(read, 'shardCount'),
    retentionPeriod: hours(integer(read, 'streamRetentionHours')),
  });
  const api = compact({
    memorySize: integer(read, 'ingestMemorySize'),
    reservedConcurrentExecutions: integer(read, 'ingestReservedConcurrency'),
    quota: optionalObject(compact({ limit: integer(read, 'apiDailyQuota') })),
    cloudWatchRole: flag(read, 'apiCloudWatchRole'),
    webAclArn: text(read, 'webAclArn'),
    throttle: optionalObject(
      compact({ rateLimit: integer(read, 'apiRateLimit'), burstLimit: integer(read, 'apiBurstLimit') }),
    ),
  });
  const sampler = compact({
    memorySize: integer(read, 'samplerMemorySize'),
    batchSize: integer(read, 'samplerBatchSize'),
    reservedConcurrentExecutions: integer(read, 'samplerReservedConcurrency'),
  });
  const analytics = compact({ databaseName: text(read, 'glueDatabaseName') });
  const athena = compact({
    workGroupName: text(read, 'athenaWorkGroupName'),
    bytesScannedCutoffPerQuery: integer(read, 'athenaBytesScannedCutoff'),
  });
  const architecture = choice(read, 'architecture', {
    arm64: lambda.Architecture.ARM_64,
    x86_64: lambda.Architecture.X86_64,
  });
  const removalPolicy = choice(read, 'removalPolicy', {
    retain: RemovalPolicy.RETAIN,
    destroy: RemovalPolicy.DESTROY,
  });
  const traceStore = compact({
    pointInTimeRecovery: flag(read, 'pointInTimeRecovery'),
    maxWriteRequestUnits: integer(read, 'tableMaxWriteUnits'),
    maxReadRequestUnits: integer(read, 'tableMaxReadUnits'),
  });

  return compact({
    config,
    parallelizationFactor,
    architecture,
    removalPolicy,
    logRetention,
    encryptionKey: encryptionKeyArn
      ? kms.Key.fromKeyArn(scope, 'EncryptionKey', encryptionKeyArn)
      : undefined,
    stream: optionalObject(stream),
    api: optionalObject(api),
    sampler: optionalObject(sampler),
    traceStore: optionalObject(traceStore),
    analytics: optionalObject(analytics),
    athena: optionalObject(athena),
    canary: flag(read, 'canary') === false ? false : undefined,
    monitoring: alarmTopicArn
      ? { alarmTopic: sns.Topic.fromTopicArn(scope, 'AlarmTopic', alarmTopicArn) }
      : undefined,
  });
}

function configFromFile(read: ContextReader): TracesiftConfigInput | undefined {
  const path = text(read, 'configFile');
  if (path === undefined) return undefined;
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidContextError(
      'configFile',
      path,
      `must name a readable file (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  try {
    // Validated (with every key's error) by TracePipeline, through the functions' own parser.
    return JSON.parse(body) as TracesiftConfigInput;
  } catch (error) {
    throw new InvalidContextError('configFile', path, `must contain JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function logRetentionOf(read: ContextReader): logs.RetentionDays | undefined {
  const value = integer(read, 'logRetentionDays');
  if (value === undefined) return undefined;
  const allowed = Object.values(logs.RetentionDays).filter(
    (days): days is number => typeof days === 'number',
  );
  if (!allowed.includes(value)) {
    throw new InvalidContextError('logRetentionDays', value, `must be one of ${allowed.join(', ')}`);
  }
  return value as logs.RetentionDays;
}

function text(read: ContextReader, key: ContextKey): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidContextError(key, value, 'must be a string');
  return value;
}

function integer(read: ContextReader, key: ContextKey): number | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw new InvalidContextError(key, value, 'must be an integer');
  }
  return number;
}

function flag(read: ContextReader, key: ContextKey): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new InvalidContextError(key, value, 'must be true or false');
}

function choice<T>(
  read: ContextReader,
  key: ContextKey,
  options: Readonly<Record<string, T>>,
): T | undefined {
  const value = text(read, key);
  if (value === undefined) return undefined;
  if (!Object.hasOwn(options, value)) {
    throw new InvalidContextError(key, value, `must be one of ${Object.keys(options).join(', ')}`);
  }
  return options[value];
}

function hours(value: number | undefined): Duration | undefined {
  return value === undefined ? undefined : Duration.hours(value);
}

/** Drops undefined members, so unset keys leave the construct defaults. */
function compact<T extends object>(value: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}

function optionalObject<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}
