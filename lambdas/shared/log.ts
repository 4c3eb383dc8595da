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

export function jsonLogger(
  service: string,
  minLevel: LogLevel = (process.env.TRACESIFT_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  return {
    log(level, message, fields) {
      if (LEVELS[level] < (LEVELS[minLevel] ?? 20)) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields }, jsonSafe));
    },
  };
}

export const silentLogger: Logger = { log() {} };

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
