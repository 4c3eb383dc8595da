import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TRACE_TABLE } from '../../lambdas/storage/index.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { TABLE_MAX_THROUGHPUT, TraceStore, type TraceStoreProps, webUiBuild } from '../../lib/trace-store.ts';
import { actionsOf, defined, logicalIdOf, statementsOf, testStack } from '../support/cdk.ts';

const baseProps: TraceStoreProps = {
  configJson: '{}',
  architecture: lambda.Architecture.ARM_64,
  logRetention: logs.RetentionDays.ONE_WEEK,
  removalPolicy: RemovalPolicy.DESTROY,
  tableRemovalPolicy: RemovalPolicy.RETAIN,
};

function synth(props: Partial<TraceStoreProps> = {}) {
  const stack = testStack();
  const store = new TraceStore(stack, 'TraceStore', { ...baseProps, ...props });
  return {
    stack,
    store, // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

describe('TraceStore', () => {
  it('keys the table as layout.ts says, with TTL, on-demand billing and KMS encryption', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: TRACE_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TRACE_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TRACE_TABLE.ttlAttribute, Enabled: true },
        // SSEEnabled without a key: KMS with the AWS-managed key alias/aws/dynamodb.
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        // No secondary index: the search index items serve every listing (docs/STORAGE.md).
        GlobalSecondaryIndexes: Match.absent(),
      },
    });
  });

  it('turns point-in-time recovery on and encrypts with a customer key when asked', () => {
    // Prepare
    const stack = testStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });

    // Act
    new TraceStore(stack, 'TraceStore', { ...baseProps, pointInTimeRecovery: true, encryptionKey: key });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] },
      },
    });
  });

  it('runs the query function on Node.js 24 with the table name and config', () => {
    // Act
    const { template, store } = synth({ queryMemorySize: 256, queryTimeout: Duration.seconds(5) });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 5,
      Handler: 'index.handler',
      Environment: {
        Variables: {
          TRACESIFT_TABLE_NAME: { Ref: logicalIdOf(store.table) },
          TRACESIFT_CONFIG: '{}',
        },
      },
    });
  });

  it('caps on-demand throughput at 4,000 write and 12,000 read units a second by default', () => {
    // Act
    const { template } = synth();

    // Assess
    const throughput = {
      MaxWriteRequestUnits: TABLE_MAX_THROUGHPUT.writeRequestUnits,
      MaxReadRequestUnits: TABLE_MAX_THROUGHPUT.readRequestUnits,
    };
    expect(TABLE_MAX_THROUGHPUT).toEqual({ writeRequestUnits: 4000, readRequestUnits: 12_000 });
    template.hasResourceProperties('AWS::DynamoDB::Table', { OnDemandThroughput: throughput });
  });

  it('takes other maxima, and none for a side set to 0', () => {
    // Act
    const { template } = synth({ maxWriteRequestUnits: 100, maxReadRequestUnits: 0 });

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      OnDemandThroughput: { MaxWriteRequestUnits: 100, MaxReadRequestUnits: Match.absent() },
    });
  });

  it.each([{ maxWriteRequestUnits: -1 }, { maxReadRequestUnits: 1.5 }])('refuses %o', (props) => {
    // Act
    const act = () => synth(props);

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(Object.keys(props)[0] as string);
  });

  it('lets the query function query this table, and write its own log group, nothing else', () => {
    // Act
    const { template, store } = synth();

    // Assess
    const role = store.queryFunction.role;
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(store.table), 'Arn'] };
    const statements = statementsOf(template, role);
    const dynamo = statements.filter((s) =>
      [s.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamo).toHaveLength(1);
    expect(defined(dynamo[0]).Resource).toEqual(tableArn);
    expect(actionsOf(template, role).filter((a) => !a.startsWith('logs:'))).toEqual(['dynamodb:Query']);
    expect(actionsOf(template, role)).not.toContain('dynamodb:PutItem');
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] },
    });
  });

  it.each([
    {
      case: 'memory below 128 MB',
      props: { queryMemorySize: 127 },
      message: /queryMemorySize must be an integer from 128 to 10240/,
    },
    {
      case: 'timeout over 29 s',
      props: { queryTimeout: Duration.seconds(30) },
      message: /queryTimeout must be from 1 second to 29 seconds/,
    },
    { case: 'timeout equal to 29 s', props: { queryTimeout: Duration.seconds(29) }, message: undefined },
  ])('validates props: $case', ({ props, message }) => {
    const act = () => synth(props);
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });

  it('uses an existing table, granting the query function on it, and creates none', () => {
    // Prepare
    const stack = testStack();
    const existingTable = dynamodb.Table.fromTableName(stack, 'Shared', 'shared-traces');

    // Act
    const store = new TraceStore(stack, 'TraceStore', { ...baseProps, existingTable });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(store.table).toBe(existingTable);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TRACESIFT_TABLE_NAME: 'shared-traces' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'dynamodb:Query', Resource: stack.resolve(existingTable.tableArn) }),
        ]),
      },
    });
  });

  it.each([
    { prop: 'pointInTimeRecovery', value: false },
    { prop: 'maxWriteRequestUnits', value: 100 },
    { prop: 'maxReadRequestUnits', value: 0 },
  ])('refuses $prop with an existing table', ({ prop, value }) => {
    // Act
    const act = () => {
      const stack = testStack();
      const existingTable = dynamodb.Table.fromTableName(stack, 'Shared', 'shared-traces');
      return new TraceStore(stack, 'TraceStore', { ...baseProps, existingTable, [prop]: value });
    };

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(new RegExp(`^Test/TraceStore: ${prop} applies only to a table tracesift creates`));
  });

  it('refuses a key for an existing table, whose encryption is its own', () => {
    // Prepare
    const stack = testStack();
    const existingTable = dynamodb.Table.fromTableName(stack, 'Shared', 'shared-traces');
    const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });

    // Act
    const act = () => new TraceStore(stack, 'TraceStore', { ...baseProps, existingTable, encryptionKey });

    // Assess
    expect(act).toThrow(/Test\/TraceStore: encryptionKey applies only to a table tracesift creates/);
  });
});

describe('webUiBuild', () => {
  it("builds the web UI into the bundle's ui/ folder, whatever the folder is called", () => {
    // Prepare: a bundle folder a shell would split or unquote
    const work = mkdtempSync(join(tmpdir(), 'tracesift-bundle-'));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const outputDir = join(work, "query bundle's $HOME");

    // Act
    for (const command of webUiBuild(join(import.meta.dirname, '..', '..'), outputDir))
      execFileSync('bash', ['-c', command], { stdio: 'ignore' });

    // Assess
    expect(readdirSync(join(outputDir, 'ui')).sort()).toEqual(['app.css', 'app.js', 'index.html']);
  });
});
