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
/** A secret key's id: it prefixes every hash made with the key, so it is kept short and plain. */
const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -');

export const VALUE_TARGETS = ['attributes', 'spanName', 'statusMessage', 'eventName'] as const;
export type ValueTarget = (typeof VALUE_TARGETS)[number];

export const redactionConfigSchema = z
  .strictObject({
    /**
     * Attributes whose key matches `key` (a regular expression, case-insensitive, unanchored) are
     * dropped (counted in dropped_attributes_count), masked (value replaced by `***`), or hashed
     * (value replaced by `hmac:<key id>:` and the first 16 hex digits of its HMAC-SHA-256 under the
     * current secret key, so equal values can still be grouped but not recovered by hashing
     * candidates; arrays, kvlists and bytes are hashed by their OTLP/JSON form). Applied to
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
    /**
     * Which secret keys the `hash` action uses, by id; the keys themselves are held outside the
     * configuration (a Secrets Manager secret in AWS, `.tracesift/redaction-keys.json` locally), as
     * a JSON object of id -> base64 key. `current` hashes new values. Rotate by adding a key to the
     * secret and making it current, with the old id in `accepted` for the grace period: searches
     * for a value then match hashes under either key, and joins on one key's hashes still work.
     */
    hashKeys: z
      .strictObject({
        current: keyId.default('k1'),
        accepted: z.array(keyId).default([]),
      })
      .refine((keys) => !keys.accepted.includes(keys.current), {
        message: 'lists the current key as accepted',
      })
      .prefault({}),
  })
  .prefault({});

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
