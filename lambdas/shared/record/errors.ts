/** Errors of the Kinesis record codec. */

export class RecordError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RecordError';
  }
}

/** A record that cannot be decoded (wrong magic, unknown version or codec, corrupt payload). */
export class PoisonRecordError extends RecordError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PoisonRecordError';
  }
}
