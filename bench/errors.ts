/** Errors of `npm run bench`. */

export class BenchError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BenchError';
  }
}

/** A command-line flag is unknown or its value is out of range. */
export class BenchUsageError extends BenchError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BenchUsageError';
  }
}
