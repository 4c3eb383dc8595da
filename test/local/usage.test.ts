/**
 * `--help` of every npm command: the usage says what the command does, every option with its
 * default, and an example; asking for it starts nothing and exits 0, and an unknown option fails
 * with the usage and a non-zero status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { USAGE as COST_USAGE } from '../../bench/cost/options.ts';
import { BenchUsageError } from '../../bench/errors.ts';
import { BENCH_USAGE, parseBenchArgs } from '../../bench/options.ts';
import { DemoUsageError } from '../../demo/errors.ts';
import { DEMO_USAGE, parseDemoOptions, parseTraceOptions, TRACE_USAGE } from '../../demo/options.ts';
import { UsageError } from '../../local/errors.ts';
import { parseStartArgs, START_USAGE } from '../../local/main.ts';
import { parseQueryArgs, QUERY_USAGE } from '../../local/query.ts';
import { parseSoakArgs, SOAK_USAGE } from '../../local/soak.ts';
import { usageRequested } from '../../local/usage.ts';
import { REPLAY_USAGE } from '../../replay/command.ts';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tracesift-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USAGES: ReadonlyArray<readonly [string, string]> = [
  ['npm start', START_USAGE],
  ['npm run demo', DEMO_USAGE],
  ['npm run trace', TRACE_USAGE],
  ['npm run query', QUERY_USAGE],
  ['npm run bench', BENCH_USAGE],
  ['npm run cost', COST_USAGE],
  ['npm run soak', SOAK_USAGE],
  ['npm run replay', REPLAY_USAGE],
];

describe('usageRequested', () => {
  it.for<[string[], boolean]>([
    [['--help'], true],
    [['-h'], true],
    [['--port', '0', '--help'], true],
    [[], false],
    [['--helpful'], false],
    // After `--` everything is an operand (a SQL text may well be "-h")
    [['--', '-h'], false],
  ])('%j: %s', ([argv, expected]) => {
    expect(usageRequested(argv)).toBe(expected);
  });
});

describe.for(USAGES)('the usage of %s', ([command, usage]) => {
  it('starts with the command, says what it does, and ends with an example', () => {
    expect(usage.startsWith(command)).toBe(true);
    const paragraphs = usage.trim().split('\n\n');
    expect(paragraphs.length).toBeGreaterThanOrEqual(4);
    expect(usage).toMatch(/\nExamples?:\n {2}npm /);
    expect(usage).toContain('-h, --help');
  });

  it('gives a default for every option that has one', () => {
    // An option line: two spaces, the flag, its argument, then the text; flags that take no value
    // and the required ones are named with what they do instead
    const lines = usage.split('\n').filter((line) => /^ {2}--[a-z-]+ [A-Z]/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    const undocumented = lines.filter((line) => !/default|the \w+ output|instead|; or$|with --/.test(line));
    expect(undocumented).toEqual([]);
  });
});

describe('an unknown option fails with the usage', () => {
  it.for<[string, () => unknown, new (...args: never[]) => Error, string]>([
    ['npm start', () => parseStartArgs(['--prot', '1']), UsageError, START_USAGE],
    ['npm run soak', () => parseSoakArgs(['--minute', '1']), UsageError, SOAK_USAGE],
    ['npm run bench', () => parseBenchArgs(['--run', '1']), BenchUsageError, BENCH_USAGE],
    ['npm run query', () => parseQueryArgs(['--jsn']), UsageError, QUERY_USAGE],
    ['npm run demo', () => parseDemoOptions(['--rat', '1']), DemoUsageError, DEMO_USAGE],
    ['npm run trace', () => parseTraceOptions(['--dir', 'x']), DemoUsageError, TRACE_USAGE],
  ])('%s', ([, act, type, usage]) => {
    expect(act).toThrow(type);
    expect(act).toThrow(usage);
  });
});

describe('the new parse functions keep their defaults', () => {
  it('npm start', () => {
    expect(parseStartArgs([])).toEqual({
      config: undefined,
      fresh: false,
      port: '4318',
      shards: '2',
      batchSize: '500',
      apiKey: undefined,
      queryApiKey: undefined,
      dataDir: '.tracesift',
    });
  });

  it('npm run soak', () => {
    expect(parseSoakArgs([])).toEqual({
      minutes: 5,
      rate: 2000,
      shards: 2,
      sampleSeconds: 5,
      out: undefined,
    });
    expect(() => parseSoakArgs(['--rate', '0'])).toThrow('--rate must be a positive number, got 0');
  });

  it('npm run bench', () => {
    expect(parseBenchArgs([])).toEqual({
      traces: 10_000,
      runs: 5,
      out: undefined,
      saveWorkload: undefined,
      stages: undefined,
      searchStored: [100_000],
      compactionSpans: 500_000,
    });
    expect(parseBenchArgs(['--quick'])).toMatchObject({
      traces: 2_000,
      runs: 3,
      searchStored: [20_000],
      compactionSpans: 50_000,
    });
    expect(parseBenchArgs(['--stages', 'search', '--search-stored', '100000,1000000'])).toMatchObject({
      stages: ['search'],
      searchStored: [100_000, 1_000_000],
    });
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow('--runs must be a positive integer, got "0"');
    expect(() => parseBenchArgs(['--stages', 'search,parquet'])).toThrow('--stages: unknown stage "parquet"');
    expect(() => parseBenchArgs(['--search-stored', '100000,x'])).toThrow(
      '--search-stored must be a positive integer, got "x"',
    );
  });
});

describe('--help of the processes', () => {
  it.for<[string, string, string]>([
    ['npm start', 'local/main.ts', START_USAGE],
    ['npm run bench', 'bench/run.ts', BENCH_USAGE],
    ['npm run trace', 'demo/trace.ts', TRACE_USAGE],
  ])('%s prints the usage on stdout, exits 0 and starts nothing', ([, script, usage]) => {
    // Act: in an empty directory, so anything started would leave its data dir behind
    const result = spawnSync(process.execPath, [join(ROOT, script), '--help'], {
      cwd: dir,
      encoding: 'utf8',
    });
    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(usage);
    expect(existsSync(join(dir, '.tracesift'))).toBe(false);
  });

  it('npm run soak refuses an unknown option with the usage and status 2', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'local/soak.ts'), '--minute', '1'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(SOAK_USAGE);
  });
});
