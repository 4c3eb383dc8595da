/**
 * The `storage` section of the configuration: DynamoDB retention, the Parquet layout (promoted
 * attribute columns, compression, row groups) and compaction. Kept in its own file, composed by
 * schema.ts.
 */
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Columns of the spans table that a promoted attribute must not reuse (tables.ts). */
export const RESERVED_SPAN_COLUMNS: ReadonlySet<string> = new Set([
  'trace_id',
  'span_id',
  'parent_span_id',
  'service_name',
  'name',
  'kind',
  'start_time',
  'start_time_unix_nano',
  'duration_nano',
  'status_code',
  'status_message',
  'http_method',
  'http_route',
  'http_status_code',
  'db_system',
  'rpc_service',
  'deployment_environment',
  'span_attributes',
  'resource_attributes',
  'events',
  'links',
  'is_root',
  'critical_path_nano',
  'trace_root_service',
  'trace_root_name',
  'trace_duration_nano',
  'sampling_policy',
  'adjusted_count',
  'dt',
  'hour',
]);

/** An attribute copied into a column of its own in the spans table (and in Glue). */
export const promotedAttributeSchema = z.strictObject({
  /** Column name: lower-case letters, digits and underscores, as Glue and Athena want them. */
  column: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _, starting with a letter'),
  /** Attribute keys in order of preference, e.g. ["tenant.id", "app.tenant"]. */
  attributes: z.array(z.string().min(1)).min(1).max(8),
  /** Span attributes or resource attributes. */
  source: z.enum(['span', 'resource']).default('span'),
  /** Glue type of the column; values that do not convert leave it null and stay in the map. */
  type: z.enum(['string', 'bigint', 'double', 'boolean']).default('string'),
});

export const storageConfigSchema = z
  .strictObject({
    /** Days a kept trace stays in DynamoDB (TTL). */
    retentionDays: z.number().int().min(1).max(3650).default(7),
    /** Days Parquet partitions are kept and projected in Glue (S3 lifecycle, partition projection). */
    analyticsRetentionDays: z.number().int().min(1).max(3650).default(30),
    /**
     * Extra attribute columns of the spans table. The promoted value is stored only in its column,
     * not also in `span_attributes` / `resource_attributes`.
     */
    promotedAttributes: z
      .array(promotedAttributeSchema)
      .max(32)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((p, i) => {
          if (RESERVED_SPAN_COLUMNS.has(p.column))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'column'],
              message: `"${p.column}" is a built-in column`,
            });
          if (seen.has(p.column))
            ctx.addIssue({ code: 'custom', path: [i, 'column'], message: `"${p.column}" is promoted twice` });
          seen.add(p.column);
        });
      }),
    parquet: z
      .strictObject({
        /** zstd level of Parquet pages (bench/storage.ts measures bytes per span against it). */
        zstdLevel: z.number().int().min(1).max(19).default(3),
        /** Rows per row group. */
        rowGroupRows: z.number().int().min(1_000).max(10_000_000).default(100_000),
      })
      .prefault({}),
    compaction: z
      .strictObject({
        /**
         * Minutes after an hour ends before it is compacted: longer than the trace timeout plus the
         * event source mapping's maximum record age, so no first write lands in it afterwards.
         */
        settleMinutes: z
          .number()
          .int()
          .min(5)
          .max(24 * 60)
          .default(90),
        /** How far back (hours) compaction looks for partitions with small files. */
        lookbackHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 14)
          .default(48),
        /**
         * Minutes a replaced file is kept after its manifest stopped listing it, so a query that
         * read the old manifest can still read it: longer than the longest Athena query.
         */
        deleteAfterMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(120),
        /**
         * Most Parquet bytes of input whose rows compaction decodes at once (its memory bound): a
         * larger shard-hour is rewritten in trace buckets below it, each trace whole in one bucket,
         * merged back into one file per table (lambdas/compaction/rewrite.ts). 1 MiB of batch
         * files is ~38,000 rows decoded; a 500,000-span shard-hour then peaks at ~330 MB of
         * resident memory (BENCHMARKS.md, issue 18), inside the 1,024 MB function.
         */
        maxInputBytes: z.number().int().min(MiB).default(MiB),
      })
      .prefault({}),
  })
  .prefault({});

export type StorageConfig = z.output<typeof storageConfigSchema>;
export type PromotedAttribute = z.output<typeof promotedAttributeSchema>;
