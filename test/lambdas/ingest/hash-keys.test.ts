/** The secret keys of the hash redaction action: read from their secret, refused when unusable. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashKeysError } from '../../../lambdas/ingest/errors.ts';
import {
  acceptedHashes,
  keyedHash,
  keyringOf,
  newHashSecretText,
} from '../../../lambdas/ingest/hash-keys.ts';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('keyringOf', () => {
  it('takes the current key and those still accepted from the secret', () => {
    const keyring = keyringOf(
      JSON.stringify({ k1: key(1), k2: key(2), k3: key(3) }),
      { current: 'k2', accepted: ['k1'] },
      's',
    );
    expect(keyring.current.id).toBe('k2');
    expect(keyring.accepted.map((k) => k.id)).toEqual(['k1']);
  });

  it.each([
    ['not JSON', '{', /is not JSON/],
    ['not an object', '[]', /is not a JSON object/],
    [
      'a key too short',
      JSON.stringify({ k1: Buffer.alloc(16).toString('base64') }),
      /key "k1" must be at least 32 bytes/,
    ],
    ['a key not a string', JSON.stringify({ k1: 5 }), /key "k1" must be at least 32 bytes/],
    ['no current key', JSON.stringify({ k2: key(2) }), /has no key "k1"/],
  ])('refuses a secret with %s, naming its source', (_, text, message) => {
    const act = () => keyringOf(text, { current: 'k1', accepted: [] }, 'secret arn:x');
    expect(act).toThrow(HashKeysError);
    expect(act).toThrow(message);
    expect(act).toThrow(/arn:x/);
  });

  it('reads what newHashSecretText writes', () => {
    const keyring = keyringOf(newHashSecretText('local'), { current: 'local', accepted: [] }, 'file');
    expect(keyring.current.secret).toHaveLength(32);
  });
});

describe('keyed hashes', () => {
  it('differ by key, and a search finds a value under every accepted key', () => {
    // Prepare
    const keyring = keyringOf(
      JSON.stringify({ old: key(1), new: key(2) }),
      { current: 'new', accepted: ['old'] },
      's',
    );
    const expected = (byte: number, id: string) =>
      `hmac:${id}:${createHmac('sha256', Buffer.alloc(32, byte)).update('jane@example.com').digest('hex').slice(0, 16)}`;

    // Act
    const current = keyedHash(keyring.current, 'jane@example.com');
    const all = acceptedHashes(keyring, 'jane@example.com');

    // Assess
    expect(current).toBe(expected(2, 'new'));
    expect(all).toEqual([expected(2, 'new'), expected(1, 'old')]);
  });
});
