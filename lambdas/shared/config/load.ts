/** Reading the configuration: from an object, a JSON text, or the environment, each validated once. */

import { FUNCTION_ENV } from './environment.ts';
import { InvalidConfigError, MissingEnvironmentError } from './errors.ts';
import { configSchema, type TracesiftConfig } from './schema.ts';

/** Validates a configuration object, filling defaults. `source` names where it came from in errors. */
export function parseConfig(input: unknown, source = 'configuration'): TracesiftConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // zod reports unknown keys on their parent object; name each key itself, as a typo is meant.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...path, key].join('.')}: unknown key`);
    }
    const key = path.length ? path.join('.') : '(root)';
    return [`${key}: ${issue.message}`];
  });
  throw new InvalidConfigError(source, issues);
}

export function parseConfigJson(text: string, source: string): TracesiftConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfigError(source, [`not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseConfig(value, source);
}

let cached: TracesiftConfig | undefined;

/** The configuration from TRACESIFT_CONFIG (JSON), or the defaults when it is unset. Read once. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): TracesiftConfig {
  if (env === process.env && cached) return cached;
  const text = env[FUNCTION_ENV.CONFIG];
  const config =
    text === undefined || text === '' ? parseConfig({}) : parseConfigJson(text, FUNCTION_ENV.CONFIG);
  if (env === process.env) cached = config;
  return config;
}

/** A required string environment variable; fails with the variable's name when it is missing. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingEnvironmentError(name);
  return value;
}
