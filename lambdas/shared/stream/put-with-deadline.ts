/**
 * The put both writers of the stream make (ingest for exporters' spans, the sampler for deferred,
 * forwarded and wake-up records): every record within a deadline, with the counters and the stale
 * shard map handled the same way. What a failure means differs (ingest answers 429/503, the sampler
 * fails its batch), so the outcome is returned and each caller decides.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type PreparedRecord, type PutOutcome, putAllRecords } from './put-records.ts';

export interface StreamWriter {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  /** How long failed entries are retried, from the call. */
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The shard map the records were packed with: invalidated when a record landed elsewhere. */
  readonly shards: { invalidate(): void };
  readonly metrics: { add(name: 'RecordsPut' | 'PutRetries' | 'ShardMapRefreshes', value: number): void };
}

export async function putWithDeadline(
  records: readonly PreparedRecord[],
  writer: StreamWriter,
): Promise<PutOutcome> {
  const outcome = await putAllRecords(writer.kinesis, records, {
    streamName: writer.streamName,
    deadline: writer.now() + writer.deadlineMs,
    now: writer.now,
    ...(writer.sleep ? { sleep: writer.sleep } : {}),
  });
  writer.metrics.add('RecordsPut', outcome.recordsPut);
  writer.metrics.add('PutRetries', outcome.retries);
  if (outcome.shardMismatch) {
    writer.shards.invalidate();
    writer.metrics.add('ShardMapRefreshes', 1);
  }
  return outcome;
}
