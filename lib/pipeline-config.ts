/**
 * The one configuration object of tracesift, as the CDK hands it to every function: validated at
 * synth time with the very parser the functions use at cold start, so a bad key fails `cdk synth`
 * instead of every invocation after the deploy.
 */
import type { IConstruct } from 'constructs';
import {
  InvalidConfigError,
  parseConfig,
  type TracesiftConfig,
  type TracesiftConfigInput,
} from '../lambdas/shared/config/index.ts';
import { InvalidPipelineConfigError, InvalidPropError } from './errors.ts';
import { checkInteger } from './validation.ts';

/** Lambda's bounds on an event source mapping's ParallelizationFactor. */
export const PARALLELIZATION_FACTOR_RANGE = { min: 1, max: 10 } as const;

export interface PipelineConfig {
  /** The validated configuration with every default filled in, for the constructs to read. */
  readonly config: TracesiftConfig;
  /**
   * The value of TRACESIFT_CONFIG: the caller's input with `ingest.lanes` set, not the expanded
   * defaults, so the environment stays small and a function's own defaults still apply.
   */
  readonly json: string;
  /** The sampler event source mapping's ParallelizationFactor, equal to `config.ingest.lanes`. */
  readonly parallelizationFactor: number;
}

/**
 * Validates `input` and derives the ingest lanes from the parallelization factor, the one setting
 * both the ingest function (PartitionKey `lane-N`) and the event source mapping must agree on.
 *
 * @param parallelizationFactor the prop; when absent, `input.ingest.lanes` (or its default) decides.
 */
export function resolvePipelineConfig(
  scope: IConstruct,
  input: TracesiftConfigInput | undefined,
  parallelizationFactor: number | undefined,
): PipelineConfig {
  const given = input ?? {};
  if (parallelizationFactor !== undefined) {
    checkInteger(
      scope,
      'parallelizationFactor',
      parallelizationFactor,
      PARALLELIZATION_FACTOR_RANGE.min,
      PARALLELIZATION_FACTOR_RANGE.max,
    );
  }
  const configuredLanes = given.ingest?.lanes;
  if (
    parallelizationFactor !== undefined &&
    configuredLanes !== undefined &&
    configuredLanes !== parallelizationFactor
  ) {
    throw new InvalidPropError(
      scope.node.path,
      'parallelizationFactor',
      parallelizationFactor,
      `must equal config.ingest.lanes (${configuredLanes}): ingest routes records to that many lanes ` +
        'per shard and the sampler must read the same number; set only one of them',
    );
  }
  const config = parse(scope, given);
  const lanes = parallelizationFactor ?? config.ingest.lanes;
  const effective: TracesiftConfigInput = { ...given, ingest: { ...given.ingest, lanes } };
  return { config: parse(scope, effective), json: JSON.stringify(effective), parallelizationFactor: lanes };
}

function parse(scope: IConstruct, input: TracesiftConfigInput): TracesiftConfig {
  try {
    return parseConfig(input, 'the TracePipeline config prop');
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new InvalidPipelineConfigError(scope.node.path, error);
    throw error;
  }
}
