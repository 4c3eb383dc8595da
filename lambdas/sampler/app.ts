/**
 * The sampler Lambda: a thin middy handler from a Kinesis event to the sampler core and back.
 *
 * Poison records (that cannot be decoded) must neither block the shard nor be lost. The design
 * relies on documented event source mapping behaviour, with BisectBatchOnFunctionError,
 * ReportBatchItemFailures, a bounded MaximumRetryAttempts (>= 1) and an S3 on-failure destination
 * (which receives the failed batch's records with their payloads):
 *
 *   - poison at position k > 0: records 0..k-1 are processed normally and the poison's sequence
 *     number is returned as the batch item failure. The mapping checkpoints before it and retries
 *     from it (bisecting at the returned sequence number).
 *   - poison at position 0: the handler throws. The mapping bisects the batch, which does not count
 *     against the retry limit, until the poison is alone; a batch of the poison alone then fails
 *     MaximumRetryAttempts times and goes to the S3 destination with its payload, and the shard
 *     moves on.
 *
 * Good records are never sent to the destination: each time a batch containing the poison fails,
 * either the records before it were already processed (partial response) or the batch is split
 * (throw), so the only batch that exhausts its retries is the poison alone. The first attempt a
 * container makes counts the poison's spans in SpansDeadLettered, later ones count only
 * PoisonRecords (accounting.ts, PoisonLedger), so the metric counts the spans once, as the
 * destination holds them once.
 */
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { flushMetrics } from '../shared/middleware/flush-metrics.ts';
import type { StreamRecord } from './batch.ts';
import { InvalidEventError } from './errors.ts';
import { sampleLanes } from './lanes.ts';
import { type BatchInput, createRuntime, type SamplerDeps } from './sampler.ts';

export function createSamplerHandler(deps: SamplerDeps) {
  const runtime = createRuntime(deps.config);
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
    .use(flushMetrics(deps.metrics))
    .handler(async (event, _context, { signal }) => {
      const input = { ...batchInputOf(event), signal };
      try {
        const outcome = await sampleLanes(input, deps, runtime);
        return {
          batchItemFailures: outcome.failedSequenceNumber
            ? [{ itemIdentifier: outcome.failedSequenceNumber }]
            : [],
        };
      } catch (error) {
        deps.metrics.add('BatchFailures', 1, 'Count', { Error: (error as Error).name });
        throw error;
      }
    });
}

/** The shard id is the part of the eventID before the colon: `shardId-000000000000:<sequence number>`. */
function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.indexOf(':');
  if (colon <= 0) throw new InvalidEventError(`eventID ${record.eventID} does not name a shard`);
  return record.eventID.slice(0, colon);
}

function batchInputOf(event: KinesisStreamEvent): BatchInput {
  const records = event.Records ?? [];
  const first = records[0];
  if (!first) return { shardId: '', records: [] };
  const shardId = shardIdOf(first);
  return {
    shardId,
    records: records.map((record): StreamRecord => {
      if (shardIdOf(record) !== shardId) {
        throw new InvalidEventError(`one batch holds records of ${shardId} and ${shardIdOf(record)}`);
      }
      const data = Buffer.from(record.kinesis.data, 'base64');
      return {
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        // The event gives seconds with millisecond decimals.
        arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    }),
  };
}
