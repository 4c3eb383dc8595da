/** Errors of compaction. */

export class CompactionError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CompactionError';
  }
}

/** A manifest lists a data file that is not in the bucket: the partition cannot be compacted safely. */
export class MissingDataFileError extends CompactionError {
  public readonly manifestKey: string;
  public readonly dataKey: string;
  public constructor(manifestKey: string, dataKey: string) {
    super(`manifest ${manifestKey} lists ${dataKey}, which does not exist; leaving the partition as it is`);
    this.name = 'MissingDataFileError';
    this.manifestKey = manifestKey;
    this.dataKey = dataKey;
  }
}

/** One or more shard-hours failed; the others were compacted. */
export class CompactionFailedError extends CompactionError {
  public readonly failures: readonly {
    readonly partition: string;
    readonly shard: string;
    readonly error: Error;
  }[];
  public constructor(failures: readonly { partition: string; shard: string; error: Error }[]) {
    super(
      `compaction failed for ${failures.length} shard-hour(s): ${failures
        .slice(0, 5)
        .map((f) => `${f.partition}/${f.shard}: ${f.error.message}`)
        .join('; ')}`,
      { cause: failures[0]?.error },
    );
    this.name = 'CompactionFailedError';
    this.failures = failures;
  }
}

/** A block of a run (row-run.ts) that does not decompress or deserialize: a fault of the rewrite itself. */
export class RunBlockError extends CompactionError {
  public readonly block: number;
  public constructor(block: number, cause: unknown) {
    super(`cannot read block ${block} of a compaction run: ${(cause as Error).message}`, { cause });
    this.name = 'RunBlockError';
    this.block = block;
  }
}

/** The rewrite's worker thread failed (rewrite-thread.ts): the error it reported, or how it stopped. */
export class RewriteWorkerError extends CompactionError {
  /** The name of the error in the worker (`StorageError`, ...), or `Exit` if it stopped without one. */
  public readonly workerErrorName: string;
  public constructor(workerErrorName: string, message: string, workerStack?: string) {
    super(`the compaction rewrite failed in its worker: ${workerErrorName}: ${message}`);
    this.name = 'RewriteWorkerError';
    this.workerErrorName = workerErrorName;
    if (workerStack) this.stack = `${this.name}: ${this.message}\n--- in the worker ---\n${workerStack}`;
  }
}
