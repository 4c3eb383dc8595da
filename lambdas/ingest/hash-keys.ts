/**
 * The secret keys of the `hash` redaction action. An unsalted hash of an e-mail address or an IP is
 * recovered by hashing candidates; HMAC-SHA-256 under a key held outside the configuration is not.
 * The same key gives the same hash in every invocation and container, so grouping and joins on a
 * hashed value still work; each hash names its key (`hmac:<id>:<16 hex digits>`), so a rotation
 * shows in the data, and the keys still accepted let a search match a value under each of them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { HashKeysError } from './errors.ts';

export interface HashKey {
  readonly id: string;
  readonly secret: Uint8Array;
}

export interface HashKeyring {
  /** Hashes new values. */
  readonly current: HashKey;
  /** Older keys still in their grace period. */
  readonly accepted: readonly HashKey[];
}

/** Keys shorter than this are refused: HMAC-SHA-256 wants at least its output size. */
const MIN_SECRET_BYTES = 32;

/**
 * The keyring the configuration names, from the secret's text (a JSON object of id -> base64 key).
 * `source` names where the text came from, for errors.
 */
export function keyringOf(
  secretText: string,
  names: { readonly current: string; readonly accepted: readonly string[] },
  source: string,
): HashKeyring {
  const secrets = parseSecrets(secretText, source);
  const key = (id: string): HashKey => {
    const secret = secrets.get(id);
    if (!secret) throw new HashKeysError(source, `has no key "${id}" (redaction.hashKeys names it)`);
    return { id, secret };
  };
  return { current: key(names.current), accepted: names.accepted.map(key) };
}

function parseSecrets(text: string, source: string): Map<string, Uint8Array> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new HashKeysError(source, 'is not JSON', { cause: error });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new HashKeysError(source, 'is not a JSON object of key id -> base64 key');
  const secrets = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(doc)) {
    const secret = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : undefined;
    if (!secret || secret.length < MIN_SECRET_BYTES)
      throw new HashKeysError(source, `key "${id}" must be at least ${MIN_SECRET_BYTES} bytes, base64`);
    secrets.set(id, secret);
  }
  return secrets;
}

/** `hmac:<id>:` and the first 16 hex digits (64 bits) of HMAC-SHA-256(key, text). */
export function keyedHash(key: HashKey, text: string): string {
  return `hmac:${key.id}:${createHmac('sha256', key.secret).update(text).digest('hex').slice(0, 16)}`;
}

/** Every hash `text` may be stored under: the current key's and those in their grace period. */
export function acceptedHashes(keyring: HashKeyring, text: string): string[] {
  return [keyring.current, ...keyring.accepted].map((key) => keyedHash(key, text));
}

/** Whether the configuration hashes anything, and so needs its keys at start-up. */
export function needsHashKeys(config: {
  readonly redaction: { readonly keys: ReadonlyArray<{ readonly action: string }> };
}): boolean {
  return config.redaction.keys.some((rule) => rule.action === 'hash');
}

/** A new secret of one key, as the secret's text holds it (local mode writes it on first start). */
export function newHashSecretText(id: string): string {
  return `${JSON.stringify({ [id]: randomBytes(MIN_SECRET_BYTES).toString('base64') }, null, 2)}\n`;
}
