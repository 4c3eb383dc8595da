/**
 * The named query files: header parsing and its failures, the Athena (Trino) text checked with
 * DuckDB's parser (syntax, `?` count, tables and columns it names exist in the Glue tables CDK
 * creates, same result columns as the DuckDB variant). The saved queries in the synthesized
 * TracePipeline: test/lib/named-queries.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidNamedQueryError } from '../../athena/errors.ts';
import {
  loadNamedQueries,
  type NamedQuery,
  parameterMarks,
  parseNamedQueryFile,
} from '../../athena/named-queries.ts';
import { ANALYTICS_TABLES, PARTITION_COLUMNS } from '../../lambdas/storage/index.ts';

const queries = loadNamedQueries();

describe('athena/queries', () => {
  it('holds the queries analysts need, one DuckDB variant where the dialects differ', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'critical-path',
      'error-traces',
      'latency-percentiles',
      'request-counts',
      'service-dependencies',
      'slow-traces',
      'trace-spans',
    ]);
    expect(queries.filter((q) => q.hasDuckdbVariant).map((q) => q.name)).toEqual(['latency-percentiles']);
  });
});

interface SqlNode {
  readonly [key: string]: unknown;
}

/** DuckDB's parse tree of a statement (json_serialize_sql parses only: Trino functions are fine). */
let parse: (sql: string) => Promise<SqlNode>;
let close: () => void;

beforeAll(async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  parse = async (sql) => {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR) AS tree', [sql]);
    return JSON.parse(String(reader.getRowObjects()[0]?.tree)) as SqlNode;
  };
  close = () => {
    connection.closeSync();
    instance.closeSync();
  };
});

afterAll(() => close());

/** Every object in the tree for which `match` holds. */
function nodes(tree: unknown, match: (node: SqlNode) => boolean, out: SqlNode[] = []): SqlNode[] {
  if (Array.isArray(tree)) for (const item of tree) nodes(item, match, out);
  else if (tree && typeof tree === 'object') {
    if (match(tree as SqlNode)) out.push(tree as SqlNode);
    for (const value of Object.values(tree)) nodes(value, match, out);
  }
  return out;
}

const glueColumns = new Map<string, Set<string>>(
  ANALYTICS_TABLES.map((t) => [t.name, new Set([...t.columns, ...PARTITION_COLUMNS].map((c) => c.name))]),
);

function selectAliases(tree: SqlNode): string[] {
  const statement = (tree.statements as SqlNode[])[0] as SqlNode;
  const node = statement.node as SqlNode;
  return (node.select_list as SqlNode[]).map((item) =>
    String(item.alias || (item.column_names as string[] | undefined)?.at(-1) || ''),
  );
}

describe.each(queries.map((q) => [q.name, q] as [string, NamedQuery]))('named query %s', (_, query) => {
  it('parses, with one declared parameter per ? mark', async () => {
    for (const sql of [query.athenaSql, query.duckdbSql]) {
      const tree = await parse(sql);
      expect(tree.error, String(tree.error_message)).toBe(false);
      expect(nodes(tree, (n) => n.class === 'PARAMETER')).toHaveLength(query.parameters.length);
      expect(parameterMarks(sql)).toBe(query.parameters.length);
    }
  });

  it('reads only Glue tables and their columns (or names it defines itself)', async () => {
    for (const sql of [query.athenaSql, query.duckdbSql]) {
      const tree = await parse(sql);
      const ctes = new Set(
        nodes(tree, (n) => Array.isArray((n.cte_map as SqlNode | undefined)?.map)).flatMap((n) =>
          ((n.cte_map as SqlNode).map as SqlNode[]).map((entry) => String(entry.key)),
        ),
      );
      const tables = nodes(tree, (n) => n.type === 'BASE_TABLE').map((n) => String(n.table_name));
      const glueTables = tables.filter((t) => !ctes.has(t));
      expect(glueTables.length).toBeGreaterThan(0);
      for (const table of glueTables) expect(glueColumns.has(table), table).toBe(true);
      const known = new Set([
        ...glueTables.flatMap((t) => [...(glueColumns.get(t) ?? [])]),
        ...nodes(tree, (n) => typeof n.alias === 'string' && n.alias !== '').map((n) => String(n.alias)),
        'current_timestamp',
      ]);
      const columns = nodes(tree, (n) => n.class === 'COLUMN_REF').map((n) =>
        String((n.column_names as string[]).at(-1)),
      );
      for (const column of columns) expect(known.has(column), `${query.name}: column ${column}`).toBe(true);
    }
  });

  it('gives the same result columns on Athena and DuckDB', async () => {
    expect(selectAliases(await parse(query.duckdbSql))).toEqual(selectAliases(await parse(query.athenaSql)));
  });
});

describe('parseNamedQueryFile', () => {
  const header = '-- title: T\n-- description: D\n';
  it.each([
    ['no title', '-- description: D\nSELECT 1', /no "-- title:" line/],
    ['no description', '-- title: T\nSELECT 1', /no "-- description:" line/],
    ['no SQL', header, /no SQL after the header/],
    ['an unknown header key', `${header}-- owner: me\nSELECT 1`, /unknown header key "owner"/],
    ['a title given twice', `${header}-- title: U\nSELECT 1`, /"title" is given twice/],
    ['a malformed parameter', `${header}-- param: x\nSELECT ?`, /bad parameter line/],
    ['an unknown parameter type', `${header}-- param: x date The day.\nSELECT ?`, /type "date"/],
    ['more ? marks than parameters', `${header}-- param: x varchar X.\nSELECT ?, ?`, /2 "\?" parameter mark/],
    ['fewer ? marks than parameters', `${header}-- param: x varchar X.\nSELECT 1`, /0 "\?" parameter mark/],
    ['two statements', `${header}SELECT 1; SELECT 2`, /more than one statement/],
    ['a title over 128 characters', `-- title: ${'t'.repeat(129)}\n-- description: D\nSELECT 1`, /1 to 128/],
  ])('rejects a file with %s', (_, text, message) => {
    expect(() => parseNamedQueryFile('q.sql', text)).toThrow(InvalidNamedQueryError);
    expect(() => parseNamedQueryFile('q.sql', text)).toThrow(message);
  });

  it('counts no ? inside strings, quoted names or comments', () => {
    expect(parameterMarks(`SELECT '?', "a?b" -- why?\n, ? /* ? */ FROM t WHERE x = ?`)).toBe(2);
  });

  it('reads the parameters in order with their types', () => {
    const parsed = parseNamedQueryFile(
      'q.sql',
      `${header}-- param: service varchar The service.\n-- param: min_ms bigint At least.\nSELECT ? , ?;`,
    );
    expect(parsed.parameters).toEqual([
      { name: 'service', type: 'varchar', description: 'The service.' },
      { name: 'min_ms', type: 'bigint', description: 'At least.' },
    ]);
  });
});

describe('loadNamedQueries', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracesift-queries-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (files: Record<string, string>): string => {
    const sub = mkdtempSync(join(dir, 'q-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
    return sub;
  };
  const file = (params = '') =>
    `-- title: T\n-- description: D\n${params}SELECT 1${params ? ' WHERE x = ?' : ''}`;

  it.each([
    [
      'a variant without its query',
      { 'a.duckdb.sql': file() },
      /DuckDB variant of a query that does not exist/,
    ],
    [
      'a variant with other parameters',
      { 'a.sql': file('-- param: x varchar X.\n'), 'a.duckdb.sql': file() },
      /declares parameters \(\) unlike a.sql \(x varchar\)/,
    ],
    ['a file name with capitals', { 'Slow.sql': file() }, /lower-case letters, digits and "-"/],
  ])('rejects %s', (_, files, message) => {
    const sub = write(files);
    expect(() => loadNamedQueries(sub)).toThrow(InvalidNamedQueryError);
    expect(() => loadNamedQueries(sub)).toThrow(message);
  });

  it('rejects a directory it cannot list', () => {
    expect(() => loadNamedQueries(join(dir, 'missing'))).toThrow(/cannot list the directory/);
  });
});
