/** Errors of the trace-by-id API; each maps to the HTTP status a client gets. */

export class QueryError extends Error {
  public readonly statusCode: number;
  public constructor(message: string, statusCode: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueryError';
    this.statusCode = statusCode;
  }
}

/** 400: the path does not carry a valid trace id. */
export class MalformedTraceIdError extends QueryError {
  public readonly traceId: string;
  public constructor(traceId: string) {
    super(`"${traceId.slice(0, 64)}" is not a trace id: expected 32 hex characters, not all zero`, 400);
    this.name = 'MalformedTraceIdError';
    this.traceId = traceId;
  }
}

/** 404: no kept trace with this id (never kept, or expired). */
export class TraceNotFoundError extends QueryError {
  public readonly traceId: string;
  public constructor(traceId: string) {
    super(`trace ${traceId} not found (not kept, or older than the retention)`, 404);
    this.name = 'TraceNotFoundError';
    this.traceId = traceId;
  }
}

/** 405: only GET (and HEAD) read traces. */
export class MethodNotAllowedError extends QueryError {
  public constructor(method: string) {
    super(`method ${method} is not allowed; use GET`, 405);
    this.name = 'MethodNotAllowedError';
  }
}
