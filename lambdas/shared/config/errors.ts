/** Errors of configuration loading. */

export class ConfigError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The configuration object fails validation; `issues` lists each bad key and what is wrong. */
export class InvalidConfigError extends ConfigError {
  public readonly issues: readonly string[];
  public constructor(source: string, issues: readonly string[], options?: ErrorOptions) {
    super(`invalid tracesift configuration in ${source}:\n  - ${issues.join('\n  - ')}`, options);
    this.name = 'InvalidConfigError';
    this.issues = issues;
  }
}

/** A required environment variable is missing or malformed. */
export class MissingEnvironmentError extends ConfigError {
  public readonly variable: string;
  public constructor(variable: string, detail = 'is not set') {
    super(`environment variable ${variable} ${detail}`);
    this.name = 'MissingEnvironmentError';
    this.variable = variable;
  }
}
