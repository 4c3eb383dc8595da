/** `ingest.cors.allowedOrigins`: exact origins as browsers send them, each bad one named by key and value. */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../../lambdas/shared/config/errors.ts';
import { parseConfig } from '../../../../lambdas/shared/config/load.ts';

function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input, 'test.json');
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.issues;
    throw error;
  }
  throw new Error('parseConfig accepted the input');
}

const withOrigins = (allowedOrigins: unknown) => ({ ingest: { cors: { allowedOrigins } } });

describe('ingest.cors.allowedOrigins', () => {
  it('is empty by default: no CORS', () => {
    expect(parseConfig({}).ingest.cors.allowedOrigins).toEqual([]);
  });

  it.each([
    ['an https origin', 'https://app.example.com'],
    ['an http origin with a port', 'http://localhost:5173'],
    ['an IPv4 address with a port', 'http://127.0.0.1:8080'],
    ['an IPv6 address', 'http://[::1]:3000'],
    ['a punycode host', 'https://xn--bcher-kva.example'],
    ['a host with an underscore', 'https://dev_box.internal'],
    ['a non-default port on https', 'https://app.example.com:8443'],
  ])('takes %s', (_name, origin) => {
    // Act
    const config = parseConfig(withOrigins(['https://other.example.com', origin]));

    // Assess
    expect(config.ingest.cors.allowedOrigins).toEqual(['https://other.example.com', origin]);
  });

  it.each([
    ['a trailing slash', 'https://app.example.com/', 'write "https://app.example.com"'],
    ['a path', 'https://app.example.com/spa', 'write "https://app.example.com"'],
    ['upper case', 'https://App.Example.com', 'write "https://app.example.com"'],
    ['an explicit default port', 'https://app.example.com:443', 'write "https://app.example.com"'],
    ['a query', 'http://localhost:5173?x=1', 'write "http://localhost:5173"'],
    ['a host that is not ASCII', 'https://bücher.example', 'write "https://xn--bcher-kva.example"'],
    ['a wildcard subdomain', 'https://*.example.com', 'has a wildcard'],
    ['a lone wildcard', '*', 'has a wildcard'],
    ['no scheme', 'app.example.com', 'is not an origin (scheme://host[:port])'],
    ['the null origin', 'null', 'is not an origin (scheme://host[:port])'],
    ['another scheme', 'ftp://files.example.com', 'is not an http or https origin'],
    ['a quote in the host', 'https://a"b.example', 'has a character no host name has'],
    ['a dollar in the host', 'https://a$b.example', 'has a character no host name has'],
  ])('refuses %s, naming the key and the value', (_name, origin, problem) => {
    // Act
    const issues = issuesOf(withOrigins(['https://fine.example.com', origin]));

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(`ingest.cors.allowedOrigins.1: ${JSON.stringify(origin)}`);
    expect(issues[0]).toContain(problem);
  });

  it.each([
    ['a string instead of a list', withOrigins('https://app.example.com'), 'ingest.cors.allowedOrigins: '],
    ['a number in the list', withOrigins([8080]), 'ingest.cors.allowedOrigins.0: '],
    ['an unknown key', { ingest: { cors: { allowedOrigin: [] } } }, 'ingest.cors.allowedOrigin: unknown key'],
  ])('refuses %s with its key path', (_name, input, prefix) => {
    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.startsWith(prefix)).toBe(true);
  });
});
