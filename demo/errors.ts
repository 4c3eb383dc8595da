/** Errors of the demo and trace commands, each telling the user what to do next. */

export class DemoError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DemoError';
  }
}

/** A command-line flag is unknown or its value is out of range. */
export class DemoUsageError extends DemoError {
  public readonly flag: string;
  public constructor(flag: string, message: string, options?: ErrorOptions) {
    super(flag === '' ? message : `--${flag}: ${message}`, options);
    this.name = 'DemoUsageError';
    this.flag = flag;
  }
}

/** The local pipeline is not running: no endpoints file, or nothing answers at its address. */
export class PipelineNotRunningError extends DemoError {
  public readonly endpoint: string;
  public constructor(detail: string, endpoint: string, options?: ErrorOptions) {
    super(
      `the local pipeline is not running: ${detail}. Start it with \`npm start\` in another terminal.`,
      options,
    );
    this.name = 'PipelineNotRunningError';
    this.endpoint = endpoint;
  }
}

/** The endpoints file exists but is not what `npm start` writes. */
export class EndpointsFileError extends DemoError {
  public readonly path: string;
  public constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `${path} is not a valid endpoints file (${detail}); restart the pipeline with \`npm start\``,
      options,
    );
    this.name = 'EndpointsFileError';
    this.path = path;
  }
}

/** The trace-by-id API answered something other than a trace or 404. */
export class TraceApiError extends DemoError {
  public readonly status: number;
  public readonly traceId: string;
  public constructor(traceId: string, status: number, detail: string, options?: ErrorOptions) {
    super(`GET trace ${traceId}: ${detail}`, options);
    this.name = 'TraceApiError';
    this.status = status;
    this.traceId = traceId;
  }
}

/**
 * The pipeline serves no trace-by-id route: API Gateway (and its local stand-in) answers an
 * unknown resource with 403 "Missing Authentication Token".
 */
export class TraceApiUnavailableError extends TraceApiError {
  public constructor(traceId: string) {
    super(
      traceId,
      403,
      'the pipeline serves no GET /v1/traces/{traceId} route (403 Missing Authentication Token)',
    );
    this.name = 'TraceApiUnavailableError';
  }
}

/**
 * The read key was refused: the pipeline was restarted with another key, or an ingest key was
 * given where the read key belongs (writers cannot read).
 */
export class ApiKeyRejectedError extends TraceApiError {
  public constructor(traceId: string) {
    super(
      traceId,
      403,
      'the read API key (queryApiKey) was refused: restart the demo after `npm start`, or give the ' +
        'query API key, not an ingest key',
    );
    this.name = 'ApiKeyRejectedError';
  }
}

/** The trace-by-id API answered 200 with a body that is not a trace. */
export class TraceResponseError extends TraceApiError {
  public constructor(traceId: string, detail: string, options?: ErrorOptions) {
    super(traceId, 200, `the response is not a trace: ${detail}`, options);
    this.name = 'TraceResponseError';
  }
}
