/**
 * Errors of the ingest stage. Each maps to the HTTP status the OTLP/HTTP specification prescribes,
 * so the handler turns any of them into a response and never into a 500.
 */
import type { IngestErrorStatus } from '../shared/metrics/index.ts';

/** gRPC status codes carried in the google.rpc.Status body of an OTLP error response. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
} as const;

export class IngestError extends Error {
  /** Each status has its Responses<status> metric in the catalogue. */
  public readonly statusCode: IngestErrorStatus;
  public readonly rpcCode: number;
  /** Seconds the client should wait before retrying (Retry-After), for retryable errors. */
  public readonly retryAfterSeconds?: number;

  public constructor(
    message: string,
    statusCode: IngestErrorStatus,
    rpcCode: number,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'IngestError';
    this.statusCode = statusCode;
    this.rpcCode = rpcCode;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** 400: the body is not a valid OTLP request (or Zipkin span list). */
export class MalformedRequestError extends IngestError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 400, RpcCode.INVALID_ARGUMENT, options);
    this.name = 'MalformedRequestError';
  }
}

/** 413: the body, its decompressed form, or its span count exceeds a limit. */
export class PayloadTooLargeError extends IngestError {
  public constructor(message: string) {
    super(message, 413, RpcCode.RESOURCE_EXHAUSTED);
    this.name = 'PayloadTooLargeError';
  }
}

/** 415: a content type the route does not take, or an unknown Content-Encoding. */
export class UnsupportedMediaTypeError extends IngestError {
  public constructor(message: string) {
    super(message, 415, RpcCode.INVALID_ARGUMENT);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 405: anything but POST. */
export class MethodNotAllowedError extends IngestError {
  /** `what` names the requests that must POST, e.g. 'OTLP/HTTP exports'. */
  public constructor(method: string, what: string) {
    super(`method ${method} is not allowed; ${what} use POST`, 405, RpcCode.UNIMPLEMENTED);
    this.name = 'MethodNotAllowedError';
  }
}

/** 429 (throttled) or 503 (unavailable): the stream did not accept every record before the deadline. */
export class StreamUnavailableError extends IngestError {
  public readonly throttled: boolean;
  public constructor(message: string, throttled: boolean, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, throttled ? 429 : 503, throttled ? RpcCode.RESOURCE_EXHAUSTED : RpcCode.UNAVAILABLE, {
      ...options,
      retryAfterSeconds,
    });
    this.name = 'StreamUnavailableError';
    this.throttled = throttled;
  }
}

/**
 * The secret keys of the `hash` redaction action cannot be used (unreadable, malformed, or missing
 * the key the configuration names). Thrown at start-up: ingest does not run with hash rules and no key.
 */
export class HashKeysError extends Error {
  public readonly source: string;
  public constructor(source: string, problem: string, options?: ErrorOptions) {
    super(`the redaction hash keys (${source}) ${problem}`, options);
    this.name = 'HashKeysError';
    this.source = source;
  }
}
