/**
 * Errors of reading a Zipkin v2 JSON span list. Zipkin has no partial success (its API answers a
 * report 202 or an error, nothing in between), so any of them refuses the whole request; ingest
 * turns them into a 400 (413 for too many spans) with the message.
 */

export class ZipkinError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ZipkinError';
  }
}

/** The body is not JSON, or not a list. */
export class ZipkinJsonError extends ZipkinError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ZipkinJsonError';
  }
}

/** One span of the list is not a valid Zipkin v2 span: which one, which field, and why. */
export class ZipkinSpanError extends ZipkinError {
  /** Position of the span in the list, from 0. */
  public readonly index: number;
  /** The field, e.g. `traceId`, `localEndpoint.port`, `annotations[2].timestamp`. */
  public readonly field: string;
  public readonly problem: string;

  public constructor(index: number, field: string, problem: string) {
    super(field === '' ? `span ${index}: ${problem}` : `span ${index}: ${field}: ${problem}`);
    this.name = 'ZipkinSpanError';
    this.index = index;
    this.field = field;
    this.problem = problem;
  }
}

/** The list holds more spans than a request may; counted before any span is read. */
export class ZipkinSpanCountError extends ZipkinError {
  public readonly count: number;
  public readonly limit: number;

  public constructor(count: number, limit: number) {
    super(`request holds ${count} spans, more than the limit of ${limit}`);
    this.name = 'ZipkinSpanCountError';
    this.count = count;
    this.limit = limit;
  }
}
