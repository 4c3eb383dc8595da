/**
 * The one typed, validated configuration of tracesift, the same object in AWS (CDK passes it to
 * the functions) and locally (`npm start -- --config FILE`). Every key has a default, so `{}` is a
 * valid configuration.
 */
import { z } from 'zod';
import { corsConfigSchema } from './cors.ts';
import { redactionConfigSchema } from './redaction.ts';
import { samplingConfigSchema } from './sampling.ts';
import { storageConfigSchema } from './storage.ts';

const MiB = 1024 * 1024;

export const ingestConfigSchema = z
  .strictObject({
    /**
     * Largest request body accepted, as delivered to the function: behind API Gateway that is after
     * its gzip/deflate decompression, locally and when invoked directly it is the body as sent.
     * API Gateway base64-encodes the body (×4/3) into a Lambda invoke payload of at most 6 MiB, so
     * at most 4,694,016 bytes can be delivered with 32 KiB left for headers and the event's other
     * fields; 4 MiB (5,592,408 bytes base64) keeps every delivered body that is too large a 413.
     */
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
    /**
     * Largest JSON body, compressed or not, after decompression (413 beyond; the lower of this and
     * maxDecompressedBytes applies). JSON.parse materialises the whole document before any limit
     * can cut it: measured peak RSS up to 47 bytes per byte of text (arrays of `[{}]`, 380 MB for
     * 8 MiB), where a protobuf body is decoded span by span (at most 11x its size, 333 MB for 30 MiB).
     * 8 MiB keeps JSON within the same bound and still takes every body API Gateway delivers (at
     * most maxBodyBytes, 4 MiB, already inflated).
     */
    maxDecompressedJsonBytes: z
      .number()
      .int()
      .positive()
      .default(8 * MiB),
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
    /**
     * What one trace may put on the stream, per ingest container: a token bucket of span bytes per
     * trace id. Spans beyond it are rejected with a partial success naming the trace, so one client
     * sending under one trace id cannot fill the shard every other client's traces share (a shard
     * takes 1 MiB/s). The burst lets a whole trace of `sampling.maxBytesPerTrace` arrive at once;
     * the rate is a quarter of a shard. `bytesPerSecond: 0` turns it off.
     */
    traceRate: z
      .strictObject({
        bytesPerSecond: z
          .number()
          .int()
          .min(0)
          .default(256 * 1024),
        burstBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(8 * MiB),
        /** Traces tracked per container (least recently seen forgotten first): about 100 bytes each. */
        maxTraces: z.number().int().min(1_000).default(100_000),
      })
      .prefault({}),
    /**
     * Per-span limits enforced at ingest, as the OpenTelemetry SDK span limits define them: beyond
     * a count limit items are dropped and the dropped count raised; string values longer than the
     * length limit are truncated.
     */
    limits: z
      .strictObject({
        maxAttributesPerSpan: z.number().int().min(0).default(128),
        maxEventsPerSpan: z.number().int().min(0).default(128),
        maxLinksPerSpan: z.number().int().min(0).default(128),
        /** Longest string attribute value, in UTF-16 code units as the SDKs count it. */
        maxAttributeValueLength: z.number().int().min(1).default(4096),
        /**
         * Most attribute values kept for one span with its events and links, or for one resource or
         * scope, counting every array element and kvlist entry at any depth; beyond it they are
         * dropped unread (and counted). Bounds what one hostile span can make ingest hold in memory:
         * the default is twice what the count limits above allow at the top level.
         */
        maxValuesPerSpan: z.number().int().min(1).default(65_536),
      })
      .prefault({}),
    /** Browser exporters: the origins whose pages may send spans (cors.ts). */
    cors: corsConfigSchema,
  })
  .prefault({});

export const windowConfigSchema = z
  .strictObject({
    /** The event source mapping's MaximumBatchingWindowInSeconds. */
    batchingWindowSeconds: z.number().int().min(0).max(300).default(10),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    ingest: ingestConfigSchema,
    window: windowConfigSchema,
    sampling: samplingConfigSchema,
    storage: storageConfigSchema,
    redaction: redactionConfigSchema,
  })
  .prefault({});

export type TracesiftConfig = z.output<typeof configSchema>;
export type TracesiftConfigInput = z.input<typeof configSchema>;
export type IngestConfig = TracesiftConfig['ingest'];
export type SamplingConfig = TracesiftConfig['sampling'];
