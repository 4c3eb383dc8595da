/** A fixed keyring for the `hash` redaction action in tests (a 32-byte key, id k1). */
import { keyringOf } from '../../lambdas/ingest/hash-keys.ts';

export const TEST_HASH_SECRET = Buffer.alloc(32, 7);

export const TEST_HASH_KEYS = keyringOf(
  JSON.stringify({ k1: TEST_HASH_SECRET.toString('base64') }),
  { current: 'k1', accepted: [] },
  'test keys',
);
