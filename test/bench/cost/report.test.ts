import { describe, expect, it } from 'vitest';
import { DEFAULT_FIGURES } from '../../../bench/cost/figures.ts';
import { DEFAULT_DEPLOYMENT, DEFAULT_TRAFFIC, estimateMonthlyCost } from '../../../bench/cost/model.ts';
import { PRICES } from '../../../bench/cost/prices.ts';
import { levelTable, summaryTable, usd } from '../../../bench/cost/report.ts';

const price = (spansPerSecond: number, kinesisMode: 'on-demand' | 'provisioned') =>
  estimateMonthlyCost(
    { ...DEFAULT_TRAFFIC, spansPerSecond },
    { ...DEFAULT_DEPLOYMENT, kinesisMode },
    DEFAULT_FIGURES,
    PRICES,
  );

describe('cost report', () => {
  it.each([
    { value: 1234.4, expected: '$1,234' },
    { value: 100, expected: '$100' },
    { value: 12.345, expected: '$12.35' },
    { value: 0.12345, expected: '$0.1235' },
  ])('writes $value as $expected', ({ value, expected }) => {
    expect(usd(value)).toBe(expected);
  });

  it('puts the full other-mode total in the summary, not only its stream line', () => {
    // Prepare
    const onDemand = [price(100_000, 'on-demand')];
    const provisioned = [price(100_000, 'provisioned')];

    // Act
    const table = summaryTable(onDemand, provisioned);

    // Assess
    const row = table.split('\n')[2] ?? '';
    expect(row).toContain(usd(onDemand[0]?.totalUsd ?? 0));
    expect(row).toContain(usd(provisioned[0]?.totalUsd ?? 0));
    expect(table).toContain('with Kinesis (provisioned)');
  });

  it('lists every component and the total in a level table', () => {
    const estimate = price(10_000, 'on-demand');
    const table = levelTable(estimate);
    for (const line of estimate.lines) expect(table).toContain(line.component);
    expect(table).toMatch(new RegExp(`total\\s+\\${usd(estimate.totalUsd)}`));
  });
});
