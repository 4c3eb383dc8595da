/**
 * RedactionKeys: the secret keys of the `hash` redaction action, as a Secrets Manager secret the
 * ingest function reads once per container (lambdas/ingest/hash-keys.ts). Created only when a
 * configured key rule hashes. The secret is a JSON object of key id -> key; the construct generates
 * the configuration's current key (64 random letters and digits, read as base64: 48 bytes). To rotate,
 * add a key to the secret, make it `redaction.hashKeys.current` and list the old id in `accepted`.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTION_ENV } from '../lambdas/shared/config/index.ts';
import { acknowledge } from './nag.ts';

export interface RedactionKeysProps {
  /** The id `redaction.hashKeys.current` names. */
  readonly currentKeyId: string;
  /** The function that hashes (ingest): it gets read access and the secret's ARN. */
  readonly reader: lambda.Function;
  /** @default - the AWS-managed key of Secrets Manager */
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

export class RedactionKeys extends Construct {
  public readonly secret: secretsmanager.Secret;

  public constructor(scope: Construct, id: string, props: RedactionKeysProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'tracesift: keys of the hash redaction action (JSON: key id -> base64 key)',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: props.currentKeyId,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    acknowledge(
      this.secret,
      'SMG4',
      'rotated by configuration, not by a rotation Lambda: a new key changes every hash, so rotation is a ' +
        'deliberate step (a key added, made current, the old one kept as accepted for the grace period)',
    );
    this.secret.grantRead(props.reader);
    props.reader.addEnvironment(FUNCTION_ENV.REDACTION_KEYS_SECRET, this.secret.secretArn);
  }
}
