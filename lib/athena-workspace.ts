/**
 * Where analysts query kept traces: an Athena workgroup that enforces its own result location,
 * encryption and a bytes-scanned cutoff per query (so one unfiltered query over months of spans
 * cannot run up the bill), its results bucket, and the named queries.
 */
import { Duration } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InvalidPropError } from './errors.ts';
import { type BucketDefaults, pipelineBucket } from './pipeline-bucket.ts';
import { checkDuration, checkInteger, checkName } from './validation.ts';

/** Athena refuses a cutoff below 10 MB. */
export const MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024;
const GiB = 1024 * 1024 * 1024;

export interface NamedQueryDefinition {
  /** Shown in the Athena console's saved queries (at most 128 characters). */
  readonly name: string;
  readonly description: string;
  /** The SQL, with table names unqualified: the named query runs in the pipeline's database. */
  readonly sql: string;
}

export interface AthenaWorkspaceProps {
  /** The Glue database the named queries run in. */
  readonly databaseName: string;
  readonly buckets: BucketDefaults;
  /**
   * Name of the workgroup (letters, digits, `.`, `_`, `-`); unique per account and region.
   * @default 'tracesift'
   */
  readonly workGroupName?: string;
  /**
   * Most bytes one query may scan before Athena cancels it (at least 10 MB). Athena bills per
   * byte scanned, so this caps the cost of any single query.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * How long query results are kept.
   * @default Duration.days(7)
   */
  readonly resultRetention?: Duration;
  /**
   * Saved queries to create in the workgroup.
   * @default - none
   */
  readonly namedQueries?: readonly NamedQueryDefinition[];
}

const WORKGROUP_NAME = /^[a-zA-Z0-9._-]+$/;

export class AthenaWorkspace extends Construct {
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly workGroupName: string;
  public readonly resultsBucket: s3.Bucket;
  public readonly namedQueries: readonly athena.CfnNamedQuery[];

  public constructor(scope: Construct, id: string, props: AthenaWorkspaceProps) {
    super(scope, id);
    this.workGroupName = checkName(
      this,
      'workGroupName',
      props.workGroupName ?? 'tracesift',
      WORKGROUP_NAME,
      128,
      'letters, digits, ".", "_" and "-"',
    );
    const cutoff = checkInteger(
      this,
      'bytesScannedCutoffPerQuery',
      props.bytesScannedCutoffPerQuery ?? 10 * GiB,
      MIN_BYTES_SCANNED_CUTOFF,
      Number.MAX_SAFE_INTEGER,
    );
    const resultRetention = checkDuration(
      this,
      'resultRetention',
      props.resultRetention ?? Duration.days(7),
      Duration.days(1),
      Duration.days(3650),
    );

    this.resultsBucket = pipelineBucket(this, 'Results', {
      ...props.buckets,
      accessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ id: 'expire-query-results', expiration: resultRetention }],
    });
    const key = props.buckets.encryptionKey;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'tracesift: SQL over kept traces',
      state: 'ENABLED',
      // Without it `cdk destroy` fails on a workgroup that has run queries. Its history holds no
      // data worth keeping: results live in the results bucket, which follows the removal policy.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Users cannot override the result location, encryption or cutoff from their client.
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: cutoff,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: key
            ? { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn }
            : { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const names = new Set<string>();
    this.namedQueries = (props.namedQueries ?? []).map((query, index) => {
      this.checkNamedQuery(query, index, names);
      const named = new athena.CfnNamedQuery(this, `Query-${index}`, {
        name: query.name,
        description: query.description,
        database: props.databaseName,
        workGroup: this.workGroupName,
        queryString: query.sql,
      });
      named.addResourceDependency(this.workGroup);
      return named;
    });
  }

  private checkNamedQuery(query: NamedQueryDefinition, index: number, names: Set<string>): void {
    const prop = `namedQueries[${index}]`;
    if (query.name.length === 0 || query.name.length > 128) {
      throw new InvalidPropError(this.node.path, `${prop}.name`, query.name, 'must be 1 to 128 characters');
    }
    if (names.has(query.name)) {
      throw new InvalidPropError(
        this.node.path,
        `${prop}.name`,
        query.name,
        'must be unique among the named queries',
      );
    }
    names.add(query.name);
    if (query.description.length > 1024) {
      throw new InvalidPropError(
        this.node.path,
        `${prop}.description`,
        query.name,
        'must be at most 1024 characters',
      );
    }
    if (query.sql.trim().length === 0 || query.sql.length > 262_144) {
      throw new InvalidPropError(
        this.node.path,
        `${prop}.sql`,
        query.name,
        'must be 1 to 262,144 characters of SQL',
      );
    }
  }
}
