/** Errors of the cost model: every one names the input at fault, so the CLI can say what to fix. */

export class CostModelError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CostModelError';
  }
}

/** An input (traffic, deployment knob or measured figure) is outside what the model can price. */
export class InvalidCostInputError extends CostModelError {
  public readonly input: string;
  public readonly value: unknown;
  public constructor(input: string, value: unknown, expected: string) {
    super(`${input} must be ${expected}, got ${JSON.stringify(value)}`);
    this.name = 'InvalidCostInputError';
    this.input = input;
    this.value = value;
  }
}

/** bench/results/latest.json exists but is not what `npm run bench` writes. */
export class BenchResultsError extends CostModelError {
  public readonly path: string;
  public constructor(path: string, problem: string, options?: ErrorOptions) {
    super(
      `${path}: ${problem} (run \`npm run bench\` again, or delete the file to use the documented defaults)`,
      options,
    );
    this.name = 'BenchResultsError';
    this.path = path;
  }
}

/** The command line asks for something the CLI does not understand. */
export class CostUsageError extends CostModelError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CostUsageError';
  }
}
