import { describe, expect, it } from 'vitest';
import {
  applySpanRules,
  compileSpanRules,
  MASK,
  newRuleCounters,
} from '../../../lambdas/ingest/span-rules.ts';
import { parseConfig } from '../../../lambdas/shared/config/load.ts';
import type { TracesiftConfigInput } from '../../../lambdas/shared/config/schema.ts';
import { decodeTraceRequest } from '../../../lambdas/shared/otlp/decode.ts';
import { encodeTraceRequest } from '../../../lambdas/shared/otlp/encode.ts';
import { scanTraceRequest } from '../../../lambdas/shared/otlp/scan.ts';
import type { Attributes, Span } from '../../../lambdas/shared/span/model.ts';
import { makeResource } from '../../../lambdas/shared/span/model.ts';

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
  return { out: applySpanRules(spans, compileSpanRules(parseConfig(config)), counters), counters };
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
    expect(attributes['enduser.id']).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(attributes['url.query']).toBe('to=<email>&x=1');
    expect(attributes['http.route']).toBe('/account');
    expect(counters).toMatchObject({ attributesRedacted: 3, valuesRedacted: 1 });
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
