/**
 * Errors of trace storage (DynamoDB items, Parquet objects, manifests). Each carries the context an
 * operator needs (which trace, which key, how many items) and the underlying `cause`.
 */

export class StorageError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** BatchWriteItem still had unprocessed items (or kept throttling) after every retry. */
export class TraceWriteError extends StorageError {
  public readonly tableName: string;
  public readonly unprocessedItems: number;
  public readonly attempts: number;
  public constructor(tableName: string, unprocessedItems: number, attempts: number, options?: ErrorOptions) {
    super(
      `DynamoDB table ${tableName}: ${unprocessedItems} item(s) still unwritten after ${attempts} attempt(s)`,
      options,
    );
    this.name = 'TraceWriteError';
    this.tableName = tableName;
    this.unprocessedItems = unprocessedItems;
    this.attempts = attempts;
  }
}

/** BatchGetItem still had unprocessed keys after every retry. */
export class TraceReadError extends StorageError {
  public readonly tableName: string;
  public readonly unprocessedKeys: number;
  public constructor(tableName: string, unprocessedKeys: number, attempts: number, options?: ErrorOptions) {
    super(
      `DynamoDB table ${tableName}: ${unprocessedKeys} key(s) still unread after ${attempts} attempt(s)`,
      options,
    );
    this.name = 'TraceReadError';
    this.tableName = tableName;
    this.unprocessedKeys = unprocessedKeys;
  }
}

/** A stored item of a trace cannot be decoded (wrong codec, corrupt bytes, missing attribute). */
export class StoredTraceCorruptError extends StorageError {
  public readonly traceId: string;
  public readonly part: string;
  public constructor(traceId: string, part: string, detail: string, options?: ErrorOptions) {
    super(`stored trace ${traceId}, part ${part}: ${detail}`, options);
    this.name = 'StoredTraceCorruptError';
    this.traceId = traceId;
    this.part = part;
  }
}

/** Spans cannot be packed (an id is not hex) or packed bytes cannot be read (span-pack.ts). */
export class PackedSpansError extends StorageError {
  public constructor(detail: string, options?: ErrorOptions) {
    super(`packed spans: ${detail}`, options);
    this.name = 'PackedSpansError';
  }
}

/** One span cannot be encoded below the DynamoDB item limit, even alone in a chunk. */
export class SpanTooLargeError extends StorageError {
  public readonly traceId: string;
  public readonly spanId: string;
  public readonly bytes: number;
  public constructor(traceId: string, spanId: string, bytes: number, limit: number) {
    super(
      `span ${spanId} of trace ${traceId} takes ${bytes} bytes compressed, above the ${limit}-byte chunk limit`,
    );
    this.name = 'SpanTooLargeError';
    this.traceId = traceId;
    this.spanId = spanId;
    this.bytes = bytes;
  }
}

/** A manifest kept changing under a conditional write (S3 412/409) until the attempts ran out. */
export class ManifestConflictError extends StorageError {
  public readonly key: string;
  public readonly attempts: number;
  public constructor(key: string, attempts: number, options?: ErrorOptions) {
    super(`manifest ${key} changed concurrently on each of ${attempts} conditional write(s)`, options);
    this.name = 'ManifestConflictError';
    this.key = key;
    this.attempts = attempts;
  }
}

/** An S3 object of the analytics tables could not be written, read or deleted. */
export class ObjectStoreError extends StorageError {
  public readonly key: string;
  public constructor(operation: string, key: string, options?: ErrorOptions) {
    super(
      `S3 ${operation} of ${key} failed: ${(options?.cause as Error | undefined)?.message ?? 'unknown'}`,
      options,
    );
    this.name = 'ObjectStoreError';
    this.key = key;
  }
}

/** DynamoDB refused even the summary-only item of a trace it refused whole (a bound is missing). */
export class TraceRejectedError extends StorageError {
  public readonly traceId: string;
  public readonly reason: string;
  public constructor(traceId: string, reason: string, options?: ErrorOptions) {
    super(`DynamoDB refused trace ${traceId} even as its summary alone: ${reason}`, options);
    this.name = 'TraceRejectedError';
    this.traceId = traceId;
    this.reason = reason;
  }
}

/** A search index item (lambdas/storage/search) could not be decoded. */
export class SearchIndexCorruptError extends StorageError {
  public readonly item: string;
  public constructor(item: string, detail: string, options?: ErrorOptions) {
    super(`search index item ${item} is corrupt: ${detail}`, options);
    this.name = 'SearchIndexCorruptError';
    this.item = item;
  }
}

/** DynamoDB refused a search index item (a bug: their strings and sizes are bounded). */
export class SearchIndexWriteError extends StorageError {
  public readonly key: string;
  public readonly reason: string;
  public constructor(key: string, reason: string, options?: ErrorOptions) {
    super(`search index item ${key} refused by DynamoDB: ${reason}`, options);
    this.name = 'SearchIndexWriteError';
    this.key = key;
    this.reason = reason;
  }
}

/** A value that the Parquet column it is written to cannot hold (wrong type, out of range). */
export class ParquetValueError extends StorageError {
  public readonly column: string;
  public readonly physicalType: string;
  public constructor(column: string, physicalType: string, value: unknown) {
    const kind = value === null ? 'null' : value instanceof Date ? 'Date' : typeof value;
    super(`Parquet column ${column} (${physicalType}) cannot hold a ${kind} value`);
    this.name = 'ParquetValueError';
    this.column = column;
    this.physicalType = physicalType;
  }
}
