/** Errors of the failed-batch replay, each naming the object or record it is about. */

export class ReplayError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReplayError';
  }
}

/** An object in the failed-batches bucket that is not an invocation record of a Kinesis mapping. */
export class InvocationRecordError extends ReplayError {
  public readonly key: string;
  public constructor(key: string, reason: string, options?: ErrorOptions) {
    super(`${key} is not a Kinesis invocation record: ${reason}`, options);
    this.name = 'InvocationRecordError';
    this.key = key;
  }
}

/** The stream did not take every record of a batch before the deadline; the batch stays unreplayed. */
export class ReplayPutError extends ReplayError {
  public readonly key: string;
  public readonly recordsFailed: number;
  public constructor(key: string, recordsFailed: number, lastError: string | undefined) {
    super(
      `${recordsFailed} records of ${key} were not accepted by the stream (${lastError ?? 'unknown error'}); ` +
        'nothing is marked, run the replay again',
    );
    this.name = 'ReplayPutError';
    this.key = key;
    this.recordsFailed = recordsFailed;
  }
}

/** A command-line argument is unknown, missing or malformed. */
export class ReplayUsageError extends ReplayError {
  public constructor(message: string) {
    super(message);
    this.name = 'ReplayUsageError';
  }
}
