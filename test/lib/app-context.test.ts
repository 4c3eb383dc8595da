import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  type ContextKey,
  pipelinePropsFromContext,
  stackNameFromContext,
} from '../../lib/app-context.ts';
import { InvalidContextError } from '../../lib/errors.ts';
import { testStack } from '../support/cdk.ts';

function reader(values: Partial<Record<ContextKey, unknown>>) {
  return (key: ContextKey): unknown => values[key];
}

const folder = mkdtempSync(join(tmpdir(), 'tracesift-context-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('pipelinePropsFromContext', () => {
  it('leaves every default when no key is set', () => {
    expect(pipelinePropsFromContext(testStack(), reader({}))).toEqual({});
  });

  it.each([
    { key: 'parallelizationFactor', value: '3', expected: { parallelizationFactor: 3 } },
    { key: 'parallelizationFactor', value: 3, expected: { parallelizationFactor: 3 } },
    {
      key: 'streamMode',
      value: 'provisioned',
      expected: { stream: { streamMode: kinesis.StreamMode.PROVISIONED } },
    },
    { key: 'shardCount', value: '2', expected: { stream: { shardCount: 2 } } },
    {
      key: 'streamRetentionHours',
      value: '48',
      expected: { stream: { retentionPeriod: Duration.hours(48) } },
    },
    { key: 'architecture', value: 'x86_64', expected: { architecture: lambda.Architecture.X86_64 } },
    { key: 'removalPolicy', value: 'destroy', expected: { removalPolicy: RemovalPolicy.DESTROY } },
    { key: 'pointInTimeRecovery', value: 'true', expected: { traceStore: { pointInTimeRecovery: true } } },
    { key: 'pointInTimeRecovery', value: false, expected: { traceStore: { pointInTimeRecovery: false } } },
    { key: 'canary', value: 'false', expected: { canary: false } },
    { key: 'canary', value: true, expected: {} },
    { key: 'glueDatabaseName', value: 'traces_dev', expected: { analytics: { databaseName: 'traces_dev' } } },
    {
      key: 'athenaWorkGroupName',
      value: 'traces-dev',
      expected: { athena: { workGroupName: 'traces-dev' } },
    },
    {
      key: 'athenaBytesScannedCutoff',
      value: '1073741824',
      expected: { athena: { bytesScannedCutoffPerQuery: 1073741824 } },
    },
    { key: 'ingestMemorySize', value: '2048', expected: { api: { memorySize: 2048 } } },
    { key: 'apiRateLimit', value: '10', expected: { api: { throttle: { rateLimit: 10 } } } },
    { key: 'apiCloudWatchRole', value: 'false', expected: { api: { cloudWatchRole: false } } },
    { key: 'apiDailyQuota', value: '0', expected: { api: { quota: { limit: 0 } } } },
    {
      key: 'ingestReservedConcurrency',
      value: '300',
      expected: { api: { reservedConcurrentExecutions: 300 } },
    },
    {
      key: 'samplerReservedConcurrency',
      value: 0,
      expected: { sampler: { reservedConcurrentExecutions: 0 } },
    },
    { key: 'tableMaxWriteUnits', value: '8000', expected: { traceStore: { maxWriteRequestUnits: 8000 } } },
    { key: 'tableMaxReadUnits', value: '0', expected: { traceStore: { maxReadRequestUnits: 0 } } },
    { key: 'samplerBatchSize', value: '500', expected: { sampler: { batchSize: 500 } } },
    { key: 'logRetentionDays', value: '14', expected: { logRetention: 14 } },
  ] as Array<{ key: ContextKey; value: unknown; expected: object }>)(
    'reads $key = $value',
    ({ key, value, expected }) => {
      expect(pipelinePropsFromContext(testStack(), reader({ [key]: value }))).toEqual(expected);
    },
  );

  it('imports the alarm topic and encryption key by ARN', () => {
    // Act
    const props = pipelinePropsFromContext(
      testStack(),
      reader({
        alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:alarms',
        encryptionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    );

    // Assess
    expect(props.monitoring?.alarmTopic?.topicArn).toBe('arn:aws:sns:eu-west-1:111122223333:alarms');
    expect(props.encryptionKey?.keyArn).toBe(
      'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
  });

  it('reads the configuration from the JSON file configFile names', () => {
    // Prepare
    const path = join(folder, 'config.json');
    writeFileSync(path, JSON.stringify({ sampling: { baselineProbability: 0.1 } }));

    // Act
    const props = pipelinePropsFromContext(testStack(), reader({ configFile: path }));

    // Assess
    expect(props.config).toEqual({ sampling: { baselineProbability: 0.1 } });
  });

  it.each([
    {
      case: 'a missing config file',
      values: { configFile: join(folder, 'absent.json') },
      message: /context configFile must name a readable file/,
    },
    {
      case: 'a config file that is not JSON',
      values: { configFile: 'BROKEN' },
      message: /context configFile must contain JSON/,
    },
    {
      case: 'a number that is not an integer',
      values: { shardCount: '2.5' },
      message: /context shardCount must be an integer \(got "2\.5"\)/,
    },
    {
      case: 'words for a number',
      values: { samplerMemorySize: 'lots' },
      message: /context samplerMemorySize must be an integer/,
    },
    {
      case: 'an unknown choice',
      values: { streamMode: 'serverless' },
      message: /context streamMode must be one of on-demand, provisioned/,
    },
    {
      case: 'a flag that is not a boolean',
      values: { pointInTimeRecovery: 'yes' },
      message: /context pointInTimeRecovery must be true or false/,
    },
    {
      case: 'a log retention CloudWatch does not offer',
      values: { logRetentionDays: '15' },
      message: /context logRetentionDays must be one of 1, 3, 5, 7, 14/,
    },
    {
      case: 'a name that is not a string',
      values: { glueDatabaseName: 42 },
      message: /context glueDatabaseName must be a string/,
    },
  ])('refuses $case, naming the key', ({ values, message }) => {
    // Prepare
    if (values.configFile === 'BROKEN') {
      const path = join(folder, 'broken.json');
      writeFileSync(path, '{ not json');
      values = { configFile: path };
    }

    // Act
    const act = () =>
      pipelinePropsFromContext(testStack(), reader(values as Partial<Record<ContextKey, unknown>>));

    // Assess
    expect(act).toThrow(InvalidContextError);
    expect(act).toThrow(message);
  });

  it('documents every key it reads', () => {
    // Prepare: a reader that records what it was asked for.
    const asked = new Set<string>();

    // Act
    pipelinePropsFromContext(testStack(), (key) => {
      asked.add(key);
      return undefined;
    });
    stackNameFromContext((key) => {
      asked.add(key);
      return undefined;
    });

    // Assess
    expect([...asked].sort()).toEqual(Object.keys(CONTEXT_KEYS).sort());
  });
});

describe('stackNameFromContext', () => {
  it.each([
    { value: undefined, expected: 'Tracesift' },
    { value: 'TracesiftDev', expected: 'TracesiftDev' },
  ])('names the stack $expected', ({ value, expected }) => {
    expect(stackNameFromContext(reader({ stackName: value }))).toBe(expected);
  });
});
