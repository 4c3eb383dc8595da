/**
 * Search parameters never become code: every parameter of every named query, given hostile text
 * (quotes, SQL, unicode, 100 KB), is bound as a value by DuckDB, as Athena binds execution
 * parameters. A varchar finds exactly the rows holding that very text (a trace whose root service
 * is SQL is found by it, nothing else); a bigint that is not one is a usage error naming the
 * parameter; never a crash, and the tables are intact afterwards.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNamedQueries } from '../../athena/named-queries.ts';
import { makeResource } from '../../lambdas/shared/span/model.ts';
import { ParquetStore } from '../../lambdas/storage/index.ts';
import { QueryParameterError } from '../../local/errors.ts';
import { parseQueryArgs, runQueryCommand } from '../../local/query.ts';
import { type GeneratedTrace, generateTraces, writeTraces } from '../support/analytics-data.ts';
import { batchRef, type StorageStandIns, startStorageStandIns, testConfig } from '../support/storage.ts';
import { wallClockMs } from '../support/wall-clock.ts';

/** Texts that would change a query if they were spliced into its SQL. */
const HOSTILE: ReadonlyArray<readonly [string, string]> = [
  ['a single quote', "'"],
  ['a closing quote and a statement', "x'; DROP TABLE spans; --"],
  ['an always-true condition', "' OR '1'='1"],
  ['a comment and a semicolon', '--;/* */'],
  ['double quotes and a backslash', '"\\"'],
  ['a dollar-quoted string', '$$ SELECT 1 $$'],
  ['unicode quotes, an emoji and a right-to-left mark', '\u2019\u201c\u{1f525}\u200f\u0000'],
  ['a parameter mark', '?'],
  ['a 100 KB string', `${"'".repeat(10)}${'x'.repeat(100 * 1024)}`],
];

/** The planted trace's root service: SQL, quotes and unicode, as a hostile client might name it. */
const SQL_SERVICE = "checkout'); DROP TABLE spans; -- \u2019\u{1f525}";

const queries = loadNamedQueries();

let standIns: StorageStandIns;
let dataDir: string;
let planted: GeneratedTrace;

beforeAll(async () => {
  standIns = await startStorageStandIns('tracesift-local');
  dataDir = mkdtempSync(join(tmpdir(), 'tracesift-query-params-'));
  writeFileSync(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({ s3Directory: standIns.directory, bucketName: standIns.bucketName }),
  );
  const now = wallClockMs();
  const traces = generateTraces({ count: 12, nowMs: now, seed: 5 });
  // The newest trace (inside slow-traces' last hour), its spans renamed to the SQL service.
  const newest = traces.reduce((a, b) => (a.startMs > b.startMs ? a : b));
  planted = {
    ...newest,
    spans: newest.spans.map((span) => ({
      ...span,
      resource: makeResource({ ...span.resource.attributes, 'service.name': SQL_SERVICE }),
    })),
  };
  const parquet = new ParquetStore({
    s3: standIns.s3.client(),
    bucketName: standIns.bucketName,
    storage: testConfig().storage,
  });
  await writeTraces(parquet, [...traces.filter((t) => t !== newest), planted], 2, (n) => batchRef(n));
});

afterAll(async () => {
  await standIns.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A value of each parameter type that matches rows: the planted trace's, or a threshold of 0. */
function validValue(name: string, type: string): string {
  if (type !== 'varchar') return '0';
  if (name === 'trace_id') return planted.traceId;
  if (name === 'root_operation') return planted.spans.find((s) => s.parentSpanId === '')?.name ?? '';
  return SQL_SERVICE;
}

async function run(query: string, parameters: Record<string, string>): Promise<unknown[]> {
  const args = ['--named', query, '--json', '--data-dir', dataDir];
  for (const [name, value] of Object.entries(parameters)) args.push('--param', `${name}=${value}`);
  return JSON.parse(await runQueryCommand(parseQueryArgs(args))) as unknown[];
}

async function spanCount(): Promise<number> {
  const out = await runQueryCommand(
    parseQueryArgs(['SELECT count(*) AS n FROM spans', '--json', '--data-dir', dataDir]),
  );
  return Number((JSON.parse(out) as Array<{ n: number | string }>)[0]?.n);
}

const cases = queries.flatMap((query) =>
  query.parameters.map((parameter) => ({ query: query.name, parameter, all: query.parameters })),
);

describe('named query parameters are values, never SQL', () => {
  it('has parameters to fuzz, of both kinds', () => {
    expect(cases.map((c) => c.parameter.type).sort()).toEqual(expect.arrayContaining(['bigint', 'varchar']));
  });

  it('finds the trace whose root service is SQL by that very text (the valid values match rows)', async () => {
    const slow = await run('slow-traces', { service: SQL_SERVICE, min_duration_ms: '0' });
    expect(slow.map((row) => (row as { trace_id: string }).trace_id)).toEqual([planted.traceId]);
  });

  describe.each(cases)('$query --param $parameter.name', ({ query, parameter, all }) => {
    const others = (value: string): Record<string, string> =>
      Object.fromEntries(
        all.map((p) => [p.name, p.name === parameter.name ? value : validValue(p.name, p.type)]),
      );

    it('answers rows with its valid value', async () => {
      expect((await run(query, others(validValue(parameter.name, parameter.type)))).length).toBeGreaterThan(
        0,
      );
    });

    it.each(HOSTILE)(
      'given %s: no rows (varchar) or a usage error (bigint), tables intact',
      async (_, text) => {
        // Prepare
        const before = await spanCount();

        // Act
        const answer = run(query, others(text));

        // Assess: nothing is named by the text (a splice would match rows or fail to parse)
        if (parameter.type === 'varchar') await expect(answer).resolves.toEqual([]);
        else {
          await expect(answer).rejects.toThrow(QueryParameterError);
          await expect(answer).rejects.toThrow(`must be a ${parameter.type}`);
        }
        expect(await spanCount()).toBe(before);
      },
    );
  });
});
