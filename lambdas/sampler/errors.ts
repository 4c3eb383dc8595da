/**
 * Errors of the sampler. Each says what failed and carries its context and `cause`; the handler
 * lets every one of them fail the batch (so the event source mapping retries it), except
 * StateStoreError, which only costs statistics and is logged.
 */

export class SamplerError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SamplerError';
  }
}

/** The trace sink did not store the batch's kept traces. */
export class SinkWriteError extends SamplerError {
  public readonly traces: number;
  public constructor(traces: number, options?: ErrorOptions) {
    super(`the trace sink failed to store ${traces} kept trace(s); the batch will be retried`, options);
    this.name = 'SinkWriteError';
    this.traces = traces;
  }
}

/** The decision lookup (kept-traces store) could not be asked about late fragments. */
export class DecisionLookupError extends SamplerError {
  public readonly traceIds: number;
  public constructor(traceIds: number, options?: ErrorOptions) {
    super(`looking up earlier decisions for ${traceIds} trace(s) failed; the batch will be retried`, options);
    this.name = 'DecisionLookupError';
    this.traceIds = traceIds;
  }
}

/** Deferred or forwarded traces could not all be written back to the stream before the deadline. */
export class StreamWriteError extends SamplerError {
  public readonly recordsFailed: number;
  public readonly spansFailed: number;
  public constructor(recordsFailed: number, spansFailed: number, lastError: string | undefined) {
    super(
      `${recordsFailed} record(s) with ${spansFailed} deferred or forwarded span(s) were not accepted by the stream` +
        `${lastError ? ` (last error: ${lastError})` : ''}; the batch will be retried`,
    );
    this.name = 'StreamWriteError';
    this.recordsFailed = recordsFailed;
    this.spansFailed = spansFailed;
  }
}

/**
 * The first record of the batch cannot be decoded. Thrown (a function error) rather than reported
 * as a batch item failure so that the event source mapping bisects the batch, which isolates the
 * record without spending retries; see app.ts.
 */
export class PoisonBatchError extends SamplerError {
  public readonly sequenceNumber: string;
  public readonly shardId: string;
  public constructor(shardId: string, sequenceNumber: string, reason: string) {
    super(
      `record ${sequenceNumber} of ${shardId} cannot be decoded (${reason}); failing so that the event source ` +
        'mapping isolates it and sends it to the on-failure destination',
    );
    this.name = 'PoisonBatchError';
    this.sequenceNumber = sequenceNumber;
    this.shardId = shardId;
  }
}

/** A single span cannot be written back in one record (ingest never writes such a span). */
export class RecordTooLargeError extends SamplerError {
  public readonly traceId: string;
  public readonly bytes: number;
  public constructor(traceId: string, bytes: number) {
    super(`a span of trace ${traceId} needs a ${bytes}-byte record, more than Kinesis accepts`);
    this.name = 'RecordTooLargeError';
    this.traceId = traceId;
    this.bytes = bytes;
  }
}

/** The Kinesis event is not what the event source mapping sends. */
export class InvalidEventError extends SamplerError {
  public constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Reading or writing persisted sampler state failed (statistics only: logged, never fatal). */
export class StateStoreError extends SamplerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/**
 * Records passed on undecoded must go back to this shard's hash range, and the range is neither
 * listed nor remembered (a cold container while ListShards fails): the batch is retried rather
 * than routed to a guessed shard.
 */
export class ShardRangeUnknownError extends SamplerError {
  public readonly shardId: string;
  public constructor(shardId: string, options?: ErrorOptions) {
    super(
      `the hash key range of ${shardId} is unknown, so undecoded records cannot be put back; the batch will be retried`,
      options,
    );
    this.name = 'ShardRangeUnknownError';
    this.shardId = shardId;
  }
}

/**
 * The pending traces a state document names cannot be read now (S3 unavailable): the batch fails
 * and is retried, since starting without them would lose their spans.
 */
export class PendingUnavailableError extends SamplerError {
  public readonly key: string;
  public constructor(key: string, options?: ErrorOptions) {
    super(`could not read the pending traces ${key}; the batch will be retried`, options);
    this.name = 'PendingUnavailableError';
    this.key = key;
  }
}

/**
 * The pending traces a state document names are gone or corrupt (deleted by hand or by the
 * lifecycle rule after a very long outage): they cannot be recovered, so the shard goes on without
 * them and counts their spans as lost (PendingSpansLost) rather than stalling forever.
 */
export class PendingTracesLostError extends SamplerError {
  public readonly key: string;
  public constructor(key: string, reason: string, options?: ErrorOptions) {
    super(`the pending traces ${key} are lost: ${reason}`, options);
    this.name = 'PendingTracesLostError';
    this.key = key;
  }
}

/**
 * The shard's state document changed since this container read it: another invocation (a retry in
 * another container, while this one was a timed-out attempt still running) committed first. This
 * attempt's commit is refused and its batch fails; the container reads the state again.
 */
export class StateConflictError extends SamplerError {
  public readonly stateId: string;
  public constructor(stateId: string, options?: ErrorOptions) {
    super(`the state of ${stateId} was committed by another invocation; this attempt is dropped`, options);
    this.name = 'StateConflictError';
    this.stateId = stateId;
  }
}
