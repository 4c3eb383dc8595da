/**
 * The named queries analysts get with the pipeline, kept as .sql files in athena/queries/ so that
 * the same text is what Athena saves (CDK reads the files at synth time), what
 * `npm run query -- --named NAME` runs on DuckDB, and what the tests run against known data.
 *
 * A file starts with a header of `-- key: value` lines:
 *
 *   -- title: Slow traces of a service (last hour)        the Athena console name
 *   -- description: ...                                     shown beside it
 *   -- param: service varchar The root service.            one line per `?`, in order
 *
 * Parameters are `?` marks, which both engines bind natively: Athena's console asks for each one
 * and StartQueryExecution takes them as ExecutionParameters (SQL literals: strings quoted), and
 * DuckDB binds them as prepared-statement values. Tables are unqualified (spans, traces, edges):
 * an Athena named query runs in the pipeline's Glue database.
 *
 * Where the dialects differ, `<name>.duckdb.sql` is the DuckDB version of `<name>.sql` (same
 * parameters, same result columns); the README lists each difference.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidNamedQueryError } from './errors.ts';

/** athena/queries/ in this repository (or package). */
export const NAMED_QUERY_DIRECTORY = fileURLToPath(new URL('./queries/', import.meta.url));

export const PARAMETER_TYPES = ['varchar', 'bigint', 'double'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export interface NamedQueryParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
}

export interface NamedQuery {
  /** The file name without `.sql`, e.g. `slow-traces`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** One per `?` mark, in order. */
  readonly parameters: readonly NamedQueryParameter[];
  /** The SQL Athena runs (Trino dialect). */
  readonly athenaSql: string;
  /** The SQL DuckDB runs: the `.duckdb.sql` variant, or the Athena SQL when it runs unchanged. */
  readonly duckdbSql: string;
  /** Whether a DuckDB variant exists. */
  readonly hasDuckdbVariant: boolean;
}

interface ParsedFile {
  readonly title: string;
  readonly description: string;
  readonly parameters: readonly NamedQueryParameter[];
  readonly sql: string;
}

const NAME = /^[a-z][a-z0-9-]*$/;
const PARAMETER = /^([a-z][a-z0-9_]*)\s+([a-z]+)\s+(.+)$/;
const DUCKDB_SUFFIX = '.duckdb.sql';

/** Parses one query file; `file` names it in errors. */
export function parseNamedQueryFile(file: string, text: string): ParsedFile {
  const fail = (message: string): never => {
    throw new InvalidNamedQueryError(file, message);
  };
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const header: Record<string, string> = {};
  const parameters: NamedQueryParameter[] = [];
  let body = 0;
  for (; body < lines.length; body++) {
    const line = lines[body] as string;
    const match = /^--\s*([a-z]+):\s*(.*)$/.exec(line);
    if (!match) break;
    const key = match[1] as string;
    const value = (match[2] as string).trim();
    if (key === 'param') {
      const param = PARAMETER.exec(value);
      if (!param) fail(`bad parameter line "${line}": want "-- param: name type description"`);
      const [, name, type, description] = param as RegExpExecArray;
      if (!(PARAMETER_TYPES as readonly string[]).includes(type as string)) {
        fail(`parameter ${name} has type "${type}": want one of ${PARAMETER_TYPES.join(', ')}`);
      }
      parameters.push({
        name: name as string,
        type: type as ParameterType,
        description: description as string,
      });
    } else if (key === 'title' || key === 'description') {
      if (header[key] !== undefined) fail(`"${key}" is given twice`);
      header[key] = value;
    } else {
      fail(`unknown header key "${key}": want title, description or param`);
    }
  }
  const title = header.title ?? fail('the header has no "-- title:" line');
  const description = header.description ?? fail('the header has no "-- description:" line');
  if (title.length === 0 || title.length > 128) fail('the title must be 1 to 128 characters');
  if (description.length > 1024) fail('the description must be at most 1024 characters');
  const sql = lines.slice(body).join('\n').trim();
  if (sql.length === 0) fail('there is no SQL after the header');
  if (/;\s*\S/.test(stripLiteralsAndComments(sql))) fail('holds more than one statement');
  const marks = parameterMarks(sql);
  if (marks !== parameters.length) {
    fail(`has ${marks} "?" parameter mark(s) but the header declares ${parameters.length} parameter(s)`);
  }
  return { title, description, parameters, sql };
}

/** The number of `?` parameter marks outside string literals, quoted identifiers and comments. */
export function parameterMarks(sql: string): number {
  return (stripLiteralsAndComments(sql).match(/\?/g) ?? []).length;
}

function stripLiteralsAndComments(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

/** Every named query of `directory`, sorted by name. */
export function loadNamedQueries(directory: string = NAMED_QUERY_DIRECTORY): NamedQuery[] {
  let files: string[];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.sql'));
  } catch (error) {
    throw new InvalidNamedQueryError(directory, 'cannot list the directory', { cause: error });
  }
  const read = (file: string): ParsedFile =>
    parseNamedQueryFile(join(directory, file), readFileSync(join(directory, file), 'utf8'));
  const queries: NamedQuery[] = [];
  for (const file of files.filter((f) => !f.endsWith(DUCKDB_SUFFIX)).sort()) {
    const name = basename(file, '.sql');
    if (!NAME.test(name)) {
      throw new InvalidNamedQueryError(
        join(directory, file),
        'the file name must be lower-case letters, digits and "-"',
      );
    }
    const athena = read(file);
    const variantFile = `${name}${DUCKDB_SUFFIX}`;
    const variant = files.includes(variantFile) ? read(variantFile) : undefined;
    if (variant && JSON.stringify(signature(variant)) !== JSON.stringify(signature(athena))) {
      throw new InvalidNamedQueryError(
        join(directory, variantFile),
        `declares parameters (${signature(variant).join(', ')}) unlike ${file} (${signature(athena).join(', ')})`,
      );
    }
    queries.push({
      name,
      title: athena.title,
      description: athena.description,
      parameters: athena.parameters,
      athenaSql: athena.sql,
      duckdbSql: variant?.sql ?? athena.sql,
      hasDuckdbVariant: variant !== undefined,
    });
  }
  for (const file of files.filter((f) => f.endsWith(DUCKDB_SUFFIX))) {
    if (!files.includes(`${basename(file, DUCKDB_SUFFIX)}.sql`)) {
      throw new InvalidNamedQueryError(
        join(directory, file),
        'is a DuckDB variant of a query that does not exist',
      );
    }
  }
  return queries;
}

function signature(file: ParsedFile): string[] {
  return file.parameters.map((p) => `${p.name} ${p.type}`);
}
