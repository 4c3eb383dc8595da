/**
 * Every S3 bucket of tracesift is made here, so none can miss a control: encryption at rest,
 * TLS-only access, public access blocked, ACLs disabled, server access logs, an expiry, and
 * incomplete multipart uploads cleaned up.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Settings every bucket of one pipeline shares. */
export interface BucketDefaults {
  /** The bucket that receives server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** Customer-managed key; without one, S3-managed keys (SSE-S3) encrypt the objects. */
  readonly encryptionKey?: kms.IKey;
  /** What happens to the bucket when the stack is deleted; DESTROY also empties it first. */
  readonly removalPolicy: RemovalPolicy;
}

export interface PipelineBucketProps extends BucketDefaults {
  /** Prefix of this bucket's access logs inside the access-logs bucket, e.g. `data/`. */
  readonly accessLogsPrefix: string;
  /** Lifecycle rules beyond the multipart-upload cleanup every bucket gets. */
  readonly lifecycleRules: readonly s3.LifecycleRule[];
}

/** Days after which an upload that never completed is aborted: its parts are billed until then. */
const INCOMPLETE_UPLOAD_DAYS = 1;

export function pipelineBucket(scope: Construct, id: string, props: PipelineBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...encryptionOf(props.encryptionKey),
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: props.accessLogsBucket,
    serverAccessLogsPrefix: props.accessLogsPrefix,
    lifecycleRules: [
      {
        id: 'abort-incomplete-uploads',
        abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
      },
      ...props.lifecycleRules,
    ],
    removalPolicy: props.removalPolicy,
    autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
  });
}

/**
 * The bucket for server access logs. S3 delivers access logs only to buckets encrypted with
 * S3-managed keys, so this one never uses the customer key, and it cannot log to itself.
 */
export function accessLogsBucket(
  scope: Construct,
  id: string,
  props: { readonly retention: Duration; readonly removalPolicy: RemovalPolicy },
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      {
        id: 'abort-incomplete-uploads',
        abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
      },
      { id: 'expire-access-logs', expiration: props.retention },
    ],
    removalPolicy: props.removalPolicy,
    autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
  });
}

function encryptionOf(key: kms.IKey | undefined): Partial<s3.BucketProps> {
  return key
    ? // Bucket keys cut the KMS requests (and their cost) of many small Parquet writes.
      { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }
    : { encryption: s3.BucketEncryption.S3_MANAGED };
}
