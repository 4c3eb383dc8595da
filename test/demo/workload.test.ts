/** The workload plan's pure parts and the queue of the async hop. */
import { describe, expect, it } from 'vitest';
import { MessageQueue } from '../../demo/queue.ts';
import { faultOf, traceIdOfTraceResponse } from '../../demo/workload.ts';

describe('faultOf', () => {
  it.each([
    [0, 'error'],
    [0.1249, 'error'],
    [0.125, 'slow'],
    [0.1874, 'slow'],
    [0.1875, 'none'],
    [0.999, 'none'],
  ])('draw %d with error rate 1/8 and slow rate 1/16 is %s', (draw, fault) => {
    // Rates exact in binary, so the boundaries are exactly where the shares end
    expect(faultOf(draw, 0.125, 0.0625)).toBe(fault);
  });

  it('never plans a fault whose rate is 0', () => {
    expect(faultOf(0, 0, 0)).toBe('none');
  });
});

describe('traceIdOfTraceResponse', () => {
  it.each([
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', ''],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', ''],
    ['', ''],
    [undefined, ''],
  ])('%s gives %j', (header, traceId) => {
    expect(traceIdOfTraceResponse(header)).toBe(traceId);
  });
});

describe('MessageQueue', () => {
  it('delivers later, with a copy of the headers, and drain waits for every delivery', async () => {
    // Prepare
    const queue = new MessageQueue('order-events', () => 5);
    const delivered: Array<{ id: string; traceparent?: string }> = [];
    queue.subscribe(async (message) => {
      delivered.push({ id: message.id, traceparent: message.headers.traceparent });
    });
    const headers: Record<string, string> = { traceparent: 'tp-1' };

    // Act
    const first = queue.publish(headers, { n: 1 });
    headers.traceparent = 'changed after publishing';
    const second = queue.publish({ traceparent: 'tp-2' }, { n: 2 });
    const beforeDrain = delivered.length;
    await queue.drain();

    // Assess
    expect(beforeDrain).toBe(0);
    expect(delivered).toEqual([
      { id: first, traceparent: 'tp-1' },
      { id: second, traceparent: 'tp-2' },
    ]);
  });

  it('counts a consumer failure and keeps delivering', async () => {
    const queue = new MessageQueue('q', () => 0);
    let n = 0;
    queue.subscribe(async () => {
      if (n++ === 0) throw new Error('consumer crashed');
    });
    queue.publish({}, 1);
    queue.publish({}, 2);
    await queue.drain();
    expect(queue.failures).toBe(1);
    expect(n).toBe(2);
  });
});
