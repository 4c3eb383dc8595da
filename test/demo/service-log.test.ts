/** Structured service logs: trace context from the active span, none outside a span. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { fileServiceLog, logLine } from '../../demo/service-log.ts';
import { installContextManager } from '../../demo/telemetry.ts';

const dir = mkdtempSync(join(tmpdir(), 'tracesift-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
installContextManager();

const SPAN = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
const NOW = new Date('2026-11-24T18:30:00.000Z');

describe('logLine', () => {
  it('carries trace_id and span_id of the active span', () => {
    const line = context.with(trace.setSpanContext(context.active(), SPAN), () =>
      logLine('orders', 'info', 'order created', { messageId: 'm-1' }, NOW),
    );
    expect(JSON.parse(line)).toEqual({
      time: '2026-11-24T18:30:00.000Z',
      level: 'info',
      service: 'orders',
      message: 'order created',
      trace_id: SPAN.traceId,
      span_id: SPAN.spanId,
      trace_flags: 1,
      messageId: 'm-1',
    });
    expect(line.endsWith('\n')).toBe(true);
  });

  it('has no trace fields outside a span', () => {
    expect(JSON.parse(logLine('orders', 'warn', 'idle', {}, NOW))).not.toHaveProperty('trace_id');
  });
});

describe('fileServiceLog', () => {
  it('creates the folder and appends one JSON object per line', async () => {
    const path = join(dir, 'nested', 'demo.jsonl');
    const log = fileServiceLog(path);
    log.log('frontend', 'info', 'one');
    log.log('frontend', 'error', 'two', { status: 500 });
    await log.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.message, l.level])).toEqual([
      ['one', 'info'],
      ['two', 'error'],
    ]);
  });
});
