/**
 * cdk-nag's IAM5 flags every wildcard in a policy, including the ones CDK's own grants produce
 * (`s3:GetObject*`, `bucket/prefix/*`, `table/index/*`). tracesift gives permissions only through
 * grants, so each acknowledgment here names the grant, the one resource it covers, and why the
 * function needs it.
 */

import { CfnResource } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, arnFinding } from './nag.ts';

/** The wildcard actions of CDK's bucket grants (aws-s3 perms: BUCKET_READ/PUT/DELETE_ACTIONS). */
const BUCKET_GRANT_WILDCARDS = {
  read: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
  put: ['s3:Abort*'],
  delete: ['s3:DeleteObject*'],
} as const;

/** The wildcard actions of a KMS key's encrypt grant (KEY_WRITE_ACTIONS). */
const KEY_GRANT_WILDCARDS = ['kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

export type BucketGrant = keyof typeof BUCKET_GRANT_WILDCARDS;

export interface BucketGrantFinding {
  /** The key prefix the grant covers (`''` for the whole bucket). */
  readonly prefix: string;
  readonly grants: readonly BucketGrant[];
  /** Why the function needs these objects, for the reason text. */
  readonly why: string;
}

/** Acknowledges the wildcards of `bucket.grant*(role, prefix + '*')`. */
export function acknowledgeBucketGrant(
  role: iam.IRole,
  bucket: s3.IBucket,
  finding: BucketGrantFinding,
): void {
  const reason = `CDK bucket grant limited to ${bucket.node.path} ${finding.prefix || '(all keys)'}: ${finding.why}.`;
  const cfnBucket = bucket.node.defaultChild;
  if (CfnResource.isCfnResource(cfnBucket)) {
    acknowledge(role, `IAM5[Resource::${arnFinding(cfnBucket)}/${finding.prefix}*]`, reason);
  }
  for (const grant of finding.grants) {
    for (const action of BUCKET_GRANT_WILDCARDS[grant]) acknowledge(role, `IAM5[Action::${action}]`, reason);
  }
  if (bucket.encryptionKey && finding.grants.includes('put')) acknowledgeKeyGrant(role, reason);
}

/** Acknowledges the `index/*` resource of `table.grant*Data(role)`. */
export function acknowledgeTableGrant(role: iam.IRole, table: dynamodb.ITable, why: string): void {
  const reason = `CDK table grant on ${table.node.path} and its indexes: ${why}.`;
  const cfnTable = table.node.defaultChild;
  if (CfnResource.isCfnResource(cfnTable)) {
    acknowledge(role, `IAM5[Resource::${arnFinding(cfnTable)}/index/*]`, reason);
  }
  if (table.encryptionKey) acknowledgeKeyGrant(role, reason);
}

/** Acknowledges the key wildcards of `stream.grantWrite(role)` on a stream with a customer key. */
export function acknowledgeStreamGrant(role: iam.IRole, stream: kinesis.IStream, why: string): void {
  if (stream.encryptionKey) acknowledgeKeyGrant(role, `CDK stream grant on ${stream.node.path}: ${why}.`);
}

/** Acknowledges the wildcard actions of a customer-managed key's encrypt grant. */
export function acknowledgeKeyGrant(role: iam.IRole, reason: string): void {
  for (const action of KEY_GRANT_WILDCARDS) {
    acknowledge(role, `IAM5[Action::${action}]`, `${reason} (encrypting with the pipeline's KMS key)`);
  }
}
