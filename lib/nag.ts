/**
 * cdk-nag acknowledgments, kept next to the resources they excuse so every one carries its
 * reason where a reviewer reads the code. cdk-nag v3 reports through CDK's policy validation, and
 * acknowledges one finding at a time (`Rule[Finding]`), so wildcard findings name their resource.
 */
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges the AwsSolutions rule `rule` (e.g. `IAM5[Action::s3:Abort*]`) on `scope` and below. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/** How cdk-nag spells a resource's ARN in an IAM5 finding: `<LogicalId.Arn>`. */
export function arnFinding(resource: CfnResource): string {
  const logicalId = Stack.of(resource).resolve(resource.logicalId) as string;
  return `<${logicalId}.Arn>`;
}
