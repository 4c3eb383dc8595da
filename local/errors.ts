/** Errors of the local pipeline's start-up, each telling the user what to do. */

export class LocalPipelineError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalPipelineError';
  }
}

/** The data directory cannot be created or written. */
export class DataDirectoryError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, options?: ErrorOptions) {
    super(
      `cannot write the data directory ${path}: ${(options?.cause as Error | undefined)?.message ?? 'not writable'}`,
      options,
    );
    this.name = 'DataDirectoryError';
    this.path = path;
  }
}

/** Another `npm start` holds the data directory (its lock file names a running process). */
export class DataDirectoryInUseError extends LocalPipelineError {
  public readonly path: string;
  public readonly pid: number | undefined;
  public constructor(path: string, pid: number | undefined) {
    super(
      `the data directory ${path} is in use by another npm start${pid === undefined ? '' : ` (pid ${pid})`}: ` +
        'stop that one first, or give this one another --data-dir',
    );
    this.name = 'DataDirectoryInUseError';
    this.path = path;
    this.pid = pid;
  }
}

/** The file given with --config cannot be read (its contents are checked by parseConfigJson). */
export class ConfigFileError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, options?: ErrorOptions) {
    super(
      `cannot read the configuration file ${path}: ${(options?.cause as Error | undefined)?.message ?? 'unreadable'}`,
      options,
    );
    this.name = 'ConfigFileError';
    this.path = path;
  }
}

/** The read key equals the ingest key: every exporter's key would read every trace. */
export class SharedApiKeyError extends LocalPipelineError {
  public constructor() {
    super('the query API key must differ from the ingest API key: a writer must not be able to read traces');
    this.name = 'SharedApiKeyError';
  }
}

/** The browser key equals the ingest or the read key, which would then be public too. */
export class SharedBrowserApiKeyError extends LocalPipelineError {
  public constructor() {
    super(
      'the browser API key must differ from the ingest and the read API keys: it is public (every ' +
        'page that sends spans holds it), so a read key equal to it would let anyone read traces',
    );
    this.name = 'SharedBrowserApiKeyError';
  }
}

/** A command-line argument is unknown or malformed. */
export class UsageError extends LocalPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The poller's checkpoint file exists but cannot be read (delete it to start over from the oldest records). */
export class CheckpointError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      `the Kinesis poller's checkpoint file ${path} is unreadable (${detail}); delete it to start over`,
      options,
    );
    this.name = 'CheckpointError';
    this.path = path;
  }
}

/** `npm run query` found no Parquet files: nothing was stored yet, or the data directory is another one. */
export class NoLocalDataError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string) {
    super(
      `no Parquet data under ${path} yet: run \`npm start\`, send traces (kept traces are written after ` +
        'the send delay), or point --data-dir at the directory npm start used',
    );
    this.name = 'NoLocalDataError';
    this.path = path;
  }
}

/** endpoints.json of a data directory is not the JSON npm start writes. */
export class EndpointsFileError extends LocalPipelineError {
  public readonly path: string;
  public constructor(path: string, options?: ErrorOptions) {
    super(
      `cannot read ${path}: ${(options?.cause as Error | undefined)?.message ?? 'malformed'}; ` +
        'start the pipeline once (npm start) to rewrite it',
      options,
    );
    this.name = 'EndpointsFileError';
    this.path = path;
  }
}

/** A symlink manifest lists a Parquet file that is not on disk (a partly deleted data directory). */
export class MissingLocalObjectError extends LocalPipelineError {
  public readonly manifest: string;
  public readonly file: string;
  public constructor(manifest: string, file: string) {
    super(`manifest ${manifest} lists ${file}, which does not exist; restart with --fresh to start over`);
    this.name = 'MissingLocalObjectError';
    this.manifest = manifest;
    this.file = file;
  }
}

/** `--named NAME` names no query of athena/queries/. */
export class UnknownNamedQueryError extends LocalPipelineError {
  public readonly query: string;
  public constructor(query: string, known: readonly string[]) {
    super(`no named query "${query}"; the named queries are: ${known.join(', ')}`);
    this.name = 'UnknownNamedQueryError';
    this.query = query;
  }
}

/** A `--param` of a named query is missing, unknown or not of the parameter's type. */
export class QueryParameterError extends LocalPipelineError {
  public readonly query: string;
  public readonly parameter: string;
  public constructor(query: string, parameter: string, problem: string) {
    super(`named query ${query}: parameter ${parameter} ${problem}`);
    this.name = 'QueryParameterError';
    this.query = query;
    this.parameter = parameter;
  }
}

/** DuckDB rejected the SQL (syntax, unknown column, type error); `cause` is DuckDB's error. */
export class QueryFailedError extends LocalPipelineError {
  public readonly sql: string;
  public constructor(sql: string, options: ErrorOptions) {
    super(`query failed: ${(options.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
    this.name = 'QueryFailedError';
    this.sql = sql;
  }
}
