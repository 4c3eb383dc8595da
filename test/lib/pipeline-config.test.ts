import { describe, expect, it } from 'vitest';
import { parseConfig, type TracesiftConfigInput } from '../../lambdas/shared/config/index.ts';
import { InvalidPipelineConfigError, InvalidPropError } from '../../lib/errors.ts';
import { PARALLELIZATION_FACTOR_RANGE, resolvePipelineConfig } from '../../lib/pipeline-config.ts';
import { testStack } from '../support/cdk.ts';

describe('resolvePipelineConfig', () => {
  const defaultLanes = parseConfig({}).ingest.lanes;

  it.each([
    {
      case: 'neither given: the config default',
      factor: undefined,
      lanes: undefined,
      expected: defaultLanes,
    },
    { case: 'only the factor', factor: 4, lanes: undefined, expected: 4 },
    { case: 'only config.ingest.lanes', factor: undefined, lanes: 3, expected: 3 },
    { case: 'both, equal', factor: 5, lanes: 5, expected: 5 },
    {
      case: 'factor at the minimum',
      factor: PARALLELIZATION_FACTOR_RANGE.min,
      lanes: undefined,
      expected: 1,
    },
    {
      case: 'factor at the maximum',
      factor: PARALLELIZATION_FACTOR_RANGE.max,
      lanes: undefined,
      expected: 10,
    },
  ])('derives lanes and the parallelization factor: $case', ({ factor, lanes, expected }) => {
    // Prepare
    const input: TracesiftConfigInput = lanes === undefined ? {} : { ingest: { lanes } };

    // Act
    const resolved = resolvePipelineConfig(testStack(), input, factor);

    // Assess
    expect(resolved.parallelizationFactor).toBe(expected);
    expect(resolved.config.ingest.lanes).toBe(expected);
    expect(parseConfig(JSON.parse(resolved.json)).ingest.lanes).toBe(expected);
  });

  it('passes the input, not the expanded defaults, so the environment stays small', () => {
    // Prepare
    const input: TracesiftConfigInput = { sampling: { baselineProbability: 0.05 } };

    // Act
    const resolved = resolvePipelineConfig(testStack(), input, 2);

    // Assess
    expect(JSON.parse(resolved.json)).toEqual({
      sampling: { baselineProbability: 0.05 },
      ingest: { lanes: 2 },
    });
    expect(resolved.config).toEqual(
      parseConfig({ sampling: { baselineProbability: 0.05 }, ingest: { lanes: 2 } }),
    );
  });

  it("keeps the caller's other ingest keys when it sets the lanes", () => {
    // Act
    const resolved = resolvePipelineConfig(testStack(), { ingest: { putDeadlineMs: 5000 } }, 3);

    // Assess
    expect(JSON.parse(resolved.json)).toEqual({ ingest: { putDeadlineMs: 5000, lanes: 3 } });
  });

  it('refuses a factor that contradicts config.ingest.lanes, naming both', () => {
    // Act
    const act = () => resolvePipelineConfig(testStack(), { ingest: { lanes: 2 } }, 3);

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(/parallelizationFactor must equal config\.ingest\.lanes \(2\).*got 3/);
  });

  it.each([0, 11, 2.5])('refuses parallelizationFactor %s outside 1..10', (factor) => {
    expect(() => resolvePipelineConfig(testStack(), {}, factor)).toThrow(
      /parallelizationFactor must be an integer from 1 to 10/,
    );
  });

  it.each([
    {
      case: 'a value out of range',
      input: { sampling: { baselineProbability: 2 } },
      key: 'sampling.baselineProbability',
    },
    { case: 'an unknown key', input: { sampling: { baselineProbabilty: 0.1 } }, key: 'sampling' },
    { case: 'lanes out of range', input: { ingest: { lanes: 11 } }, key: 'ingest.lanes' },
  ])('fails synth on $case, naming the key', ({ input, key }) => {
    // Act
    const act = () => resolvePipelineConfig(testStack(), input as TracesiftConfigInput, undefined);

    // Assess
    expect(act).toThrow(InvalidPipelineConfigError);
    expect(act).toThrow(
      new RegExp(`Test: invalid tracesift configuration[\\s\\S]*${key.replace('.', '\\.')}`),
    );
  });
});
