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

/** What a value rule can read. */
export const VALUE_TARGETS = ['attributes', 'spanName', 'statusMessage', 'eventName'] as const;
export type ValueTarget = (typeof VALUE_TARGETS)[number];

export const redactionConfigSchema = z
  .strictObject({
    /**
     * Attributes whose key matches `key` (a regular expression, case-insensitive, unanchored) are
     * dropped (counted in dropped_attributes_count), masked (value replaced by `***`), or hashed
     * (value replaced by `sha256:` and the first 16 hex digits of its SHA-256, so equal values can
     * still be grouped; arrays, kvlists and bytes are hashed by their OTLP/JSON form). Applied to
     * span, event, link, resource and scope attributes, and to the keys of kvlist values at any
     * depth.
     */
    keys: z
      .array(z.strictObject({ key: regex, action: z.enum(['drop', 'mask', 'hash']).default('mask') }))
      .default([]),
    /**
     * Substrings of string attribute values matching `pattern` are replaced by `replacement`, e.g.
     * e-mail addresses or card numbers inside URLs and messages. Costs a full decode of every span
     * at ingest (see BENCHMARKS.md), so it is off unless configured. `targets` names what a rule
     * reads: `attributes` (every string attribute value, inside arrays and kvlists too), `spanName`,
     * `statusMessage`, `eventName`; attributes only unless set.
     */
    values: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          pattern: regex,
          replacement: z.string().default('[REDACTED]'),
          targets: z
            .array(z.enum(VALUE_TARGETS))
            .min(1)
            .refine((targets) => new Set(targets).size === targets.length, {
              message: 'names a target twice',
            })
            .default(['attributes']),
        }),
      )
      .default([]),
  })
  .prefault({});

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
