/**
 * The `hash` redaction keys of the local pipeline: `<data dir>/redaction-keys.json` (0600), written
 * with a new random key the first time a configuration hashes, kept across restarts and `--fresh`
 * (like the API keys), so hashed values stay joinable. Holds one JSON object of id -> base64 key;
 * add a key there to rotate (redaction.hashKeys in the configuration names the current one).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HashKeyring,
  keyringOf,
  needsHashKeys,
  newHashSecretText,
} from '../lambdas/ingest/hash-keys.ts';
import type { TracesiftConfig } from '../lambdas/shared/config/index.ts';

export const REDACTION_KEYS_FILE = 'redaction-keys.json';

export function localHashKeys(dataDir: string, config: TracesiftConfig): HashKeyring | undefined {
  if (!needsHashKeys(config)) return undefined;
  const path = join(dataDir, REDACTION_KEYS_FILE);
  if (!existsSync(path))
    writeFileSync(path, newHashSecretText(config.redaction.hashKeys.current), { mode: 0o600 });
  chmodSync(path, 0o600);
  return keyringOf(readFileSync(path, 'utf8'), config.redaction.hashKeys, path);
}
