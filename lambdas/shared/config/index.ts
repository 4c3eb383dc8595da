/** The pipeline configuration: its schema, parsing and loading from the environment. */

export type { CorsConfig } from './cors.ts';
export { FUNCTION_ENV, type FunctionEnvironment, functionEnvironment } from './environment.ts';
export { ConfigError, InvalidConfigError, MissingEnvironmentError } from './errors.ts';
export { configFromEnv, parseConfig, parseConfigJson, requiredEnv } from './load.ts';
export type { ValueTarget } from './redaction.ts';
export {
  type AttributeCondition,
  type BudgetConfig,
  budgetConfigSchema,
  type DropRule,
  type ErrorBudgetConfig,
  errorBudgetSchema,
  type KeepRule,
  keepRuleSchema,
  type LatencyThreshold,
} from './sampling.ts';
export type { IngestConfig, SamplingConfig, TracesiftConfig, TracesiftConfigInput } from './schema.ts';
export type { StorageConfig } from './storage.ts';
