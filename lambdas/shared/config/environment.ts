/**
 * The environment variables the functions read, named once: the handlers read them through
 * functionEnvironment(), the CDK constructs set them (lib/function-environment.ts), and the local
 * pipeline passes the same values to the same wiring without an environment.
 */
import { configFromEnv, requiredEnv } from './load.ts';
import type { TracesiftConfig } from './schema.ts';

export const FUNCTION_ENV = {
  /** The pipeline configuration as JSON (all defaults when unset). */
  CONFIG: 'TRACESIFT_CONFIG',
  STREAM_NAME: 'TRACESIFT_STREAM_NAME',
  TABLE_NAME: 'TRACESIFT_TABLE_NAME',
  BUCKET_NAME: 'TRACESIFT_BUCKET_NAME',
  /** debug, info, warn or error (info when unset). */
  LOG_LEVEL: 'TRACESIFT_LOG_LEVEL',
  /** The Secrets Manager secret holding the `hash` redaction keys (set only when a rule hashes). */
  REDACTION_KEYS_SECRET: 'TRACESIFT_REDACTION_KEYS_SECRET',
} as const;

/** What a function's wiring takes from the environment; each reads only what it needs. */
export interface FunctionEnvironment {
  readonly config: TracesiftConfig;
  streamName(): string;
  tableName(): string;
  bucketName(): string;
  redactionKeysSecret(): string;
}

/** The environment of a Lambda function; a missing name fails when its wiring asks for it. */
export function functionEnvironment(env: NodeJS.ProcessEnv = process.env): FunctionEnvironment {
  const required = (name: string) => () => requiredEnv(name, env);
  return {
    config: configFromEnv(env),
    streamName: required(FUNCTION_ENV.STREAM_NAME),
    tableName: required(FUNCTION_ENV.TABLE_NAME),
    bucketName: required(FUNCTION_ENV.BUCKET_NAME),
    redactionKeysSecret: required(FUNCTION_ENV.REDACTION_KEYS_SECRET),
  };
}
