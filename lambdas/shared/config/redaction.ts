/**
 * The `redaction` section: attributes removed or masked before spans enter the stream, so secrets
 * and personal data never reach Kinesis, DynamoDB or S3.
 */
import { z } from 'zod';

const regex = z.string().refine(
  (pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const redactionConfigSchema = z
  .strictObject({
    /**
     * Attributes whose key matches `key` (a regular expression, case-insensitive, unanchored) are
     * dropped (counted in dropped_attributes_count), masked (value replaced by `***`), or hashed
     * (value replaced by `sha256:` and the first 16 hex digits of its SHA-256, so equal values can
     * still be grouped). Applied to span, event, link and resource attributes.
     */
    keys: z
      .array(z.strictObject({ key: regex, action: z.enum(['drop', 'mask', 'hash']).default('mask') }))
      .default([]),
    /**
     * Substrings of string attribute values matching `pattern` are replaced by `replacement`, e.g.
     * e-mail addresses or card numbers inside URLs and messages. Costs a full decode of every span
     * at ingest (see BENCHMARKS.md), so it is off unless configured.
     */
    values: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          pattern: regex,
          replacement: z.string().default('[REDACTED]'),
        }),
      )
      .default([]),
  })
  .prefault({});

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
