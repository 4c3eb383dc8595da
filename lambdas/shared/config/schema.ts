/**
 * The one typed, validated configuration of tracesift, the same object in AWS (CDK passes it to
 * the functions) and locally (`npm start -- --config FILE`). Every key has a default, so `{}` is a
 * valid configuration.
 */
import { z } from 'zod';

const MiB = 1024 * 1024;

export const ingestConfigSchema = z
  .strictObject({
    /** Largest request body accepted, as received (compressed). API Gateway -> Lambda caps payloads at 6 MB, base64 included. */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(4 * MiB),
    /** Largest body after decompression: a gzip bomb is cut off here (413). */
    maxDecompressedBytes: z
      .number()
      .int()
      .positive()
      .default(32 * MiB),
    /** Most spans accepted in one request (413 beyond). */
    maxSpansPerRequest: z.number().int().positive().default(100_000),
    /** How long ingest keeps retrying failed PutRecords entries before answering 503. */
    putDeadlineMs: z.number().int().positive().default(8_000),
    /** Largest Kinesis record written (the service limit is 1 MiB of data plus partition key). */
    maxRecordBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(MiB)
      .default(MiB - 1024),
    /** How long a cached shard map is trusted before it is listed again. */
    shardMapTtlSeconds: z.number().int().positive().default(300),
    /** Processing lanes per shard; must equal the event source mapping's ParallelizationFactor. */
    lanes: z.number().int().min(1).max(10).default(1),
    /** Seconds a client is told to wait (Retry-After) when the stream throttles. */
    retryAfterSeconds: z.number().int().positive().default(2),
  })
  .prefault({});

export const windowConfigSchema = z
  .strictObject({
    /** The event source mapping's MaximumBatchingWindowInSeconds. */
    batchingWindowSeconds: z.number().int().min(0).max(300).default(10),
  })
  .prefault({});

export const samplingConfigSchema = z
  .strictObject({
    /** Probability that a trace no other policy keeps is kept anyway (consistent on the trace id). */
    baselineProbability: z.number().min(0).max(1).default(0.01),
    /** Seconds after the root span's arrival before a trace is decided. */
    sendDelaySeconds: z.number().min(0).max(600).default(5),
    /** Seconds after a trace's first span arrived when it is decided, root or not. */
    traceTimeoutSeconds: z.number().positive().max(3600).default(30),
    /** A trace with more spans is decided at once, and later spans follow that decision. */
    maxSpansPerTrace: z.number().int().positive().default(10_000),
    latency: z
      .strictObject({
        /** Percentile of the live per-(service, operation) root duration above which a trace is kept. */
        percentile: z.number().gt(0).lt(100).default(99),
      })
      .prefault({}),
  })
  .prefault({});

export const storageConfigSchema = z
  .strictObject({
    /** Days a kept trace stays in DynamoDB (TTL). */
    retentionDays: z.number().int().min(1).max(3650).default(7),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    ingest: ingestConfigSchema,
    window: windowConfigSchema,
    sampling: samplingConfigSchema,
    storage: storageConfigSchema,
  })
  .prefault({});

export type TracesiftConfig = z.output<typeof configSchema>;
export type TracesiftConfigInput = z.input<typeof configSchema>;
export type IngestConfig = TracesiftConfig['ingest'];
export type SamplingConfig = TracesiftConfig['sampling'];
