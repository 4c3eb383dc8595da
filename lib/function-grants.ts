/**
 * Exact grants: each function's role is allowed the AWS API calls its code makes (found by the
 * `Command(` each bundle sends) on the resources it makes them on, and nothing else. CDK's
 * `grantRead`/`grantWrite` helpers grant families of actions (`s3:GetObject*`, `s3:List*` on the
 * whole bucket, Scan, SubscribeToShard) that no tracesift function calls, so they are not used here.
 *
 * Listing is granted with an `s3:prefix` condition. S3 also consults s3:ListBucket to answer a read
 * of a missing key 404 (NoSuchKey) rather than 403, with the key as `s3:prefix` (the behaviour
 * Ceph's rgw copied from AWS, ceph/ceph#68577): so every prefix a function reads possibly missing
 * keys under (state documents, manifests of a new hour) is in its listing condition too.
 */
import { CfnResource } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeKeyGrant } from './grant-findings.ts';
import { acknowledge, arnFinding } from './nag.ts';

/** The DynamoDB calls tracesift's functions make (lambdas/storage/trace-table.ts). */
export type TableCall = 'BatchGetItem' | 'BatchWriteItem' | 'Query';

/** Calls on the base table only: no function queries the index, so no `index/*` resource. */
export function grantTableCalls(role: iam.IRole, table: dynamodb.ITable, calls: readonly TableCall[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: calls.map((call) => `dynamodb:${call}`),
      resources: [table.tableArn],
    }),
  );
  if (!table.encryptionKey) return;
  if (calls.includes('BatchWriteItem')) table.encryptionKey.grantEncryptDecrypt(role);
  else table.encryptionKey.grantDecrypt(role);
  acknowledgeKeyGrant(role, `Table calls on ${table.node.path}`);
}

/** What a function does with the stream: write records (ingest, the sampler's re-puts) or consume it. */
export type StreamUse = 'put' | 'consume';

const STREAM_ACTIONS: Readonly<Record<StreamUse, readonly string[]>> = {
  // PutRecords, and ListShards for the shard map records are packed by (shard-directory.ts).
  put: ['kinesis:PutRecords', 'kinesis:ListShards'],
  // What a Lambda event source mapping with a shared-throughput iterator calls with the function's
  // role; SubscribeToShard and ListStreams serve enhanced fan-out consumers, which tracesift has none of.
  consume: [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
  ],
};

export function grantStreamCalls(role: iam.IRole, stream: kinesis.IStream, uses: readonly StreamUse[]): void {
  const actions = [...new Set(uses.flatMap((use) => STREAM_ACTIONS[use]))];
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [stream.streamArn] }));
  if (!stream.encryptionKey) return;
  if (uses.includes('put')) stream.encryptionKey.grantEncrypt(role);
  if (uses.includes('consume')) stream.encryptionKey.grantDecrypt(role);
  acknowledgeKeyGrant(role, `Stream calls on ${stream.node.path}`);
}

/** S3 object calls: GetObject, PutObject, DeleteObject (and DeleteObjects, which it authorizes). */
export type ObjectCall = 'GetObject' | 'PutObject' | 'DeleteObject';

export interface ObjectGrant {
  /** Key prefix the calls are made under, e.g. `state/pending/`. */
  readonly prefix: string;
  readonly calls: readonly ObjectCall[];
  /** Why the function makes them, for the cdk-nag acknowledgment of the `prefix*` resource. */
  readonly why: string;
}

export function grantObjectCalls(role: iam.IRole, bucket: s3.IBucket, grant: ObjectGrant): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: grant.calls.map((call) => `s3:${call}`),
      resources: [bucket.arnForObjects(`${grant.prefix}*`)],
    }),
  );
  const cfnBucket = bucket.node.defaultChild;
  if (CfnResource.isCfnResource(cfnBucket)) {
    acknowledge(
      role,
      `IAM5[Resource::${arnFinding(cfnBucket)}/${grant.prefix}*]`,
      `Object calls limited to ${bucket.node.path} ${grant.prefix || '(all keys)'}: ${grant.why}.`,
    );
  }
  if (!bucket.encryptionKey) return;
  if (grant.calls.includes('PutObject')) bucket.encryptionKey.grantEncrypt(role);
  if (grant.calls.includes('GetObject')) bucket.encryptionKey.grantDecrypt(role);
  acknowledgeKeyGrant(role, `Object calls on ${bucket.node.path} ${grant.prefix}`);
}

/**
 * s3:ListBucket, only for listings whose prefix starts with one of `prefixes` (and, see above,
 * reads of missing keys under them). Without prefixes the whole bucket may be listed: only for a
 * bucket that holds nothing else (the failed-batches bucket).
 */
export function grantListing(role: iam.IRole, bucket: s3.IBucket, prefixes: readonly string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      ...(prefixes.length > 0
        ? { conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } } }
        : {}),
    }),
  );
}
