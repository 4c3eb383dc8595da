/**
 * `npm run query`: argument parsing, output, and the command against a data directory laid out as
 * npm start leaves it (endpoints.json naming the S3 stand-in's directory); one run of the real
 * script for its exit status and message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParquetStore } from '../../lambdas/storage/index.ts';
import {
  EndpointsFileError,
  NoLocalDataError,
  UnknownNamedQueryError,
  UsageError,
} from '../../local/errors.ts';
import { parseQueryArgs, runQueryCommand, textTable } from '../../local/query.ts';
import { type GeneratedTrace, generateTraces, writeTraces } from '../support/analytics-data.ts';
import { batchRef, type StorageStandIns, startStorageStandIns, testConfig } from '../support/storage.ts';
import { wallClockMs } from '../support/wall-clock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('parseQueryArgs', () => {
  it.each([
    ['nothing', [], /exactly one of/],
    ['SQL and --named', ['SELECT 1', '--named', 'x'], /exactly one of/],
    ['--list and --named', ['--list', '--named', 'x'], /exactly one of/],
    ['--param without --named', ['SELECT 1', '--param', 'a=1'], /--param goes with --named/],
    ['a --param without =', ['--named', 'x', '--param', 'a'], /NAME=VALUE/],
    ['a --param with an empty name', ['--named', 'x', '--param', '=1'], /NAME=VALUE/],
    ['an unknown option', ['--jsn', 'SELECT 1'], /--jsn/],
  ])('rejects %s with a UsageError', (_, args, message) => {
    expect(() => parseQueryArgs(args)).toThrow(UsageError);
    expect(() => parseQueryArgs(args)).toThrow(message);
  });

  it('reads a named query with parameters (values may hold "=")', () => {
    const command = parseQueryArgs([
      '--named',
      'trace-spans',
      '--param',
      'trace_id=abc',
      '--param',
      'note=a=b',
      '--json',
      '--data-dir',
      '/tmp/x',
    ]);
    expect(command).toEqual({
      named: 'trace-spans',
      parameters: { trace_id: 'abc', note: 'a=b' },
      json: true,
      list: false,
      dataDir: '/tmp/x',
    });
  });

  it('joins the positionals into one SQL text and defaults the data directory to .tracesift', () => {
    const command = parseQueryArgs(['SELECT', 'count(*)', 'FROM spans']);
    expect(command.sql).toBe('SELECT count(*) FROM spans');
    expect(command.dataDir).toBe(join(process.cwd(), '.tracesift'));
  });
});

describe('textTable', () => {
  it('aligns columns, prints NULL, JSON for nested values and six digits of fractions, and counts the rows', () => {
    const text = textTable({
      columns: ['service', 'n', 'tags', 'share'],
      rows: [
        { service: 'frontend', n: '12', tags: ['a'], share: 0.27915187167 },
        { service: 'db', n: null, tags: null, share: 210.99542246805 },
      ],
    });
    expect(text).toBe(
      [
        'service   n     tags   share',
        '--------  ----  -----  --------',
        'frontend  12    ["a"]  0.279152',
        'db        NULL  NULL   210.995',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });
});

describe('runQueryCommand', () => {
  let standIns: StorageStandIns;
  let dataDir: string;
  let traces: GeneratedTrace[];

  beforeAll(async () => {
    standIns = await startStorageStandIns('tracesift-local');
    dataDir = mkdtempSync(join(tmpdir(), 'tracesift-query-'));
    writeFileSync(
      join(dataDir, 'endpoints.json'),
      JSON.stringify({ s3Directory: standIns.directory, bucketName: standIns.bucketName }),
    );
    traces = generateTraces({ count: 12, nowMs: wallClockMs(), seed: 3 });
    const parquet = new ParquetStore({
      s3: standIns.s3.client(),
      bucketName: standIns.bucketName,
      storage: testConfig().storage,
    });
    await writeTraces(parquet, traces, 2, (n) => batchRef(n));
  });

  afterAll(async () => {
    await standIns.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints rows as JSON with --json', async () => {
    const out = await runQueryCommand(
      parseQueryArgs(['SELECT trace_id FROM traces ORDER BY trace_id', '--json', '--data-dir', dataDir]),
    );
    expect(JSON.parse(out)).toEqual(
      traces.map((t) => ({ trace_id: t.traceId })).sort((a, b) => (a.trace_id < b.trace_id ? -1 : 1)),
    );
  });

  it('runs a named query with its parameters', async () => {
    const trace = traces[0] as GeneratedTrace;
    const out = await runQueryCommand(
      parseQueryArgs([
        '--named',
        'trace-spans',
        '--param',
        `trace_id=${trace.traceId}`,
        '--json',
        '--data-dir',
        dataDir,
      ]),
    );
    expect((JSON.parse(out) as { span_id: string }[]).map((r) => r.span_id).sort()).toEqual(
      trace.spans.map((s) => s.spanId).sort(),
    );
  });

  it('lists the named queries with their parameters', async () => {
    const out = await runQueryCommand(parseQueryArgs(['--list']));
    expect(out).toContain('slow-traces');
    expect(out).toContain('--param min_duration_ms=<bigint>');
  });

  it('fails with UnknownNamedQueryError naming the queries there are', async () => {
    const run = runQueryCommand(parseQueryArgs(['--named', 'slowest', '--data-dir', dataDir]));
    await expect(run).rejects.toBeInstanceOf(UnknownNamedQueryError);
    await expect(run).rejects.toThrow(/slow-traces/);
  });

  it('fails with NoLocalDataError for a data directory npm start never used', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tracesift-empty-'));
    try {
      await expect(runQueryCommand(parseQueryArgs(['SELECT 1', '--data-dir', empty]))).rejects.toBeInstanceOf(
        NoLocalDataError,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('fails with EndpointsFileError when endpoints.json is not JSON', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'tracesift-broken-'));
    try {
      writeFileSync(join(broken, 'endpoints.json'), '{"s3Directory": ');
      const run = runQueryCommand(parseQueryArgs(['SELECT 1', '--data-dir', broken]));
      await expect(run).rejects.toBeInstanceOf(EndpointsFileError);
      await expect(run).rejects.toThrow(/endpoints\.json/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('exits 2 with the message on stderr when the script meets a known error', () => {
    const result = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'node'),
      [join(ROOT, 'local', 'query.ts'), 'SELECT count(*) FROM nowhere', '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^tracesift query: query failed: .*nowhere/);
  });
});
