/**
 * Least privilege, read from the synthesized template: each function role is allowed exactly the
 * calls its code makes, on exactly the resources it makes them on. Each expectation is the whole
 * set, so a grant added anywhere (or a CDK helper that grants a family of actions) fails it.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { statePrefix } from '../../lambdas/sampler/state/state-store.ts';
import { BUCKET_PREFIXES } from '../../lambdas/storage/index.ts';
import { PipelineFunction } from '../../lib/pipeline-function.ts';
import { SAMPLER_DOCUMENTS_PREFIX } from '../../lib/sampler.ts';
import { logicalIdOf, type SynthesizedPipeline, statementsOf, synthPipeline } from '../support/cdk.ts';

/** One allowed (action, resource, condition), resources named `<logicalId>` or `<logicalId>/<path>`. */
type Grant = string;

function nameOf(resource: unknown): string {
  const attribute = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (attribute) return attribute[0];
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => (typeof part === 'string' ? part : nameOf(part))).join('');
  return JSON.stringify(resource);
}

/** Every grant of `role`, however CDK merged its statements, sorted. */
function grantsOf(template: Template, role: iam.IRole | undefined): Grant[] {
  return statementsOf(template, role)
    .flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      const condition = (statement as { Condition?: unknown }).Condition;
      const suffix = condition ? ` if ${JSON.stringify(condition)}` : '';
      return [statement.Action]
        .flat()
        .flatMap((action) =>
          [statement.Resource].flat().map((resource) => `${action} ${nameOf(resource)}${suffix}`),
        );
    })
    .sort();
}

function grants(...lists: Array<readonly string[]>): Grant[] {
  return lists.flat().sort();
}

/** What every function may do with its own log group (PipelineFunction). */
function logGrants(fn: lambda.IFunction): string[] {
  const owner = fn.node.scope;
  if (!(owner instanceof PipelineFunction)) throw new Error(`${fn.node.path} is not a PipelineFunction`);
  return on(logicalIdOf(owner.logGroup), ['logs:CreateLogStream', 'logs:PutLogEvents']);
}

const on = (resource: string, actions: readonly string[]): string[] =>
  actions.map((action) => `${action} ${resource}`);

describe('function grants', () => {
  let synth: SynthesizedPipeline;
  let ids: Record<'stream' | 'table' | 'data' | 'failed', string>;
  beforeAll(() => {
    synth = synthPipeline();
    const { pipeline } = synth;
    ids = {
      stream: logicalIdOf(pipeline.traceStream.stream),
      table: logicalIdOf(pipeline.traceStore.table),
      data: logicalIdOf(pipeline.analyticsStore.bucket),
      failed: logicalIdOf(pipeline.sampler.failedBatchesBucket),
    };
  });

  it('lets ingest put records and list shards on the stream, nothing else', () => {
    // Act
    const fn = synth.pipeline.ingestApi.ingestFunction;
    const actual = grantsOf(synth.template, fn.role);

    // Assess
    expect(actual).toEqual(
      grants(on(ids.stream, ['kinesis:ListShards', 'kinesis:PutRecords']), logGrants(fn)),
    );
  });

  it('lets the query function query the base table, nothing else (no Scan, no stream reads, no index)', () => {
    // Act
    const fn = synth.pipeline.traceStore.queryFunction;
    const actual = grantsOf(synth.template, fn.role);

    // Assess
    expect(actual).toEqual(grants(on(ids.table, ['dynamodb:Query']), logGrants(fn)));
  });

  it('lets the sampler make exactly the calls of its code and of its event source mapping', () => {
    // Act
    const fn = synth.pipeline.sampler.function;
    const actual = grantsOf(synth.template, fn.role);

    // Assess
    const object = (prefix: string, actions: string[]) => on(`${ids.data}/${prefix}*`, actions);
    const listing = JSON.stringify({
      StringLike: {
        's3:prefix': [
          `${BUCKET_PREFIXES.tables}*`,
          `${SAMPLER_DOCUMENTS_PREFIX}*`,
          `${BUCKET_PREFIXES.pendingState}*`,
        ],
      },
    });
    expect(actual).toEqual(
      grants(
        on(ids.stream, [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:ListShards',
          'kinesis:PutRecords',
        ]),
        on(ids.table, ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query']),
        object(BUCKET_PREFIXES.data, ['s3:PutObject']),
        object(BUCKET_PREFIXES.tables, ['s3:GetObject', 's3:PutObject']),
        object(SAMPLER_DOCUMENTS_PREFIX, ['s3:GetObject', 's3:PutObject']),
        object(BUCKET_PREFIXES.pendingState, ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']),
        [`s3:ListBucket ${ids.data} if ${listing}`],
        on(`${ids.failed}/*`, ['s3:PutObject']),
        on(ids.failed, ['s3:ListBucket']),
        logGrants(fn),
      ),
    );
  });

  it('keeps the logical id KinesisEventSource gave the mapping: a replaced one restarts at TRIM_HORIZON', () => {
    // Assess: the id the stack had before the mapping was built without CDK's read grant
    expect(Object.keys(synth.template.findResources('AWS::Lambda::EventSourceMapping'))).toEqual([
      'PipelineSamplerFunctionKinesisEventSourceTestPipelineStreamD2D17FBC97BE2CDC',
    ]);
  });

  it('names the state documents by the prefix the sampler is granted', () => {
    // Assess
    expect(statePrefix('stream').startsWith(SAMPLER_DOCUMENTS_PREFIX)).toBe(true);
  });

  it('lets compaction list, read, write and delete under data/ and tables/ only', () => {
    // Act
    const fn = synth.pipeline.analyticsStore.compactionFunction;
    const actual = grantsOf(synth.template, fn.role);

    // Assess
    const actions = ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'];
    const listing = JSON.stringify({
      StringLike: { 's3:prefix': [`${BUCKET_PREFIXES.data}*`, `${BUCKET_PREFIXES.tables}*`] },
    });
    expect(actual).toEqual(
      grants(
        on(`${ids.data}/${BUCKET_PREFIXES.data}*`, actions),
        on(`${ids.data}/${BUCKET_PREFIXES.tables}*`, actions),
        [`s3:ListBucket ${ids.data} if ${listing}`],
        logGrants(fn),
      ),
    );
  });
});
