import { describe, expect, it } from 'vitest';
import { figure } from '../../bench/harness.ts';
import { markdown, summarize } from '../../bench/summarize.ts';

const run = (ingest: number, extra = true) => ({
  date: '2026-11-24T00:00:00Z',
  results: [
    figure('ingest', 'spans/s', ingest, '/s', { op: '>=', value: 250_000 }),
    ...(extra ? [figure('sampler', 'bytes', 40, 'B')] : []),
  ],
});

describe('summarizing several bench runs', () => {
  it('takes the median of the runs’ medians and their spread, keeping only figures every run has', () => {
    // Act
    const rows = summarize([run(200_000), run(300_000), run(260_000, false)]);

    // Assess
    expect(rows).toEqual([
      {
        stage: 'ingest',
        metric: 'spans/s',
        unit: '/s',
        medianOfMedians: 260_000,
        lowest: 200_000,
        highest: 300_000,
        goal: { op: '>=', value: 250_000 },
      },
    ]);
  });

  it.each([
    { values: [240_000, 250_000, 400_000], verdict: '| met |' },
    { values: [100_000, 249_999, 400_000], verdict: '| **missed** |' },
  ])('marks the goal against the median of medians ($values)', ({ values, verdict }) => {
    const table = markdown(summarize(values.map((v) => run(v))));
    expect(table.split('\n')[2]).toContain(verdict);
  });

  it('returns nothing for no runs', () => {
    expect(summarize([])).toEqual([]);
  });
});
