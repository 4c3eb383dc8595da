/**
 * Where the local pipeline runs: `.tracesift/endpoints.json`, written by `npm start`. The demo and
 * `npm run trace` read it so nothing has to be copied by hand; `--endpoint`, `--api-key`,
 * `--query-endpoint` and `--query-api-key` point the demo at a deployed pipeline instead.
 * Writers cannot read: the ingest key (`apiKey`) only sends spans, the read key (`queryApiKey`)
 * only reads them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoUsageError, EndpointsFileError, PipelineNotRunningError } from './errors.ts';

export interface SamplerClocks {
  readonly batchingWindowSeconds: number;
  readonly sendDelaySeconds: number;
  readonly traceTimeoutSeconds: number;
}

export interface DemoEndpoints {
  /** OTLP/HTTP traces URL. */
  readonly traces: string;
  /** GET `${traceById}/{traceId}`. */
  readonly traceById: string;
  /** The ingest key, sent with spans. */
  readonly apiKey: string;
  /** The read key, sent with reads of traces by id. */
  readonly queryApiKey: string;
  readonly sampler: SamplerClocks;
}

/** The defaults of the configuration schema, for an endpoints file written before it had clocks. */
export const DEFAULT_CLOCKS: SamplerClocks = {
  batchingWindowSeconds: 10,
  sendDelaySeconds: 5,
  traceTimeoutSeconds: 30,
};

export function readEndpoints(dataDir: string): DemoEndpoints {
  const path = join(dataDir, 'endpoints.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PipelineNotRunningError(`${path} does not exist`, path, { cause: error });
  }
  return parseEndpoints(text, path);
}

/** Validates the endpoints file's text; `path` names it in errors. */
export function parseEndpoints(text: string, path: string): DemoEndpoints {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new EndpointsFileError(path, `not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof doc !== 'object' || doc === null) throw new EndpointsFileError(path, 'not an object');
  const fields = doc as Record<string, unknown>;
  const text_ = (key: string): string => {
    const value = fields[key];
    if (typeof value !== 'string' || value === '') throw new EndpointsFileError(path, `"${key}" is missing`);
    return value;
  };
  const clocks = fields.sampler as Partial<Record<keyof SamplerClocks, unknown>> | undefined;
  const clock = (key: keyof SamplerClocks): number =>
    typeof clocks?.[key] === 'number' ? (clocks[key] as number) : DEFAULT_CLOCKS[key];
  return {
    traces: text_('traces'),
    traceById: text_('traceById'),
    apiKey: text_('apiKey'),
    queryApiKey: text_('queryApiKey'),
    sampler: {
      batchingWindowSeconds: clock('batchingWindowSeconds'),
      sendDelaySeconds: clock('sendDelaySeconds'),
      traceTimeoutSeconds: clock('traceTimeoutSeconds'),
    },
  };
}

/** A deployed pipeline's two APIs: where spans go with the ingest key, where traces are read with the read key. */
export interface GivenApis {
  readonly endpoint: string;
  readonly apiKey: string;
  readonly queryEndpoint: string;
  readonly queryApiKey: string;
}

/**
 * Endpoints of a pipeline not started by `npm start` (a deployed stack): its ingest API's OTLP
 * traces URL (or base URL) and key, and its query API's base URL and read key (the stack's
 * QueryEndpoint and QueryApiKeyId outputs); the clocks are the configuration defaults.
 */
export function givenEndpoints(apis: GivenApis): DemoEndpoints {
  return {
    traces: tracesUrl('endpoint', apis.endpoint),
    traceById: tracesUrl('query-endpoint', apis.queryEndpoint),
    apiKey: apis.apiKey,
    queryApiKey: apis.queryApiKey,
    sampler: DEFAULT_CLOCKS,
  };
}

/** `<base>/v1/traces` of an API's base URL (or of that URL itself); `flag` names it in errors. */
function tracesUrl(flag: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new DemoUsageError(flag, `${JSON.stringify(url)} is not a URL`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new DemoUsageError(flag, `must be an http or https URL, got ${parsed.protocol}`);
  const base = parsed.href.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}
