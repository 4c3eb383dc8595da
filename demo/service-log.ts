/**
 * Structured JSON logs of the demo services, one object per line, each carrying the trace_id and
 * span_id of the active span (the field names the OpenTelemetry log data model maps to
 * TraceId/SpanId), so a kept trace can be matched with its logs by `grep TRACE_ID`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { context, trace } from '@opentelemetry/api';

export type ServiceLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ServiceLog {
  log(service: string, level: ServiceLogLevel, message: string, fields?: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** One log line as written: trace context from the active span, when there is one. */
export function logLine(
  service: string,
  level: ServiceLogLevel,
  message: string,
  fields: Record<string, unknown> = {},
  now = new Date(),
): string {
  const span = trace.getSpan(context.active())?.spanContext();
  return `${JSON.stringify({
    time: now.toISOString(),
    level,
    service,
    message,
    ...(span ? { trace_id: span.traceId, span_id: span.spanId, trace_flags: span.traceFlags } : {}),
    ...fields,
  })}\n`;
}

/** Appends log lines to a file (its folder created). */
export function fileServiceLog(path: string): ServiceLog {
  mkdirSync(dirname(path), { recursive: true });
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  return {
    log: (service, level, message, fields) => stream.write(logLine(service, level, message, fields)),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

/** Collects log lines in memory (tests). */
export function memoryServiceLog(lines: string[]): ServiceLog {
  return {
    log: (service, level, message, fields) => {
      lines.push(logLine(service, level, message, fields));
    },
    close: async () => {},
  };
}
