/** The idle bill: the hourly charges of a deployment that receives nothing, from the unit prices. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InvalidCostInputError } from '../../../bench/cost/errors.ts';
import { estimateIdleCost } from '../../../bench/cost/idle.ts';
import { DEFAULT_DEPLOYMENT } from '../../../bench/cost/model.ts';
import { parseCostArgs } from '../../../bench/cost/options.ts';
import { PRICES } from '../../../bench/cost/prices.ts';

const cli = new URL('../../../bench/cost/cli.ts', import.meta.url).pathname;
const metricsAndAlarms =
  DEFAULT_DEPLOYMENT.customMetrics * PRICES.cloudWatchMetricMonth.usd +
  DEFAULT_DEPLOYMENT.alarms * PRICES.cloudWatchAlarmMonth.usd;

describe('estimateIdleCost', () => {
  it('prices an on-demand stream by its stream hours, plus metrics and alarms', () => {
    const idle = estimateIdleCost(DEFAULT_DEPLOYMENT, PRICES);
    expect(idle.kinesisMode).toBe('on-demand');
    expect(idle.totalUsd).toBeCloseTo(730 * PRICES.kinesisOnDemandStreamHour.usd + metricsAndAlarms, 9);
    expect(idle.lines.map((l) => l.component)).toEqual([
      'Kinesis (on-demand)',
      'CloudWatch metrics',
      'CloudWatch alarms',
    ]);
  });

  it('prices a provisioned stream as one shard, with extended retention when asked', () => {
    const provisioned = { ...DEFAULT_DEPLOYMENT, kinesisMode: 'provisioned' as const };
    const plain = estimateIdleCost(provisioned, PRICES);
    const retained = estimateIdleCost({ ...provisioned, streamRetentionHours: 48 }, PRICES);
    expect(plain.totalUsd).toBeCloseTo(730 * PRICES.kinesisShardHour.usd + metricsAndAlarms, 9);
    expect(retained.totalUsd - plain.totalUsd).toBeCloseTo(
      730 * PRICES.kinesisExtendedRetentionShardHour.usd,
      9,
    );
  });

  it('refuses a deployment the model cannot price', () => {
    const act = () => estimateIdleCost({ ...DEFAULT_DEPLOYMENT, alarms: -1 }, PRICES);
    expect(act).toThrow(InvalidCostInputError);
  });
});

describe('npm run cost -- --idle', () => {
  it('is a flag of its own, contradicting --spans-per-second', () => {
    expect(parseCostArgs(['--idle'], undefined).idle).toBe(true);
    expect(parseCostArgs([], undefined).idle).toBe(false);
    expect(() => parseCostArgs(['--idle', '--spans-per-second', '10'], undefined)).toThrow(
      '--idle and --spans-per-second contradict each other',
    );
  });

  it('prints the idle total in both Kinesis modes', () => {
    const result = spawnSync(process.execPath, [cli, '--idle', '--json'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const { idle, other } = JSON.parse(result.stdout);
    expect(idle.totalUsd).toBeCloseTo(estimateIdleCost(DEFAULT_DEPLOYMENT, PRICES).totalUsd, 9);
    expect(other.kinesisMode).toBe('provisioned');
  });
});
