/** `npm run query`: SQL over the local pipeline's Parquet with DuckDB (QUERY_USAGE). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Json } from '@duckdb/node-api';
import { InvalidNamedQueryError } from '../athena/errors.ts';
import { loadNamedQueries, type NamedQuery } from '../athena/named-queries.ts';
import { localBucket, openLocalAnalytics, type QueryResult } from './analytics.ts';
import { LocalPipelineError, UnknownNamedQueryError, UsageError } from './errors.ts';
import { BUCKET_NAME } from './pipeline.ts';
import { usageRequested } from './usage.ts';

export const QUERY_USAGE = `npm run query -- "SQL" | --named NAME [--param NAME=VALUE ...] | --list  [options]

Runs SQL with DuckDB over the Parquet files the local pipeline (npm start) wrote: tables spans,
traces and edges, as Athena sees them in AWS. The named queries are those of athena/queries/.

  "SQL"               a query over spans, traces, edges
  --named NAME        one of the named queries instead (see --list)
  --param NAME=VALUE  a parameter of the named query, once for each (default: the query's own)
  --list              list the named queries and their parameters
  --json              print the rows as JSON (default: an aligned table)
  --data-dir DIR      npm start's data directory (default .tracesift)
  -h, --help          print this and exit

Examples:
  npm run query -- "SELECT service_name, count(*) FROM spans GROUP BY 1"
  npm run query -- --named slow-traces --param service=checkout --param min_duration_ms=500
`;

export interface QueryCommand {
  readonly sql?: string;
  readonly named?: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly json: boolean;
  readonly list: boolean;
  readonly dataDir: string;
}

export function parseQueryArgs(args: readonly string[]): QueryCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${QUERY_USAGE}`);
  }
  const { values, positionals } = parsed;
  const parameters: Record<string, string> = {};
  for (const text of values.param ?? []) {
    const at = text.indexOf('=');
    if (at < 1) throw new UsageError(`--param wants NAME=VALUE, got ${JSON.stringify(text)}`);
    parameters[text.slice(0, at)] = text.slice(at + 1);
  }
  const sql = positionals.join(' ').trim();
  const modes = [sql !== '', values.named !== undefined, values.list === true].filter(Boolean).length;
  if (modes !== 1) {
    throw new UsageError(
      'give exactly one of: "SQL", --named NAME, --list (e.g. npm run query -- "SELECT 1")',
    );
  }
  if (Object.keys(parameters).length && values.named === undefined) {
    throw new UsageError('--param goes with --named (plain SQL takes no parameters)');
  }
  return {
    ...(sql ? { sql } : {}),
    ...(values.named !== undefined ? { named: values.named } : {}),
    parameters,
    json: values.json === true,
    list: values.list === true,
    dataDir: resolve(values['data-dir'] ?? '.tracesift'),
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      named: { type: 'string' },
      param: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
}

export function findNamedQuery(queries: readonly NamedQuery[], name: string): NamedQuery {
  const query = queries.find((q) => q.name === name);
  if (!query)
    throw new UnknownNamedQueryError(
      name,
      queries.map((q) => q.name),
    );
  return query;
}

/** Runs a command; returns what to print on stdout. */
export async function runQueryCommand(command: QueryCommand): Promise<string> {
  const queries = loadNamedQueries();
  if (command.list) return listing(queries);
  const named = command.named !== undefined ? findNamedQuery(queries, command.named) : undefined;
  const analytics = await openLocalAnalytics(localBucket(command.dataDir, BUCKET_NAME));
  try {
    const result = named
      ? await analytics.named(named, command.parameters)
      : await analytics.query(command.sql ?? '');
    return command.json ? `${JSON.stringify(result.rows, null, 2)}\n` : textTable(result);
  } finally {
    analytics.close();
  }
}

function listing(queries: readonly NamedQuery[]): string {
  return `${queries
    .map((q) => {
      const params = q.parameters
        .map((p) => `\n    --param ${p.name}=<${p.type}>  ${p.description}`)
        .join('');
      return `${q.name}${q.hasDuckdbVariant ? ' (DuckDB variant)' : ''}\n    ${q.title}${params}`;
    })
    .join('\n')}\n`;
}

/** Rows as an aligned text table, with the row count; fractions to six significant digits. */
export function textTable(result: QueryResult): string {
  // Six significant digits keep a table readable; --json keeps every digit.
  const cell = (value: Json): string =>
    value === null
      ? 'NULL'
      : typeof value === 'object'
        ? JSON.stringify(value)
        : typeof value === 'number' && !Number.isInteger(value)
          ? String(Number(value.toPrecision(6)))
          : String(value);
  const rows = result.rows.map((row) => result.columns.map((c) => cell(row[c] ?? null)));
  const widths = result.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const count = `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`;
  return [
    line(result.columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    count,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  try {
    process.stdout.write(usageRequested(argv) ? QUERY_USAGE : await runQueryCommand(parseQueryArgs(argv)));
  } catch (error) {
    const known = error instanceof LocalPipelineError || error instanceof InvalidNamedQueryError;
    process.stderr.write(`tracesift query: ${known ? (error as Error).message : (error as Error).stack}\n`);
    process.exitCode = known ? 2 : 1;
  }
}
