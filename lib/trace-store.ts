/**
 * Kept traces by id: the DynamoDB table the sampler writes (summary and span chunk items, expired
 * by TTL) and the query function behind the read API (`/v1/traces/{traceId}` and Jaeger's `/api/...` query API). Key names come from
 * lambdas/shared/storage/layout.ts, the same module the writers and readers import.
 */

import { join } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TRACE_TABLE } from '../lambdas/storage/layout/index.ts';
import { InvalidPropError } from './errors.ts';
import { CONFIG_ENV_VAR, TABLE_ENV_VAR } from './function-environment.ts';
import { grantTableCalls } from './function-grants.ts';
import { acknowledge } from './nag.ts';
import { type FunctionDefaults, PipelineFunction, shellCommand } from './pipeline-function.ts';
import { checkDuration, checkInteger } from './validation.ts';

/** API Gateway gives up on an integration after 29 seconds; a longer query timeout is never used. */
export const API_INTEGRATION_TIMEOUT = Duration.seconds(29);

export interface TraceStoreProps extends FunctionDefaults {
  /** TRACESIFT_CONFIG for the query function (see resolvePipelineConfig). */
  readonly configJson: string;
  /**
   * Point-in-time recovery (35 days of restorable history, billed per GB-month). Off by default:
   * items expire after `storage.retentionDays` anyway and the Parquet copy on S3 is the durable
   * record of every kept trace.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Customer-managed key for the table.
   * @default - the AWS-managed key `alias/aws/dynamodb`
   */
  readonly encryptionKey?: kms.IKey;
  /** What happens to the table when the stack is deleted. */
  readonly tableRemovalPolicy: RemovalPolicy;
  /**
   * Most write request units a second the table may use: an on-demand
   * table has no ceiling of its own, so without one a flood of kept traces bills without bound.
   * Writes beyond it are throttled, retried by the sampler, and at worst reach the failed-batches
   * bucket. 4,000 is what a new on-demand table serves at once anyway; at $0.625 per million
   * write units it caps writes near $9 an hour. 0: no maximum.
   * @default 4000
   */
  readonly maxWriteRequestUnits?: number;
  /**
   * Most read request units a second the table may use; 0: no maximum.
   * 12,000 is what a new on-demand table serves at once.
   * @default 12000
   */
  readonly maxReadRequestUnits?: number;
  /**
   * Memory of the query function (MB); CPU grows with it.
   * @default 512
   */
  readonly queryMemorySize?: number;
  /**
   * Timeout of the query function, at most API Gateway's 29-second integration timeout.
   * @default Duration.seconds(10)
   */
  readonly queryTimeout?: Duration;
  /**
   * A table to use instead of creating one. It must have the layout the functions read and write
   * (lambdas/storage/layout, TRACE_TABLE): partition key `trace_id` (string), sort key `part`
   * (string), TTL on `expires_at` (or kept traces never expire); no secondary index (the search
   * index lives in the table's own items). None of this can be read from an imported table at synth time, so it is not checked.
   * `pointInTimeRecovery`, `encryptionKey`, `maxWriteRequestUnits` and `maxReadRequestUnits`
   * configure a new table and are refused with it; `tableRemovalPolicy` is not applied. A table
   * encrypted with a customer key must be imported with that key (`Table.fromTableAttributes`
   * with `encryptionKey`) for the functions to be granted its use.
   * @default - a new table
   */
  readonly existingTable?: dynamodb.ITable;
}

/** Props that configure a new table, refused with `existingTable`. */
const NEW_TABLE_PROPS = [
  'pointInTimeRecovery',
  'encryptionKey',
  'maxWriteRequestUnits',
  'maxReadRequestUnits',
] as const;

/** The table's default on-demand maximum throughput (see TraceStoreProps). */
export const TABLE_MAX_THROUGHPUT = { writeRequestUnits: 4000, readRequestUnits: 12_000 } as const;

/** DynamoDB's largest MaxRead/WriteRequestUnits is its account-level table quota; this catches typos. */
const MAX_REQUEST_UNITS = 40_000_000;

/**
 * The web UI's files built into the query bundle's `ui/` folder, where the handler reads them
 * (lambdas/query/handler.ts), by the Node.js running this synth: it runs .ts, whatever `node` is
 * first on the PATH.
 */
export function webUiBuild(projectRoot: string, outputDir: string): string[] {
  return [
    shellCommand([process.execPath, join(projectRoot, 'scripts', 'build-ui.ts'), join(outputDir, 'ui')]),
  ];
}

export class TraceStore extends Construct {
  public readonly table: dynamodb.ITable;
  public readonly queryFunction: lambda.IFunction;

  public constructor(scope: Construct, id: string, props: TraceStoreProps) {
    super(scope, id);
    const memorySize = checkInteger(this, 'queryMemorySize', props.queryMemorySize ?? 512, 128, 10_240);
    const timeout = checkDuration(
      this,
      'queryTimeout',
      props.queryTimeout ?? Duration.seconds(10),
      Duration.seconds(1),
      API_INTEGRATION_TIMEOUT,
    );
    this.table = props.existingTable ? this.existing(props, props.existingTable) : this.newTable(props);

    const query = new PipelineFunction(this, 'Query', {
      name: 'query',
      description: 'tracesift: traces by id from the trace table (OTLP JSON and Jaeger)',
      memorySize,
      timeout,
      architecture: props.architecture,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: { [TABLE_ENV_VAR]: this.table.tableName, [CONFIG_ENV_VAR]: props.configJson },
      afterBundling: webUiBuild,
    });
    // A trace's items by partition key (lambdas/storage/trace-table.ts traceItems).
    grantTableCalls(query.role, this.table, ['Query']);
    this.queryFunction = query.function;
  }

  /**
   * The trace table with its encryption and throughput ceilings. No secondary index: the search
   * index items in the table serve every listing, and a GSI would add a write unit per kept trace.
   */
  private newTable(props: TraceStoreProps): dynamodb.Table {
    const pointInTimeRecovery = props.pointInTimeRecovery ?? false;
    const maxThroughput = this.maxThroughput(props);

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TRACE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TRACE_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      // On-demand: nothing to pay while idle, no capacity to plan for bursts of kept traces.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      ...maxThroughput,
      timeToLiveAttribute: TRACE_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: pointInTimeRecovery },
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: props.tableRemovalPolicy,
    });
    if (!pointInTimeRecovery) {
      acknowledge(
        table,
        'DDB3',
        'Point-in-time recovery is optional (pointInTimeRecovery prop): items expire after ' +
          'storage.retentionDays anyway, and every kept trace is also stored durably as Parquet on S3.',
      );
    }
    return table;
  }

  private existing(props: TraceStoreProps, table: dynamodb.ITable): dynamodb.ITable {
    for (const prop of NEW_TABLE_PROPS) {
      if (props[prop] !== undefined) {
        throw new InvalidPropError(
          this.node.path,
          prop,
          props[prop],
          'applies only to a table tracesift creates, not to existingTable',
        );
      }
    }
    return table;
  }

  /** The table's OnDemandThroughput settings; a 0 leaves that side without a maximum. */
  private maxThroughput(props: TraceStoreProps): {
    maxWriteRequestUnits?: number;
    maxReadRequestUnits?: number;
  } {
    const write = checkInteger(
      this,
      'maxWriteRequestUnits',
      props.maxWriteRequestUnits ?? TABLE_MAX_THROUGHPUT.writeRequestUnits,
      0,
      MAX_REQUEST_UNITS,
    );
    const read = checkInteger(
      this,
      'maxReadRequestUnits',
      props.maxReadRequestUnits ?? TABLE_MAX_THROUGHPUT.readRequestUnits,
      0,
      MAX_REQUEST_UNITS,
    );
    return {
      ...(write > 0 ? { maxWriteRequestUnits: write } : {}),
      ...(read > 0 ? { maxReadRequestUnits: read } : {}),
    };
  }
}
