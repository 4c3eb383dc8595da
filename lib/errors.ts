/**
 * Errors of the CDK constructs. Each is thrown while the construct tree is built, so a bad prop
 * or configuration fails `cdk synth` with a message naming the construct, the prop and the fix,
 * before anything reaches CloudFormation.
 */

export class PipelineDefinitionError extends Error {
  /** Path of the construct whose props were rejected, e.g. `Tracesift/Pipeline/Stream`. */
  public readonly constructPath: string;
  public constructor(constructPath: string, message: string, options?: ErrorOptions) {
    super(`${constructPath}: ${message}`, options);
    this.name = 'PipelineDefinitionError';
    this.constructPath = constructPath;
  }
}

/** A prop is out of range, of the wrong kind, or contradicts another prop. */
export class InvalidPropError extends PipelineDefinitionError {
  public readonly prop: string;
  public readonly value: unknown;
  public constructor(constructPath: string, prop: string, value: unknown, requirement: string) {
    super(constructPath, `${prop} ${requirement} (got ${describe(value)})`);
    this.name = 'InvalidPropError';
    this.prop = prop;
    this.value = value;
  }
}

/** The sampling/ingest configuration object fails validation; `cause` is the InvalidConfigError. */
export class InvalidPipelineConfigError extends PipelineDefinitionError {
  public constructor(constructPath: string, cause: Error) {
    super(constructPath, cause.message, { cause });
    this.name = 'InvalidPipelineConfigError';
  }
}

/** The variables of a function would exceed Lambda's 4 KB environment limit (the deploy would fail). */
export class LambdaEnvironmentTooLargeError extends PipelineDefinitionError {
  public readonly bytes: number;
  public readonly limit: number;
  public constructor(constructPath: string, bytes: number, limit: number, largest: string) {
    super(
      constructPath,
      `the Lambda environment would take about ${bytes} bytes, over Lambda's limit of ${limit}; ` +
        `the largest variable is ${largest}: shorten the configuration (e.g. fewer or shorter sampling rules)`,
    );
    this.name = 'LambdaEnvironmentTooLargeError';
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A partition column of the analytics tables has no partition projection defined for it. */
export class UnprojectedPartitionError extends PipelineDefinitionError {
  public readonly column: string;
  public constructor(constructPath: string, column: string) {
    super(
      constructPath,
      `partition column ${column} has no partition projection: define one in lib/glue-tables.ts ` +
        'when adding a column to PARTITION_COLUMNS',
    );
    this.name = 'UnprojectedPartitionError';
    this.column = column;
  }
}

/** A context value given to the CDK app (`-c key=value`) cannot be read as the prop it sets. */
export class InvalidContextError extends Error {
  public readonly key: string;
  public constructor(key: string, value: unknown, requirement: string, options?: ErrorOptions) {
    super(`context ${key} ${requirement} (got ${describe(value)})`, options);
    this.name = 'InvalidContextError';
    this.key = key;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
