import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jsonLogger, LambdaInvocation } from '../../../lambdas/shared/log.ts';
import { invocationLog } from '../../../lambdas/shared/middleware/invocation-log.ts';

function loggingHandler(invocation: LambdaInvocation, lines: string[]) {
  const logger = jsonLogger('ingest', 'info', (line) => lines.push(line), invocation.fields);
  return middy<unknown, void>()
    .use(invocationLog(invocation))
    .handler(async () => {
      logger.log('info', 'handled', { spans: 1 });
    });
}

describe('log lines of a Lambda invocation', () => {
  it('carry the request id, the cold start (first invocation only) and the function name', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = loggingHandler(new LambdaInvocation(), lines);
    const context = (awsRequestId: string) => ({ awsRequestId, functionName: 'tracesift-ingest' }) as Context;

    // Act
    await handler({}, context('req-1'));
    await handler({}, context('req-2'));

    // Assess
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => [r.requestId, r.coldStart, r.functionName])).toEqual([
      ['req-1', true, 'tracesift-ingest'],
      ['req-2', false, 'tracesift-ingest'],
    ]);
    expect(records[0]).toMatchObject({ level: 'info', service: 'ingest', message: 'handled', spans: 1 });
  });

  it('carry none of them without a Lambda context (the local pipeline)', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = loggingHandler(new LambdaInvocation(), lines);

    // Act
    await handler({}, {} as Context);

    // Assess
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(Object.keys(record)).not.toContain('requestId');
    expect(Object.keys(record)).not.toContain('coldStart');
    expect(Object.keys(record)).not.toContain('functionName');
  });
});
