/**
 * Names of the environment variables the functions read (docs/ARCHITECTURE.md, "Environment
 * variables"), declared once in lambdas/shared/config/environment.ts; the constructs set them.
 */
import { FUNCTION_ENV } from '../lambdas/shared/config/index.ts';

export const CONFIG_ENV_VAR = FUNCTION_ENV.CONFIG;
export const STREAM_ENV_VAR = FUNCTION_ENV.STREAM_NAME;
export const TABLE_ENV_VAR = FUNCTION_ENV.TABLE_NAME;
export const BUCKET_ENV_VAR = FUNCTION_ENV.BUCKET_NAME;
