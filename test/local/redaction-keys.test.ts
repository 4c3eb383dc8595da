/** The local pipeline's hash redaction keys: created once, private, kept, refused when broken. */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HashKeysError } from '../../lambdas/ingest/errors.ts';
import { keyedHash } from '../../lambdas/ingest/hash-keys.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { localHashKeys, REDACTION_KEYS_FILE } from '../../local/redaction-keys.ts';

const hashing = parseConfig({ redaction: { keys: [{ key: 'user', action: 'hash' }] } });
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracesift-keys-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('localHashKeys', () => {
  it('writes a private key file the first time a rule hashes, and hashes the same after a restart', () => {
    // Act
    const dir = dataDir();
    const first = localHashKeys(dir, hashing);
    const again = localHashKeys(dir, hashing);

    // Assess
    expect(statSync(join(dir, REDACTION_KEYS_FILE)).mode & 0o777).toBe(0o600);
    expect(first?.current.id).toBe('k1');
    expect(keyedHash(again?.current ?? { id: '', secret: new Uint8Array() }, 'u')).toBe(
      keyedHash(first?.current ?? { id: '', secret: new Uint8Array() }, 'u'),
    );
  });

  it('needs no file when no rule hashes', () => {
    const dir = dataDir();
    expect(localHashKeys(dir, parseConfig({}))).toBeUndefined();
    expect(existsSync(join(dir, REDACTION_KEYS_FILE))).toBe(false);
  });

  it('refuses a broken key file, naming it', () => {
    const dir = dataDir();
    writeFileSync(join(dir, REDACTION_KEYS_FILE), '{"k1": "c2hvcnQ="}');
    const act = () => localHashKeys(dir, hashing);
    expect(act).toThrow(HashKeysError);
    expect(act).toThrow(new RegExp(`${REDACTION_KEYS_FILE}.*key "k1" must be at least 32 bytes`));
  });
});
