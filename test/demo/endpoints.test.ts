/** Reading `.tracesift/endpoints.json`: what npm start writes, older files, and broken ones. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLOCKS, givenEndpoints, parseEndpoints, readEndpoints } from '../../demo/endpoints.ts';
import { DemoUsageError, EndpointsFileError, PipelineNotRunningError } from '../../demo/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tracesift-endpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITTEN = {
  traces: 'http://127.0.0.1:4318/v1/traces',
  traceById: 'http://127.0.0.1:4318/v1/traces',
  apiKey: 'local-abc',
  sampler: { batchingWindowSeconds: 1, sendDelaySeconds: 2, traceTimeoutSeconds: 8 },
};

describe('readEndpoints', () => {
  it('reads what npm start writes, clocks included', () => {
    writeFileSync(join(dir, 'endpoints.json'), JSON.stringify({ ...WRITTEN, kinesis: 'http://x' }));
    expect(readEndpoints(dir)).toEqual(WRITTEN);
  });

  it('uses the configuration defaults for a file written before it carried clocks', () => {
    const { sampler: _, ...older } = WRITTEN;
    expect(parseEndpoints(JSON.stringify(older), 'e.json').sampler).toEqual(DEFAULT_CLOCKS);
  });

  it('says the pipeline is not running when there is no file', () => {
    expect(() => readEndpoints(join(dir, 'absent'))).toThrow(PipelineNotRunningError);
    expect(() => readEndpoints(join(dir, 'absent'))).toThrow('npm start');
  });

  it.each([
    ['{', 'not JSON'],
    ['[]', '"traces" is missing'],
    ['null', 'not an object'],
    [JSON.stringify({ ...WRITTEN, apiKey: '' }), '"apiKey" is missing'],
    [JSON.stringify({ ...WRITTEN, traceById: 7 }), '"traceById" is missing'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => parseEndpoints(text, 'e.json')).toThrow(EndpointsFileError);
    expect(() => parseEndpoints(text, 'e.json')).toThrow(message);
  });
});

describe('givenEndpoints', () => {
  it.each([
    [
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
    ],
    [
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
    ],
    [
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
    ],
    ['http://127.0.0.1:4318', 'http://127.0.0.1:4318/v1/traces'],
  ])('%s exports to %s and reads traces back there', (url, traces) => {
    expect(givenEndpoints(url, 'key')).toEqual({
      traces,
      traceById: traces,
      apiKey: 'key',
      sampler: DEFAULT_CLOCKS,
    });
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://example.com/v1/traces', 'http or https'],
  ])('refuses %s', (url, message) => {
    expect(() => givenEndpoints(url, 'key')).toThrow(DemoUsageError);
    expect(() => givenEndpoints(url, 'key')).toThrow(message);
  });
});
