/**
 * cdk-nag's IAM5 flags every wildcard in a policy. tracesift's own grants name exact actions
 * (function-grants.ts); the wildcards left are those of CDK's KMS key grants, acknowledged here with
 * the grant they come from.
 */

import type * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge } from './nag.ts';

/** The wildcard actions of a KMS key's encrypt grant (KEY_WRITE_ACTIONS). */
const KEY_GRANT_WILDCARDS = ['kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

/** Acknowledges the wildcard actions of a customer-managed key's encrypt grant. */
export function acknowledgeKeyGrant(role: iam.IRole, reason: string): void {
  for (const action of KEY_GRANT_WILDCARDS) {
    acknowledge(role, `IAM5[Action::${action}]`, `${reason} (encrypting with the pipeline's KMS key)`);
  }
}
