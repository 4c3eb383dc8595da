/**
 * Writes prepared records to Kinesis with PutRecords: calls of at most 500 records and 5 MiB,
 * failed entries retried with full-jitter exponential backoff until a deadline. Success means
 * every record is in the stream; anything else is reported so the caller can answer 429/503.
 */
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';

/** A record ready for PutRecords: data in the record format of record/codec.ts, routed explicitly. */
export interface PreparedRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** Decimal 128-bit hash key: the hash of (the first) trace in the record. */
  readonly explicitHashKey: string;
  /** The shard the record is meant for, when a shard map was available. */
  readonly expectedShardId: string | undefined;
  readonly spanCount: number;
}

export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

export interface PutOptions {
  readonly streamName: string;
  /** Absolute time (ms, same clock as `now`) after which no new attempt starts. */
  readonly deadline: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Backoff base and cap in ms. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface PutOutcome {
  /** True when every record was accepted by the stream. */
  readonly ok: boolean;
  readonly recordsPut: number;
  readonly spansPut: number;
  /** Records still not accepted at the deadline. */
  readonly recordsFailed: number;
  readonly spansFailed: number;
  /** Entry or call failures that were retried. */
  readonly retries: number;
  /** The last failures were throttling (ProvisionedThroughputExceeded / LimitExceeded). */
  readonly throttled: boolean;
  /** Some record landed on a shard other than the one it was packed for: the shard map is stale. */
  readonly shardMismatch: boolean;
  readonly lastError: string | undefined;
}

const THROTTLE_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
]);

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits records into PutRecords calls within the service's per-call limits. */
export function planCalls(records: readonly PreparedRecord[]): PreparedRecord[][] {
  const calls: PreparedRecord[][] = [];
  let current: PreparedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = record.data.length + Buffer.byteLength(record.partitionKey);
    if (
      current.length === MAX_RECORDS_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export async function putAllRecords(
  client: KinesisClient,
  records: readonly PreparedRecord[],
  options: PutOptions,
): Promise<PutOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? delay;
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 1_000;

  let pending = [...records];
  let recordsPut = 0;
  let spansPut = 0;
  let retries = 0;
  let throttled = false;
  let shardMismatch = false;
  let lastError: string | undefined;

  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) {
      const wait = Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      if (now() + wait >= options.deadline) break;
      await sleep(wait);
    }
    const failed: PreparedRecord[] = [];
    let attemptThrottled = false;
    // Calls of one attempt run concurrently: a 10 MB request is 2+ calls, and their latencies
    // should not add up inside the client's timeout.
    const results = await Promise.all(
      planCalls(pending).map(async (call) => {
        try {
          const response = await client.send(
            new PutRecordsCommand({ StreamName: options.streamName, Records: call.map(toEntry) }),
          );
          return { call, entries: response.Records ?? [], error: undefined };
        } catch (error) {
          return { call, entries: [] as PutRecordsResultEntry[], error: error as Error };
        }
      }),
    );
    for (const { call, entries, error } of results) {
      if (error) {
        lastError = `${error.name}: ${error.message}`;
        if (THROTTLE_CODES.has(error.name)) attemptThrottled = true;
        failed.push(...call);
        continue;
      }
      call.forEach((record, i) => {
        const entry = entries[i];
        if (entry && !entry.ErrorCode && entry.SequenceNumber) {
          recordsPut++;
          spansPut += record.spanCount;
          if (record.expectedShardId && entry.ShardId && entry.ShardId !== record.expectedShardId) {
            shardMismatch = true;
          }
        } else {
          lastError = `${entry?.ErrorCode ?? 'MissingResult'}: ${entry?.ErrorMessage ?? 'no result entry'}`;
          if (entry?.ErrorCode && THROTTLE_CODES.has(entry.ErrorCode)) attemptThrottled = true;
          failed.push(record);
        }
      });
    }
    if (failed.length > 0) {
      retries += failed.length;
      throttled = attemptThrottled;
    }
    pending = failed;
  }
  const spansFailed = pending.reduce((sum, r) => sum + r.spanCount, 0);
  return {
    ok: pending.length === 0,
    recordsPut,
    spansPut,
    recordsFailed: pending.length,
    spansFailed,
    retries,
    throttled: pending.length > 0 && throttled,
    shardMismatch,
    lastError,
  };
}

function toEntry(record: PreparedRecord): PutRecordsRequestEntry {
  return { Data: record.data, PartitionKey: record.partitionKey, ExplicitHashKey: record.explicitHashKey };
}
