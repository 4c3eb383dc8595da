/** Errors of the synthetic canary, each naming the step that failed. */

export class CanaryError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CanaryError';
  }
}

/** The endpoint did not accept the canary trace (the status says why: 403 key, 429 throttled, 5xx). */
export class CanaryRejectedError extends CanaryError {
  public readonly status: number;
  public constructor(status: number, body: string) {
    super(`the OTLP endpoint answered ${status} to the canary trace: ${body.slice(0, 300)}`);
    this.name = 'CanaryRejectedError';
    this.status = status;
  }
}
