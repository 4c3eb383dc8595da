/**
 * Lambda refuses a function whose environment variables exceed 4 KB in total, but only at deploy
 * time, halfway through a CloudFormation update. The configuration JSON is the one variable that
 * can grow (sampling rules), so its size is checked at synth time instead.
 */
import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { LambdaEnvironmentTooLargeError } from './errors.ts';

export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Bytes assumed for a value that is still a token at synth time (the names CloudFormation
 * generates for the stream, table and bucket): the longest of those names, a DynamoDB table name
 * of up to 255 characters, so the estimate never falls short.
 */
export const UNRESOLVED_VALUE_BYTES = 255;

export interface EnvironmentSize {
  readonly bytes: number;
  /** Name of the largest variable, for the error message. */
  readonly largest: string;
}

/**
 * Size of the variables as the JSON object Lambda stores. Counting the JSON (quotes, colons,
 * commas) rather than only keys and values keeps the estimate on the safe side of the limit.
 */
export function environmentSize(variables: Readonly<Record<string, string>>): EnvironmentSize {
  let largest = '';
  let largestBytes = -1;
  const measurable: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    const measured = Token.isUnresolved(value) ? 'x'.repeat(UNRESOLVED_VALUE_BYTES) : value;
    measurable[name] = measured;
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(measured);
    if (bytes > largestBytes) {
      largest = name;
      largestBytes = bytes;
    }
  }
  return { bytes: Buffer.byteLength(JSON.stringify(measurable)), largest };
}

/** Throws LambdaEnvironmentTooLargeError when `variables` would not fit in a Lambda environment. */
export function checkEnvironmentSize(scope: IConstruct, variables: Readonly<Record<string, string>>): void {
  const { bytes, largest } = environmentSize(variables);
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new LambdaEnvironmentTooLargeError(scope.node.path, bytes, LAMBDA_ENVIRONMENT_LIMIT_BYTES, largest);
  }
}
