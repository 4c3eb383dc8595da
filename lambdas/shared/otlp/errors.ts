/** Errors raised while reading or writing OTLP payloads. Each carries what a client needs to fix it. */

export class OtlpError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OtlpError';
  }
}

/** The bytes are not a well-formed protobuf message of the expected type. */
export class WireFormatError extends OtlpError {
  public readonly offset: number;
  public constructor(message: string, offset: number, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.name = 'WireFormatError';
    this.offset = offset;
  }
}

/** The JSON body is not a valid OTLP/JSON ExportTraceServiceRequest. */
export class JsonFormatError extends OtlpError {
  public readonly path: string;
  public constructor(message: string, path: string, options?: ErrorOptions) {
    super(path === '' ? message : `${path}: ${message}`, options);
    this.name = 'JsonFormatError';
    this.path = path;
  }
}

/** The request holds more spans than the limit; counted whole, decoded no further. */
export class TooManySpansError extends OtlpError {
  public readonly count: number;
  public readonly limit: number;
  public constructor(count: number, limit: number) {
    super(`request holds ${count} spans, more than the limit of ${limit}`);
    this.name = 'TooManySpansError';
    this.count = count;
    this.limit = limit;
  }
}
