/**
 * What can go wrong in the web UI, each with the message the page shows. Every failure ends in one
 * of these, shown in the page's alert region: never a blank page or an uncaught exception.
 */

export class UiError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A search form value the query API would refuse; names the field so the page can point at it. */
export class SearchFormError extends UiError {
  public readonly field: string;

  public constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** No read key stored yet: the page asks for one. */
export class MissingKeyError extends UiError {
  public constructor() {
    super('Enter the read API key (queryApiKey) to look at traces.');
  }
}

/** The API answered 403: the key is not a read key of this API (an ingest key, a typo, a revoked key). */
export class KeyRefusedError extends UiError {
  public constructor() {
    super(
      'The query API refused this key (403 Forbidden). Use the read key (the QueryApiKeyId output, or ' +
        'queryApiKey in .tracesift/endpoints.json locally), not an ingest or browser key.',
    );
  }
}

/** The trace asked for is not stored (never kept, expired, or a mistyped id). */
export class TraceNotFoundError extends UiError {
  public readonly traceId: string;

  public constructor(traceId: string) {
    super(
      `Trace ${traceId} was not found: it was not kept by the sampler, has expired, or the id is mistyped.`,
    );
    this.traceId = traceId;
  }
}

/** The text typed in the trace-id box is not a trace id. */
export class InvalidTraceIdError extends UiError {
  public constructor(text: string) {
    super(`"${text}" is not a trace id: expected 1 to 32 hexadecimal digits.`);
  }
}

/** Any other answer that is not a success, with what the API said. */
export class ApiAnswerError extends UiError {
  public readonly status: number;

  public constructor(path: string, status: number, detail: string) {
    super(`The query API answered ${status} to ${path}${detail === '' ? '' : `: ${detail}`}`);
    this.status = status;
  }
}

/** The request did not get an answer at all (offline, DNS, the function timed out at the gateway). */
export class NetworkError extends UiError {
  public constructor(path: string, cause: unknown) {
    super(`No answer from the query API for ${path}. Check the connection and try again.`, { cause });
  }
}

/** The message to show for anything thrown, known or not. */
export function messageOf(error: unknown): string {
  if (error instanceof UiError) return error.message;
  return `Something went wrong in the page: ${error instanceof Error ? error.message : String(error)}`;
}
