import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const cli = new URL('../../../bench/cost/cli.ts', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('npm run cost', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints a table per level and the summary with X-Ray', () => {
    const result = run('--no-bench', '--spans-per-second', '1000,10000');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('1,000 spans/s');
    expect(result.stdout).toContain('10,000 spans/s');
    expect(result.stdout).toMatch(/X-Ray, record all/);
    expect(result.stdout).toMatch(/ingestCpuSecondsPerSpan = .*\(default\)/);
  });

  it('prints its usage with --help', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--spans-per-second LIST');
  });

  it('prints JSON whose totals are the sums of their lines', () => {
    const result = run('--no-bench', '--spans-per-second', '5000', '--json');
    expect(result.status).toBe(0);
    const { estimates } = JSON.parse(result.stdout);
    expect(estimates).toHaveLength(1);
    const [estimate] = estimates;
    const sum = estimate.lines.reduce((s: number, l: { usd: number }) => s + l.usd, 0);
    expect(estimate.totalUsd).toBeCloseTo(sum, 9);
  });

  it.each([
    ['an invalid input', ['--no-bench', '--keep-rate', '2'], /keepRate must be a number between 0 and 1/],
    ['an unknown flag', ['--frobnicate'], /Unknown option/],
  ])('exits 2 with a clear message on %s', (_, args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 when the bench file is not JSON, naming it', () => {
    dir = mkdtempSync(join(tmpdir(), 'tracesift-cost-'));
    const file = join(dir, 'latest.json');
    writeFileSync(file, '{ not json');
    const result = run('--bench', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(file);
  });
});
