import { describe, expect, it } from 'vitest';
import { CostUsageError, InvalidCostInputError } from '../../../bench/cost/errors.ts';
import { DEFAULT_DEPLOYMENT, DEFAULT_TRAFFIC } from '../../../bench/cost/model.ts';
import { DEFAULT_LEVELS, parseCostArgs } from '../../../bench/cost/options.ts';

describe('npm run cost options', () => {
  it('defaults to the four reference levels, the documented traffic and the latest bench file', () => {
    const command = parseCostArgs([], 'bench/results/latest.json');
    expect(command.levels).toEqual(DEFAULT_LEVELS);
    expect(command.levels).toEqual([1_000, 10_000, 100_000, 1_000_000]);
    expect(command.traffic).toEqual(DEFAULT_TRAFFIC);
    expect(command.deployment).toEqual(DEFAULT_DEPLOYMENT);
    expect(command.benchFile).toBe('bench/results/latest.json');
    expect(command.lambdaSpeedFactor).toBeUndefined();
  });

  it('reads every flag', () => {
    const command = parseCostArgs(
      [
        '--spans-per-second',
        '5000,50000',
        '--spans-per-trace',
        '12',
        '--batch-size',
        '1024',
        '--keep-rate',
        '0.2',
        '--retention-days',
        '14',
        '--analytics-retention-days',
        '90',
        '--kinesis',
        'provisioned',
        '--architecture',
        'x86_64',
        '--ingest-memory',
        '512',
        '--sampler-memory',
        '3008',
        '--lambda-speed',
        '0.8',
        '--bench',
        'other.json',
        '--json',
      ],
      undefined,
    );
    expect(command.levels).toEqual([5000, 50000]);
    expect(command.traffic).toEqual({
      spansPerTrace: 12,
      exportBatchSpans: 1024,
      keepRate: 0.2,
      traceRetentionDays: 14,
      analyticsRetentionDays: 90,
    });
    expect(command.deployment).toMatchObject({
      kinesisMode: 'provisioned',
      architecture: 'x86_64',
      ingestMemoryMb: 512,
      samplerMemoryMb: 3008,
    });
    expect(command.lambdaSpeedFactor).toBe(0.8);
    expect(command.benchFile).toBe('other.json');
    expect(command.json).toBe(true);
  });

  it('ignores the bench file with --no-bench', () => {
    expect(parseCostArgs(['--no-bench'], 'bench/results/latest.json').benchFile).toBeUndefined();
  });

  it.each([
    ['an unknown flag', ['--spans', '5']],
    ['a flag without its value', ['--keep-rate']],
    ['both --bench and --no-bench', ['--bench', 'a.json', '--no-bench']],
  ])('rejects %s with the usage', (_, argv) => {
    expect(() => parseCostArgs(argv, undefined)).toThrow(CostUsageError);
  });

  it.each([
    ['--keep-rate', 'half'],
    ['--spans-per-second', '1000,,2000'],
    ['--batch-size', ''],
  ])('rejects %s %j as not a number, naming the flag', (flag, value) => {
    const act = () => parseCostArgs([flag, value], undefined);
    expect(act).toThrow(InvalidCostInputError);
    expect(act).toThrow(expect.objectContaining({ input: flag }));
  });
});
