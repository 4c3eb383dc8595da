/** Errors of the Jaeger-compatible query API; each carries the HTTP status its answer gets. */
import { QueryError } from '../errors.ts';

export class JaegerQueryError extends QueryError {
  public constructor(
    message: string,
    statusCode: number,
    details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, statusCode, details, options);
    this.name = 'JaegerQueryError';
  }
}

/**
 * 400: a query parameter that cannot be read. The message names the parameter in the words Jaeger
 * uses (`unable to parse param 'minDuration': ...`), so clients that show it read the same text.
 */
export class InvalidParameterError extends JaegerQueryError {
  public readonly parameter: string;
  public readonly value: string;
  public constructor(parameter: string, value: string, reason: string, options?: ErrorOptions) {
    super(`unable to parse param '${parameter}': ${reason}`, 400, { parameter }, options);
    this.name = 'InvalidParameterError';
    this.parameter = parameter;
    this.value = value;
  }
}

/** 400: a parameter the request needs is missing or empty, in Jaeger's words (`parameter 'service' is required`). */
export class MissingParameterError extends JaegerQueryError {
  public readonly parameter: string;
  public constructor(parameter: string) {
    super(`parameter '${parameter}' is required`, 400, { parameter });
    this.name = 'MissingParameterError';
    this.parameter = parameter;
  }
}

/**
 * 400: two bounds that each read well but contradict each other (`start` after `end`, `minDuration`
 * over `maxDuration`); `parameter` names the one the message blames, as Jaeger's words do.
 */
export class ConflictingParametersError extends JaegerQueryError {
  public readonly parameter: string;
  public constructor(parameter: string, message: string) {
    super(message, 400, { parameter });
    this.name = 'ConflictingParametersError';
    this.parameter = parameter;
  }
}

/** 404 in Jaeger's words ("trace not found"): no kept trace with this id, or one without spans. */
export class JaegerTraceNotFoundError extends JaegerQueryError {
  public readonly traceId: string;
  public constructor(traceId: string) {
    super('trace not found', 404);
    this.name = 'JaegerTraceNotFoundError';
    this.traceId = traceId;
  }
}

/**
 * 413: the trace in Jaeger's form does not fit Lambda's response payload limit even gzipped (or the
 * client does not accept gzip). Jaeger's API cannot page one trace, so the message points to the
 * OTLP route, which can.
 */
export class JaegerTraceTooLargeError extends JaegerQueryError {
  public readonly traceId: string;
  public constructor(traceId: string, size: { spans: number; bytes: number; gzip: boolean }) {
    const form = size.gzip ? 'gzipped response' : 'response (send Accept-Encoding: gzip to compress it)';
    super(
      `trace ${traceId} is too large to return whole: ${size.spans} spans make a ${form} of ${size.bytes} bytes, ` +
        `over the 6 MB a Lambda function can return, and Jaeger's API has no paging for a trace; ` +
        `read it in pages as OTLP JSON from /v1/traces/${traceId}?limit=...&cursor=<page.next>`,
      413,
      { spanCount: size.spans, responseBytes: size.bytes },
    );
    this.name = 'JaegerTraceTooLargeError';
    this.traceId = traceId;
  }
}

/**
 * 413: a list answer (services, operations, dependencies) that does not fit Lambda's response
 * payload limit even gzipped, or the client does not accept gzip. Not expected of a catalogue of
 * names; a search answer is trimmed instead (jaeger/trimmed-traces.ts).
 */
export class JaegerAnswerTooLargeError extends JaegerQueryError {
  public constructor(what: string, size: { bytes: number; gzip: boolean }) {
    const form = size.gzip ? 'gzipped response' : 'response (send Accept-Encoding: gzip to compress it)';
    super(
      `the ${what} make a ${form} of ${size.bytes} bytes, over the 6 MB a Lambda function can return`,
      413,
      { responseBytes: size.bytes },
    );
    this.name = 'JaegerAnswerTooLargeError';
  }
}
