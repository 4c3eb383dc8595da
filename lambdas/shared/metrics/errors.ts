/** Errors of the metrics module. */
export class MetricsError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MetricsError';
  }
}

/** CloudWatch drops an EMF line whose dimension set has more than 30 dimensions. */
export class TooManyDimensionsError extends MetricsError {
  public readonly metric: string;
  public readonly dimensions: readonly string[];

  public constructor(metric: string, dimensions: readonly string[], limit: number) {
    super(
      `metric ${metric} has ${dimensions.length} dimensions (${dimensions.join(', ')}); EMF allows ${limit}`,
    );
    this.name = 'TooManyDimensionsError';
    this.metric = metric;
    this.dimensions = dimensions;
  }
}
