/** parseConfig's errors: every problem named by its key path, unknown keys by their own name. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../../lambdas/shared/config/errors.ts';
import { parseConfig, parseConfigJson } from '../../../../lambdas/shared/config/load.ts';

function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input, 'test.json');
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.issues;
    throw error;
  }
  throw new Error('parseConfig accepted the input');
}

describe('parseConfig', () => {
  it('fills every default from an empty object', () => {
    const config = parseConfig({});
    expect(config.sampling.sendDelaySeconds).toBe(5);
    expect(config.sampling.baselineProbability).toBe(0.01);
  });

  it.each([
    ['a misspelt nested key', { sampling: { sendDelay: 5 } }, ['sampling.sendDelay: unknown key']],
    ['an unknown top-level key', { samplng: {} }, ['samplng: unknown key']],
    [
      'two unknown keys of one object, each named',
      { sampling: { a: 1, b: 2 } },
      ['sampling.a: unknown key', 'sampling.b: unknown key'],
    ],
  ])('names %s by its path', (_name, input, expected) => {
    expect(issuesOf(input)).toEqual(expected);
  });

  it.each([
    ['a probability above 1', { sampling: { baselineProbability: 1.5 } }, 'sampling.baselineProbability: '],
    ['a wrong type', { sampling: { sendDelaySeconds: 'five' } }, 'sampling.sendDelaySeconds: '],
    ['a non-object', 42, '(root): '],
    [
      'a hash key id with a colon',
      { redaction: { hashKeys: { current: 'k:1' } } },
      'redaction.hashKeys.current: ',
    ],
    [
      'the current hash key also accepted',
      { redaction: { hashKeys: { current: 'k2', accepted: ['k2'] } } },
      'redaction.hashKeys: ',
    ],
  ])('rejects %s with its key path', (_name, input, prefix) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.startsWith(prefix)).toBe(true);
  });

  it('says where invalid JSON came from', () => {
    expect(() => parseConfigJson('{', 'tracesift.json')).toThrow(/tracesift\.json.*not valid JSON/s);
  });
});

describe('the README example configuration', () => {
  it('is valid and sets what it shows', () => {
    // Prepare: the JSON block after "An example `--config` file"
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const after = readme.slice(readme.indexOf('An example `--config` file'));
    const json = /```json\n([\s\S]*?)```/.exec(after)?.[1];
    expect(json).toBeDefined();
    // Act
    const config = parseConfigJson(json ?? '', 'README.md');
    // Assess
    expect(config.sampling.baselineProbability).toBe(0.02);
    expect(config.sampling.budget?.overrides).toEqual({ search: 1 });
    expect(config.storage.retentionDays).toBe(14);
  });
});
