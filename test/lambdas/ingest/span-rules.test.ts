import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashKeysError } from '../../../lambdas/ingest/errors.ts';
import {
  applySpanRules,
  compileSpanRules,
  MASK,
  newRuleCounters,
} from '../../../lambdas/ingest/span-rules.ts';
import { parseConfig, type TracesiftConfigInput } from '../../../lambdas/shared/config/index.ts';
import {
  decodeTraceRequest,
  decodeTraceRequestJson,
  encodeTraceRequest,
  encodeTracesDataJson,
  scanTraceRequest,
} from '../../../lambdas/shared/otlp/index.ts';
import type { Attributes, AttributeValue, Span } from '../../../lambdas/shared/span/model.ts';
import { makeResource, newAttributes } from '../../../lambdas/shared/span/model.ts';
import { TEST_HASH_KEYS, TEST_HASH_SECRET } from '../../support/hash-keys.ts';

function span(attributes: Attributes, extra: Partial<Span> = {}): Span {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'GET /account',
    kind: 2,
    startTimeUnixNano: 1_790_000_000_000_000_000n,
    endTimeUnixNano: 1_790_000_000_100_000_000n,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource: makeResource({ 'service.name': 'users' }),
    scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...extra,
  };
}

const numbered = (n: number): Attributes =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

function run(config: TracesiftConfigInput, spans: Span[]) {
  const counters = newRuleCounters();
  return {
    out: applySpanRules(spans, compileSpanRules(parseConfig(config), TEST_HASH_KEYS), counters),
    counters,
  };
}

describe('span limits', () => {
  const limits = {
    ingest: {
      limits: {
        maxAttributesPerSpan: 4,
        maxEventsPerSpan: 2,
        maxLinksPerSpan: 1,
        maxAttributeValueLength: 5,
      },
    },
  };

  it.each([
    [3, 3, 0],
    [4, 4, 0],
    [5, 4, 1],
    [9, 4, 5],
  ])('with %i attributes keeps %i and counts %i dropped (limit 4)', (count, kept, dropped) => {
    const [result] = run(limits, [span(numbered(count))]).out;
    expect(Object.keys(result?.attributes ?? {})).toHaveLength(kept);
    expect(result?.droppedAttributesCount).toBe(dropped);
  });

  it.each([
    ['abcd', 'abcd'],
    ['abcde', 'abcde'],
    ['abcdef', 'abcde'],
  ])('truncates %j to %j (limit 5), also inside string arrays', (value, expected) => {
    const [result] = run(limits, [span({ v: value, list: [value, 1] })]).out;
    expect(result?.attributes.v).toBe(expected);
    expect(result?.attributes.list).toEqual([expected, 1]);
  });

  it('drops events and links beyond their limits and counts them', () => {
    const event = { timeUnixNano: 1n, name: 'e', attributes: {}, droppedAttributesCount: 0 };
    const link = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceState: '',
      attributes: {},
      droppedAttributesCount: 0,
      flags: 0,
    };
    const [result] = run(limits, [
      span({}, { events: [event, event, event], links: [link, link], droppedEventsCount: 1 }),
    ]).out;
    expect(result?.events).toHaveLength(2);
    expect(result?.droppedEventsCount).toBe(2);
    expect(result?.links).toHaveLength(1);
    expect(result?.droppedLinksCount).toBe(1);
  });

  it('returns a span within every limit unchanged (same object)', () => {
    const input = span(numbered(4));
    expect(run(limits, [input]).out[0]).toBe(input);
  });
});

describe('redaction', () => {
  const config = {
    redaction: {
      keys: [
        { key: '^http\\.request\\.header\\.authorization$', action: 'drop' as const },
        { key: 'password|secret', action: 'mask' as const },
        { key: '^enduser\\.id$', action: 'hash' as const },
      ],
      values: [{ name: 'email', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', replacement: '<email>' }],
    },
  };

  it('drops, masks and hashes by key (case-insensitive) and masks values by pattern', () => {
    // Act
    const { out, counters } = run(config, [
      span({
        'HTTP.request.header.Authorization': 'Bearer abc',
        'db.password': 'hunter2',
        'enduser.id': 'user-42',
        'url.query': 'to=jane.doe@example.com&x=1',
        'http.route': '/account',
      }),
    ]);

    // Assess
    const attributes = out[0]?.attributes ?? {};
    expect(attributes).not.toHaveProperty('HTTP.request.header.Authorization');
    expect(out[0]?.droppedAttributesCount).toBe(1);
    expect(attributes['db.password']).toBe(MASK);
    expect(attributes['enduser.id']).toMatch(/^hmac:k1:[0-9a-f]{16}$/);
    expect(attributes['url.query']).toBe('to=<email>&x=1');
    expect(attributes['http.route']).toBe('/account');
    expect(counters).toMatchObject({ attributesRedacted: 3, valuesRedacted: 1 });
  });

  it('hashes with HMAC-SHA-256 under the secret key, naming the key, not with a bare hash', () => {
    // Act
    const { out } = run(config, [span({ 'enduser.id': 'user-42' })]);

    // Assess: what an HMAC under the test key gives, which no dictionary of bare SHA-256 values matches
    const hmac = createHmac('sha256', TEST_HASH_SECRET).update('user-42').digest('hex').slice(0, 16);
    const bare = createHash('sha256').update('user-42').digest('hex').slice(0, 16);
    expect(out[0]?.attributes['enduser.id']).toBe(`hmac:k1:${hmac}`);
    expect(out[0]?.attributes['enduser.id']).not.toContain(bare);
  });

  it('refuses to compile a hash rule without its keys, rather than hash unkeyed', () => {
    const act = () => compileSpanRules(parseConfig(config));
    expect(act).toThrow(HashKeysError);
    expect(act).toThrow(/are needed: a redaction key rule hashes/);
  });

  it('hashes equal values equally, so they can still be grouped', () => {
    const { out } = run(config, [
      span({ 'enduser.id': 'u1' }),
      span({ 'enduser.id': 'u1' }),
      span({ 'enduser.id': 'u2' }),
    ]);
    expect(out[0]?.attributes['enduser.id']).toBe(out[1]?.attributes['enduser.id']);
    expect(out[0]?.attributes['enduser.id']).not.toBe(out[2]?.attributes['enduser.id']);
  });

  it('applies to resource and event attributes, keeping the resource shared', () => {
    const resource = makeResource({ 'service.name': 'users', 'deploy.secret': 's3cr3t' });
    const event = {
      timeUnixNano: 1n,
      name: 'login',
      attributes: { password: 'x' },
      droppedAttributesCount: 0,
    };
    const { out } = run(config, [
      span({}, { resource, events: [event] }),
      span({}, { resource, spanId: 'c'.repeat(16) }),
    ]);
    expect(out[0]?.resource.attributes['deploy.secret']).toBe(MASK);
    expect(out[0]?.resource).toBe(out[1]?.resource);
    expect(out[0]?.events[0]?.attributes.password).toBe(MASK);
  });

  it('refuses an invalid regular expression in the configuration, naming the key', () => {
    expect(() => parseConfig({ redaction: { keys: [{ key: '(unclosed' }] } })).toThrow(
      /redaction\.keys\.0\.key: not a valid regular expression/,
    );
  });
});

describe('scan hints: which requests take the rewrite path', () => {
  const hints = {
    maxAttributes: 4,
    maxEvents: 2,
    maxLinks: 2,
    maxValues: 64,
    maxValueBytes: 5,
    keyNeedsRewrite: (key: string) => key === 'secret',
  };
  it.each([
    ['nothing to change', span(numbered(4)), false],
    ['one attribute too many', span(numbered(5)), true],
    ['a value at the byte limit', span({ v: 'abcde' }), false],
    ['a value over the byte limit', span({ v: 'abcdef' }), true],
    ['a redacted key', span({ secret: 1 }), true],
    ['a redacted key on the resource', span({}, { resource: makeResource({ secret: 'x' }) }), true],
  ])('%s -> %s', (_, input, expected) => {
    expect(scanTraceRequest(encodeTraceRequest([input]), hints).needsRewrite).toBe(expected);
  });

  it('rewrite path output decodes to the rewritten spans', () => {
    const input = span({ ...numbered(6), secret: 'x' });
    const body = encodeTraceRequest([input]);
    const [decoded] = decodeTraceRequest(body);
    const { out } = run(
      {
        ingest: { limits: { maxAttributesPerSpan: 4 } },
        redaction: { keys: [{ key: '^secret$', action: 'drop' }] },
      },
      [decoded as Span],
    );
    expect(out[0]?.droppedAttributesCount).toBe(3);
    expect(out[0]?.attributes).not.toHaveProperty('secret');
  });
});

/** An attribute map with these entries as own keys, whatever they are called (`__proto__` included). */
function attributesOf(entries: ReadonlyArray<readonly [string, AttributeValue]>): Attributes {
  const out = newAttributes();
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** Read through a variable: `__proto__` written literally is the prototype accessor. */
const PROTO = '__proto__';

describe('keys named like Object members are ordinary attributes', () => {
  const config = {
    ingest: { limits: { maxAttributesPerSpan: 4, maxAttributeValueLength: 5 } },
    redaction: {
      keys: [
        { key: '^toString$', action: 'drop' as const },
        { key: '^valueOf$|password', action: 'mask' as const },
        { key: '^hasOwnProperty$', action: 'hash' as const },
      ],
      values: [{ name: 'email', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', replacement: '<email>' }],
    },
  };
  const smuggled = attributesOf([
    ['password', 'hunter2'],
    ['user.email', 'jane@example.com'],
    ['constructor', 'abcdefgh'],
    ['toString', 'gone'],
  ]);
  const hostile = span(
    attributesOf([
      ['__proto__', smuggled],
      ['constructor', 'abcdefgh'],
      ['toString', 'x'],
      ['valueOf', 'y'],
      ['hasOwnProperty', 'z'],
      ['extra.1', 1],
      ['extra.2', 2],
    ]),
  );
  const decoders: Array<[string, () => Span[]]> = [
    ['protobuf', () => decodeTraceRequest(encodeTraceRequest([hostile]))],
    ['JSON', () => decodeTraceRequestJson(JSON.stringify(encodeTracesDataJson([hostile])))],
  ];

  it.each(decoders)('decoded from %s, they are limited and redacted like any other key', (_, decode) => {
    // Act
    const [result] = run(config, decode()).out;

    // Assess
    const attributes = result?.attributes ?? {};
    expect(Object.getPrototypeOf(attributes)).toBeNull();
    expect(Object.keys(attributes)).toEqual(['__proto__', 'constructor', 'valueOf', 'hasOwnProperty']);
    expect(result?.droppedAttributesCount).toBe(3); // toString (redaction), extra.1 and extra.2 (limit)
    expect('password' in attributes).toBe(false);
    expect(attributes.constructor).toBe('abcde');
    expect(attributes.valueOf).toBe(MASK);
    expect(attributes.hasOwnProperty).toMatch(/^hmac:k1:[0-9a-f]{16}$/);
    const nested = attributes[PROTO] as Attributes;
    expect(Object.getPrototypeOf(nested)).toBeNull();
    expect({ ...nested }).toEqual({ password: MASK, 'user.email': '<emai', constructor: 'abcde' });
  });
});

describe('redaction inside values, names and scopes', () => {
  it('hashes a kvlist value with toString and valueOf keys instead of throwing', () => {
    // Prepare: String() of such an object calls its keys as methods and throws a TypeError
    const config = { redaction: { keys: [{ key: '^enduser\\.id$', action: 'hash' as const }] } };
    const list = (a: string): Attributes =>
      attributesOf([
        ['toString', a],
        ['valueOf', 'b'],
      ]);

    // Act
    const { out } = run(config, [
      span({ 'enduser.id': list('a') }),
      span({ 'enduser.id': list('a') }),
      span({ 'enduser.id': list('c') }),
      span({ 'enduser.id': { toString: 'a', valueOf: 'b' } }),
    ]);

    // Assess
    const hashes = out.map((s) => s.attributes['enduser.id']);
    expect(hashes[0]).toMatch(/^hmac:k1:[0-9a-f]{16}$/);
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
    expect(hashes[3]).toBe(hashes[0]);
  });

  it('applies key rules, value rules and truncation into kvlists and arrays at any depth', () => {
    // Prepare
    const config = {
      ingest: { limits: { maxAttributeValueLength: 12 } },
      redaction: {
        keys: [
          { key: 'password', action: 'mask' as const },
          { key: '^token$', action: 'drop' as const },
        ],
        values: [{ name: 'email', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', replacement: '<email>' }],
      },
    };
    const user = attributesOf([
      ['password', 'p'],
      ['token', 't'],
      ['note', 'mail jane@example.com'],
      ['bio', 'x'.repeat(20)],
    ]);

    // Act
    const { out, counters } = run(config, [
      span({ body: [attributesOf([['user', user]])], tags: ['a@b.io'] }),
    ]);

    // Assess
    const body = out[0]?.attributes.body as Attributes[];
    expect({ ...(body[0]?.user as Attributes) }).toEqual({
      password: MASK,
      note: 'mail <email>',
      bio: 'x'.repeat(12),
    });
    expect(out[0]?.attributes.tags).toEqual(['<email>']);
    expect(counters).toMatchObject({ attributesRedacted: 2, valuesRedacted: 2, valuesTruncated: 1 });
  });

  it('redacts span names, status messages and event names only for rules that target them', () => {
    // Prepare
    const card = { name: 'card', pattern: '\\d{4}-\\d{4}', replacement: '<card>' };
    const event = { timeUnixNano: 1n, name: 'charged 1234-5678', attributes: {}, droppedAttributesCount: 0 };
    const input = span(
      { note: 'paid 1234-5678' },
      {
        name: 'GET /cards/1234-5678',
        status: { code: 2, message: 'card 1234-5678 declined' },
        events: [event],
      },
    );

    // Act
    const [byDefault] = run({ redaction: { values: [card] } }, [input]).out;
    const [targeted] = run(
      { redaction: { values: [{ ...card, targets: ['spanName', 'statusMessage', 'eventName'] }] } },
      [input],
    ).out;

    // Assess
    expect(byDefault?.attributes.note).toBe('paid <card>');
    expect([byDefault?.name, byDefault?.status.message, byDefault?.events[0]?.name]).toEqual([
      input.name,
      input.status.message,
      event.name,
    ]);
    expect(targeted?.attributes.note).toBe('paid 1234-5678');
    expect([targeted?.name, targeted?.status.message, targeted?.events[0]?.name]).toEqual([
      'GET /cards/<card>',
      'card <card> declined',
      'charged <card>',
    ]);
  });

  it('applies key rules to scope attributes, keeping the scope shared', () => {
    const scope = {
      name: 's',
      version: '',
      attributes: { 'api.secret': 'x' },
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    const { out } = run({ redaction: { keys: [{ key: 'secret' }] } }, [
      span({}, { scope }),
      span({}, { scope, spanId: 'c'.repeat(16) }),
    ]);
    expect(out[0]?.scope.attributes['api.secret']).toBe(MASK);
    expect(out[0]?.scope).toBe(out[1]?.scope);
  });

  it.each([
    [[], /redaction\.values\.0\.targets/],
    [['spanName', 'spanName'], /redaction\.values\.0\.targets: names a target twice/],
    [['url'], /redaction\.values\.0\.targets\.0/],
  ])('refuses value rule targets %j, naming the key', (targets, message) => {
    expect(() => parseConfig({ redaction: { values: [{ name: 'n', pattern: 'x', targets }] } })).toThrow(
      message,
    );
  });
});
