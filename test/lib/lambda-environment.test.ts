import { Lazy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { LambdaEnvironmentTooLargeError } from '../../lib/errors.ts';
import {
  checkEnvironmentSize,
  environmentSize,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  UNRESOLVED_VALUE_BYTES,
} from '../../lib/lambda-environment.ts';
import { testStack } from '../support/cdk.ts';

/** A one-variable environment whose JSON takes exactly `bytes` bytes. */
function environmentOf(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ A: '' }).length;
  return { A: 'x'.repeat(bytes - overhead) };
}

describe('environmentSize', () => {
  it('measures the JSON of the variables, multi-byte characters as bytes', () => {
    // Prepare
    const variables = { NAME: 'ü', OTHER: 'abc' };

    // Act
    const size = environmentSize(variables);

    // Assess
    expect(size.bytes).toBe(Buffer.byteLength(JSON.stringify(variables)));
    expect(size.largest).toBe('OTHER');
  });

  it('counts an unresolved token as the longest generated name', () => {
    // Prepare
    const token = Lazy.string({ produce: () => 'short' });

    // Act
    const size = environmentSize({ TABLE: token });

    // Assess
    expect(size.bytes).toBe(JSON.stringify({ TABLE: 'x'.repeat(UNRESOLVED_VALUE_BYTES) }).length);
  });
});

describe('checkEnvironmentSize', () => {
  it.each([
    { case: 'one byte under the limit', bytes: LAMBDA_ENVIRONMENT_LIMIT_BYTES - 1, fails: false },
    { case: 'equal to the limit', bytes: LAMBDA_ENVIRONMENT_LIMIT_BYTES, fails: false },
    { case: 'one byte over the limit', bytes: LAMBDA_ENVIRONMENT_LIMIT_BYTES + 1, fails: true },
  ])('$case', ({ bytes, fails }) => {
    // Prepare
    const variables = environmentOf(bytes);
    expect(environmentSize(variables).bytes).toBe(bytes);

    // Act
    const act = () => checkEnvironmentSize(testStack(), variables);

    // Assess
    if (fails) expect(act).toThrow(LambdaEnvironmentTooLargeError);
    else expect(act).not.toThrow();
  });

  it('names the size, the limit and the largest variable', () => {
    // Act
    const act = () => checkEnvironmentSize(testStack(), { SMALL: 'a', TRACESIFT_CONFIG: 'x'.repeat(5000) });

    // Assess
    expect(act).toThrow(
      /Test: the Lambda environment would take about \d+ bytes, over Lambda's limit of 4096; the largest variable is TRACESIFT_CONFIG/,
    );
  });
});
