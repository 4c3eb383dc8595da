/**
 * What a function's wiring is given to log and count with: in Lambda, JSON log lines on stdout
 * carrying the invocation's fields and EMF lines on stdout; in the local pipeline, its own logger
 * and metric sink (the status line reads it).
 */
import type middy from '@middy/core';
import { FUNCTION_ENV } from './config/index.ts';
import { jsonLogger, LambdaInvocation, type Logger, logLevelOf } from './log.ts';
import { type FunctionName, type MetricSink, Metrics, stdoutSink } from './metrics/index.ts';
import { invocationLog } from './middleware/invocation-log.ts';

export interface Telemetry {
  readonly logger: Logger;
  readonly metricSink: MetricSink;
  /** The Lambda invocation the log lines name; absent locally. */
  readonly invocation?: LambdaInvocation;
}

export function lambdaTelemetry(service: FunctionName, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const invocation = new LambdaInvocation();
  const level = logLevelOf(env[FUNCTION_ENV.LOG_LEVEL]) ?? 'info';
  const write = (line: string) => process.stdout.write(`${line}\n`);
  return { logger: jsonLogger(service, level, write, invocation.fields), metricSink: stdoutSink, invocation };
}

/** The function's counters: every line carries its Function dimension. */
export function functionMetrics(fn: FunctionName, telemetry: Telemetry): Metrics {
  return new Metrics({ dimensions: { Function: fn }, sink: telemetry.metricSink });
}

/** The handler, with the invocation's fields on its log lines when it runs in Lambda. */
export function instrumented<E, R>(handler: middy.MiddyfiedHandler<E, R>, telemetry: Telemetry) {
  return telemetry.invocation ? handler.use(invocationLog<E, R>(telemetry.invocation)) : handler;
}
