/**
 * Up-front checks of construct props. Each throws InvalidPropError naming the construct and the
 * prop, so a bad value fails `cdk synth` here rather than minutes into a CloudFormation deploy.
 * Unresolved tokens (e.g. CfnParameter values) cannot be checked at synth time and pass through.
 */
import { type Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { InvalidPropError } from './errors.ts';

/** An integer within [min, max]; returns it for chaining. */
export function checkInteger(
  scope: IConstruct,
  prop: string,
  value: number,
  min: number,
  max: number,
): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPropError(scope.node.path, prop, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A number within [min, max] (fractions allowed). */
export function checkNumber(
  scope: IConstruct,
  prop: string,
  value: number,
  min: number,
  max: number,
): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidPropError(scope.node.path, prop, value, `must be a number from ${min} to ${max}`);
  }
  return value;
}

/** A duration within [min, max], compared in whole seconds. */
export function checkDuration(
  scope: IConstruct,
  prop: string,
  value: Duration,
  min: Duration,
  max: Duration,
): Duration {
  if (value.isUnresolved()) return value;
  const seconds = value.toSeconds();
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new InvalidPropError(
      scope.node.path,
      prop,
      value.toHumanString(),
      `must be from ${min.toHumanString()} to ${max.toHumanString()}`,
    );
  }
  return value;
}

/** A name made only of the characters `pattern` allows, at most `maxLength` long. */
export function checkName(
  scope: IConstruct,
  prop: string,
  value: string,
  pattern: RegExp,
  maxLength: number,
  requirement: string,
): string {
  if (Token.isUnresolved(value)) return value;
  if (value.length === 0 || value.length > maxLength || !pattern.test(value)) {
    throw new InvalidPropError(
      scope.node.path,
      prop,
      value,
      `must be 1 to ${maxLength} characters of ${requirement}`,
    );
  }
  return value;
}
