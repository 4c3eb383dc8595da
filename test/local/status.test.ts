/** The status line of npm start: printed when a figure changed since the last one printed, never while idle. */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../lambdas/shared/metrics/index.ts';
import { StatusBoard, StatusReporter } from '../../local/status.ts';

const T0 = 1_700_000_000_000;

function reporter(pending: { records: number } = { records: 0 }) {
  const board = new StatusBoard();
  const ingest = new Metrics({ dimensions: { Function: 'ingest' }, sink: board.sink });
  let now = T0;
  const printed: string[] = [];
  const status = new StatusReporter({
    board,
    pendingRecords: () => pending.records,
    now: () => now,
    print: (line) => printed.push(line),
  });
  const tick = (seconds: number, spansReceived = 0): void => {
    if (spansReceived > 0) {
      ingest.add('SpansReceived', spansReceived);
      ingest.flush(now);
    }
    now += seconds * 1000;
    status.tick();
  };
  return { tick, printed };
}

describe('StatusReporter', () => {
  it('prints nothing while the pipeline stays idle', () => {
    const { tick, printed } = reporter();
    for (let i = 0; i < 5; i++) tick(10);
    expect(printed).toEqual([]);
  });

  it('prints a line for traffic, one where it stops, then nothing until traffic again', () => {
    const { tick, printed } = reporter();
    tick(10, 500);
    tick(10, 500);
    tick(10);
    tick(10);
    tick(10);
    tick(10, 100);
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatch(/^spans 500 \(50\/s\)/);
    expect(printed[1]).toMatch(/^spans 1000 \(50\/s\)/);
    expect(printed[2]).toMatch(/^spans 1000 \(0\/s\)/);
    expect(printed[3]).toMatch(/^spans 1100 \(10\/s\)/);
  });

  it('prints when only the records pending in the stream changed', () => {
    const pending = { records: 0 };
    const { tick, printed } = reporter(pending);
    tick(10);
    pending.records = 3;
    tick(10);
    tick(10);
    pending.records = 0;
    tick(10);
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/pending records 3$/);
    expect(printed[1]).toMatch(/pending records 0$/);
  });
});
