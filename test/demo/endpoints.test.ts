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
  queryApiKey: 'local-read-abc',
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
    // Written by an npm start from before the read key: reads need the key it did not have
    [JSON.stringify({ ...WRITTEN, queryApiKey: undefined }), '"queryApiKey" is missing'],
    [JSON.stringify({ ...WRITTEN, traceById: 7 }), '"traceById" is missing'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => parseEndpoints(text, 'e.json')).toThrow(EndpointsFileError);
    expect(() => parseEndpoints(text, 'e.json')).toThrow(message);
  });
});

describe('givenEndpoints', () => {
  const APIS = {
    endpoint: 'https://in.execute-api.eu-west-1.amazonaws.com/prod/',
    apiKey: 'key',
    queryEndpoint: 'https://q.execute-api.eu-west-1.amazonaws.com/prod',
    queryApiKey: 'read-key',
  };

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
  ])('%s exports to %s', (url, traces) => {
    expect(givenEndpoints({ ...APIS, endpoint: url })).toMatchObject({ traces, apiKey: 'key' });
  });

  it('reads traces back through the query API with the read key, not the ingest API', () => {
    expect(givenEndpoints(APIS)).toEqual({
      traces: 'https://in.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
      traceById: 'https://q.execute-api.eu-west-1.amazonaws.com/prod/v1/traces',
      apiKey: 'key',
      queryApiKey: 'read-key',
      sampler: DEFAULT_CLOCKS,
    });
  });

  it.each([
    ['endpoint', 'not a url', 'is not a URL'],
    ['endpoint', 'ftp://example.com/v1/traces', 'http or https'],
    ['queryEndpoint', 'not a url', '--query-endpoint: "not a url" is not a URL'],
    ['queryEndpoint', 'ftp://example.com/', '--query-endpoint: must be an http or https URL'],
  ])('refuses a %s of %s', (field, url, message) => {
    const act = () => givenEndpoints({ ...APIS, [field]: url });
    expect(act).toThrow(DemoUsageError);
    expect(act).toThrow(message);
  });
});
