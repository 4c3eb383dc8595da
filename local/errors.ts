/** Errors of the local pipeline's start-up, each telling the user what to do. */

export class LocalPipelineError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalPipelineError';
  }
}

/** The data directory cannot be created or written. */
export class DataDirectoryError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, options?: ErrorOptions) {
    super(
      `cannot write the data directory ${path}: ${(options?.cause as Error | undefined)?.message ?? 'not writable'}`,
      options,
    );
    this.name = 'DataDirectoryError';
    this.path = path;
  }
}

/** A command-line argument is unknown or malformed. */
export class UsageError extends LocalPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The poller's checkpoint file exists but cannot be read (delete it to start over from the oldest records). */
export class CheckpointError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `the Kinesis poller's checkpoint file ${path} is unreadable (${detail}); delete it to start over`,
      options,
    );
    this.name = 'CheckpointError';
    this.path = path;
  }
}
