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
  public constructor(parameter: string, value: string, reason: string) {
    super(`unable to parse param '${parameter}': ${reason}`, 400, { parameter });
    this.name = 'InvalidParameterError';
    this.parameter = parameter;
    this.value = value;
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
