/**
 * Structured JSON logs, one line each, for CloudWatch Logs Insights. Callers pass fields, never
 * payload content or credentials: a log line must be safe to share.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** `context` gives the fields of the invocation in progress (LambdaInvocation), on every line. */
export function jsonLogger(
  service: string,
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  context: () => LogFields = () => ({}),
): Logger {
  return {
    log(level, message, fields) {
      if (LEVELS[level] < (LEVELS[minLevel] ?? 20)) return;
      const line = { time: new Date().toISOString(), level, service, ...context(), message, ...fields };
      write(JSON.stringify(line, jsonSafe));
    },
  };
}

/** A log level's name, or undefined when `name` names none. */
export function logLevelOf(name: string | undefined): LogLevel | undefined {
  return name !== undefined && Object.hasOwn(LEVELS, name) ? (name as LogLevel) : undefined;
}

/**
 * The Lambda invocation in progress, for the log lines: request id, cold start (the container's
 * first invocation) and function name. Set by the invocationLog middleware; a handler called
 * without a Lambda context (the local pipeline) has none of these fields.
 */
export class LambdaInvocation {
  private current: LogFields = {};
  private started = 0;

  public begin(context: { readonly awsRequestId?: string; readonly functionName?: string }): void {
    this.started += 1;
    this.current =
      context.awsRequestId === undefined
        ? {}
        : {
            requestId: context.awsRequestId,
            coldStart: this.started === 1,
            functionName: context.functionName,
          };
  }

  public readonly fields = (): LogFields => this.current;
}

export const silentLogger: Logger = { log() {} };

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
