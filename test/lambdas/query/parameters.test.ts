/** The query string as the routes read it, from either of API Gateway's maps. */
import { describe, expect, it } from 'vitest';
import { allValues, firstValue, queryParametersOf } from '../../../lambdas/query/parameters.ts';

describe('queryParametersOf', () => {
  it('takes every value of each parameter from the multi-value map, in the order sent', () => {
    // Act
    const parameters = queryParametersOf({
      queryStringParameters: { tag: 'b:2', service: 'carts' },
      multiValueQueryStringParameters: { tag: ['a:1', 'b:2'], service: ['carts'] },
    });

    // Assess
    expect([...parameters]).toEqual([
      ['tag', ['a:1', 'b:2']],
      ['service', ['carts']],
    ]);
    expect(firstValue(parameters, 'tag')).toBe('a:1');
    expect(allValues(parameters, 'tag')).toEqual(['a:1', 'b:2']);
  });

  it('falls back to the single values of an event without the multi-value map (a direct invoke)', () => {
    // Act
    const parameters = queryParametersOf({ queryStringParameters: { service: 'carts', limit: '20' } });

    // Assess
    expect([...parameters]).toEqual([
      ['service', ['carts']],
      ['limit', ['20']],
    ]);
  });

  it('reads no parameters from an event with neither map, and answers absent ones empty', () => {
    // Act
    const parameters = queryParametersOf({
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
    });

    // Assess
    expect(parameters.size).toBe(0);
    expect(firstValue(parameters, 'service')).toBe('');
    expect(allValues(parameters, 'tag')).toEqual([]);
  });
});
