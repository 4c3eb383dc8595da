import { describe, expect, it } from 'vitest';
import type { JaegerTag } from '../../../../lambdas/query/jaeger/model.ts';
import { tagOf, tagsOf } from '../../../../lambdas/query/jaeger/tags.ts';
import { type AttributeValue, newAttributes } from '../../../../lambdas/shared/span/model.ts';

const SAFE = Number.MAX_SAFE_INTEGER; // 2^53 − 1

describe('tagOf', () => {
  const cases: [string, AttributeValue, Omit<JaegerTag, 'key'>][] = [
    ['string', 'GET', { type: 'string', value: 'GET' }],
    ['empty string', '', { type: 'string', value: '' }],
    ['true', true, { type: 'bool', value: true }],
    ['false', false, { type: 'bool', value: false }],
    ['int 0', 0, { type: 'int64', value: 0 }],
    ['int 2^53 − 1', SAFE, { type: 'int64', value: SAFE }],
    ['int −(2^53 − 1)', -SAFE, { type: 'int64', value: -SAFE }],
    ['bigint 2^53', 2n ** 53n, { type: 'int64', value: '9007199254740992' }],
    ['bigint −2^53', -(2n ** 53n), { type: 'int64', value: '-9007199254740992' }],
    ['bigint within ±(2^53 − 1)', 2n ** 53n - 1n, { type: 'int64', value: SAFE }],
    ['bigint max int64', 2n ** 63n - 1n, { type: 'int64', value: '9223372036854775807' }],
    ['bigint min int64', -(2n ** 63n), { type: 'int64', value: '-9223372036854775808' }],
    ['double', 72.5, { type: 'float64', value: 72.5 }],
    ['double beyond 2^53', 2 ** 60, { type: 'float64', value: 2 ** 60 }],
    ['NaN', Number.NaN, { type: 'float64', value: 'NaN' }],
    ['+Infinity', Number.POSITIVE_INFINITY, { type: 'float64', value: 'Infinity' }],
    ['-Infinity', Number.NEGATIVE_INFINITY, { type: 'float64', value: '-Infinity' }],
    ['bytes', Uint8Array.of(0, 0, 0x30, 0x39), { type: 'binary', value: 'AAAwOQ==' }],
    [
      'bytes of a larger buffer',
      new Uint8Array([9, 0x30, 0x39, 9]).subarray(1, 3),
      { type: 'binary', value: 'MDk=' },
    ],
    ['empty bytes', new Uint8Array(0), { type: 'binary', value: '' }],
    ['array', ['a', 1, true, 1.5], { type: 'string', value: '["a",1,true,1.5]' }],
    ['empty array', [], { type: 'string', value: '[]' }],
    ['array of int64 beyond 2^53', [2n ** 63n - 1n], { type: 'string', value: '[9223372036854775807]' }],
    ['array with bytes and NaN', [Uint8Array.of(1), Number.NaN], { type: 'string', value: '["AQ==","NaN"]' }],
    ['kvlist, keys sorted', { b: 1, a: 'x' }, { type: 'string', value: '{"a":"x","b":1}' }],
    ['empty kvlist', {}, { type: 'string', value: '{}' }],
    [
      'nested kvlist and array',
      { outer: { list: [{ k: false }], 'q"uote': '<&>' } },
      { type: 'string', value: '{"outer":{"list":[{"k":false}],"q\\"uote":"<&>"}}' },
    ],
  ];

  it.each(cases)('types %s', (_name, value, expected) => {
    // Act
    const tag = tagOf('k', value);

    // Assess
    expect(tag).toEqual({ key: 'k', ...expected });
  });

  it('writes a tag that JSON keeps exactly, int64 beyond 2^53 included', () => {
    // Prepare
    const value = 9_223_372_036_854_775_222n;

    // Act
    const json = JSON.parse(JSON.stringify(tagOf('javascript_limit', value)));

    // Assess
    expect(BigInt(json.value)).toBe(value);
  });
});

describe('tagsOf', () => {
  it('keeps the attributes in order, skipping the key asked for', () => {
    // Prepare
    const attributes = { 'service.name': 'checkout', b: 'x', a: 1 };

    // Act
    const tags = tagsOf(attributes, 'service.name');

    // Assess
    expect(tags).toEqual([
      { key: 'b', type: 'string', value: 'x' },
      { key: 'a', type: 'int64', value: 1 },
    ]);
  });

  it('reads keys such as __proto__ as ordinary attributes', () => {
    // Prepare
    const attributes = newAttributes();
    for (const key of ['__proto__', 'constructor']) attributes[key] = key.slice(-1);

    // Act
    const tags = tagsOf(attributes);

    // Assess
    expect(tags).toEqual([
      { key: '__proto__', type: 'string', value: '_' },
      { key: 'constructor', type: 'string', value: 'r' },
    ]);
  });
});
