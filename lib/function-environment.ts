/**
 * Names of the environment variables the functions read (docs/ARCHITECTURE.md, "Environment
 * variables"); the handlers read them through `requiredEnv` and `configFromEnv`.
 */
import { CONFIG_ENV } from '../lambdas/shared/config/load.ts';

export const CONFIG_ENV_VAR = CONFIG_ENV;
export const STREAM_ENV_VAR = 'TRACESIFT_STREAM_NAME';
export const TABLE_ENV_VAR = 'TRACESIFT_TABLE_NAME';
export const BUCKET_ENV_VAR = 'TRACESIFT_BUCKET_NAME';
