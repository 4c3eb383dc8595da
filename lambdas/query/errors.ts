/** Errors of the query function's APIs; each maps to the HTTP status a client gets. */

export class QueryError extends Error {
  public readonly statusCode: number;
  /** Members of the JSON error body besides `message`. */
  public readonly details: Readonly<Record<string, unknown>>;
  public constructor(
    message: string,
    statusCode: number,
    details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'QueryError';
    this.statusCode = statusCode;
    this.details = details;
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

/** 404: the function was invoked for an API Gateway resource it does not serve. */
export class RouteNotFoundError extends QueryError {
  public readonly resource: string;
  public constructor(resource: string) {
    super(`no route for resource ${resource.slice(0, 200)}`, 404);
    this.name = 'RouteNotFoundError';
    this.resource = resource;
  }
}

/** 405: only GET (and HEAD) read traces. */
export class MethodNotAllowedError extends QueryError {
  public constructor(method: string) {
    super(`method ${method} is not allowed; use GET`, 405);
    this.name = 'MethodNotAllowedError';
  }
}

/** 400: `limit` or `cursor` of a page request that cannot be read. */
export class InvalidPageRequestError extends QueryError {
  public constructor(parameter: 'limit' | 'cursor', value: string, expected: string) {
    super(`"${value.slice(0, 64)}" is not a valid ${parameter}: expected ${expected}`, 400);
    this.name = 'InvalidPageRequestError';
  }
}

/**
 * 413: the answer does not fit Lambda's response payload limit even gzipped (or the client does not
 * accept gzip), so API Gateway would answer 502. The body says how to page the trace instead.
 */
export class TraceTooLargeError extends QueryError {
  public readonly traceId: string;
  public constructor(
    traceId: string,
    size: { spans: number; bytes: number; gzip: boolean },
    suggestedLimit: number,
  ) {
    const form = size.gzip ? 'gzipped response' : 'response (send Accept-Encoding: gzip to compress it)';
    super(
      `trace ${traceId} is too large to return whole: ${size.spans} spans make a ${form} of ${size.bytes} bytes, ` +
        `over the 6 MB a Lambda function can return; fetch it in pages with ?limit=${suggestedLimit}, ` +
        'then ?limit=...&cursor=<page.next> until a page has no next',
      413,
      { spanCount: size.spans, responseBytes: size.bytes, suggestedLimit },
    );
    this.name = 'TraceTooLargeError';
    this.traceId = traceId;
  }
}

/** 404: the function was bundled without the web UI's files (lib/trace-store.ts builds them in). */
export class WebUiNotBuiltError extends QueryError {
  public constructor() {
    super('the web UI is not built into this function', 404);
    this.name = 'WebUiNotBuiltError';
  }
}

/** 404: a path under /ui/ that is neither one of the UI's files nor a page of it (no extension). */
export class UiFileNotFoundError extends QueryError {
  public readonly path: string;
  public constructor(path: string) {
    super(`no web UI file ${path.slice(0, 200)}`, 404);
    this.name = 'UiFileNotFoundError';
    this.path = path;
  }
}
