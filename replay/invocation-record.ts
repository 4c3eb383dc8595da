/**
 * The invocation record a Kinesis event source mapping writes to its S3 on-failure destination:
 * metadata about the failed batch (KinesisBatchInfo: shard, sequence range, stream) and, for S3
 * destinations, the whole event as `payload` (a JSON string, or an object). Both sides of the format
 * live here: the local mapping stand-in writes it, the replay reads it.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { InvocationRecordError } from './errors.ts';

/** One stream record of a failed batch, as the event carried it. */
export interface FailedRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Where Lambda writes a mapping's invocation records: `aws/lambda/<mapping id>/<shard>/YYYY/MM/DD/...`. */
export const LAMBDA_DESTINATION_PREFIX = 'aws/lambda/';

export interface FailedBatch {
  readonly key: string;
  /** RetryAttemptsExhausted, RecordAgeExceeded, ... */
  readonly condition: string;
  readonly shardId: string;
  readonly streamArn: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  /** The records, when the record carries the event (undefined: read them from the stream). */
  readonly records: readonly FailedRecord[] | undefined;
}

export interface InvocationRecordInput {
  readonly condition: string;
  readonly functionArn: string;
  readonly attempts: number;
  readonly error: string;
  readonly timestamp: string;
  readonly event: KinesisStreamEvent;
}

/** The record as Lambda writes it (the local stand-in's destination writes the same). */
export function invocationRecordOf(input: InvocationRecordInput): Record<string, unknown> {
  const records = input.event.Records;
  const first = records[0];
  const last = records[records.length - 1];
  const shardId = first?.eventID.slice(0, first.eventID.indexOf(':')) ?? '';
  const arrival = (seconds: number | undefined) => new Date((seconds ?? 0) * 1000).toISOString();
  return {
    requestContext: {
      requestId: `local-${first?.kinesis.sequenceNumber ?? 'empty'}`,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.attempts,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: input.error },
    version: '1.0',
    timestamp: input.timestamp,
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: first?.kinesis.sequenceNumber ?? '',
      endSequenceNumber: last?.kinesis.sequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first?.kinesis.approximateArrivalTimestamp),
      approximateArrivalOfLastRecord: arrival(last?.kinesis.approximateArrivalTimestamp),
      batchSize: records.length,
      streamArn: first?.eventSourceARN ?? '',
    },
    payload: JSON.stringify(input.event),
  };
}

export function parseInvocationRecord(key: string, text: string): FailedBatch {
  const doc = objectOf(key, parseJson(key, text), 'the document');
  const info = objectOf(key, doc.KinesisBatchInfo, 'KinesisBatchInfo');
  const context = doc.requestContext === undefined ? {} : objectOf(key, doc.requestContext, 'requestContext');
  const field = (name: string): string => {
    const value = info[name];
    if (typeof value !== 'string' || value === '')
      throw new InvocationRecordError(key, `KinesisBatchInfo.${name} is missing`);
    return value;
  };
  return {
    key,
    condition: typeof context.condition === 'string' ? context.condition : 'unknown',
    shardId: field('shardId'),
    streamArn: field('streamArn'),
    startSequenceNumber: field('startSequenceNumber'),
    endSequenceNumber: field('endSequenceNumber'),
    records: doc.payload === undefined ? undefined : recordsOf(key, doc.payload),
  };
}

function recordsOf(key: string, payload: unknown): FailedRecord[] {
  const event = objectOf(key, typeof payload === 'string' ? parseJson(key, payload) : payload, 'payload');
  if (!Array.isArray(event.Records)) throw new InvocationRecordError(key, 'payload.Records is not a list');
  return event.Records.map((entry: unknown, i) => {
    const kinesis = objectOf(key, objectOf(key, entry, `Records[${i}]`).kinesis, `Records[${i}].kinesis`);
    const { sequenceNumber, partitionKey, data } = kinesis;
    if (typeof sequenceNumber !== 'string' || typeof partitionKey !== 'string' || typeof data !== 'string')
      throw new InvocationRecordError(key, `Records[${i}] lacks sequenceNumber, partitionKey or data`);
    return { sequenceNumber, partitionKey, data: new Uint8Array(Buffer.from(data, 'base64')) };
  });
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvocationRecordError(key, `not JSON (${(error as Error).message})`, { cause: error });
  }
}

function objectOf(key: string, value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvocationRecordError(key, `${what} is not an object`);
  return value as Record<string, unknown>;
}
