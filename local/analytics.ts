/**
 * SQL over the local pipeline's Parquet with DuckDB, the tables named as in Athena.
 *
 * s3rver keeps each object as a file (`<s3 dir>/<bucket>/<key>._S3rver_object`), so the files are
 * read straight from disk, whether or not `npm start` is running. Like Athena, a table reads
 * exactly the Parquet files its symlink manifests (`tables/<table>/dt=/hour=/<shard>.txt`) list,
 * so a compaction in progress shows each row once here too. The partition columns `dt` and `hour`
 * come from the file paths, as strings, as Athena's projected partitions are.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIGINT,
  DOUBLE,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  type Json,
  VARCHAR,
} from '@duckdb/node-api';
import type { NamedQuery, ParameterType } from '../athena/named-queries.ts';
import {
  ANALYTICS_TABLES,
  type AnalyticsTableDefinition,
  type HiveType,
  keyOfLine,
  PARTITION_COLUMNS,
  parseHiveType,
  parseManifest,
  tablePrefix,
} from '../lambdas/storage/index.ts';
import {
  EndpointsFileError,
  MissingLocalObjectError,
  NoLocalDataError,
  QueryFailedError,
  QueryParameterError,
} from './errors.ts';

/** s3rver's on-disk suffix of an object's bytes. */
const OBJECT_SUFFIX = '._S3rver_object';

export interface LocalBucket {
  /** s3rver's directory (one folder per bucket). */
  readonly s3Directory: string;
  readonly bucketName: string;
}

/**
 * Where `npm start` keeps the bucket: endpoints.json of the data directory says; without one (the
 * pipeline never started there) the default layout is assumed, and NoLocalDataError follows.
 */
export function localBucket(dataDir: string, defaultBucket: string): LocalBucket {
  const file = join(dataDir, 'endpoints.json');
  if (existsSync(file)) {
    let endpoints: Partial<LocalBucket>;
    try {
      endpoints = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalBucket>;
    } catch (error) {
      throw new EndpointsFileError(file, { cause: error });
    }
    if (typeof endpoints.s3Directory === 'string' && typeof endpoints.bucketName === 'string') {
      return { s3Directory: endpoints.s3Directory, bucketName: endpoints.bucketName };
    }
  }
  return { s3Directory: join(dataDir, 's3'), bucketName: defaultBucket };
}

function objectPath(bucket: LocalBucket, key: string): string {
  return join(
    bucket.s3Directory,
    bucket.bucketName,
    ...key.split('/').slice(0, -1),
    `${key.split('/').at(-1)}${OBJECT_SUFFIX}`,
  );
}

/** The Parquet files the manifests of `table` list, in manifest order, partitions sorted. */
export function tableFiles(bucket: LocalBucket, table: AnalyticsTableDefinition['name']): string[] {
  const root = join(bucket.s3Directory, bucket.bucketName, ...tablePrefix(table).split('/').filter(Boolean));
  const files: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(`.txt${OBJECT_SUFFIX}`)) {
        for (const line of parseManifest(readFileSync(path, 'utf8'))) {
          const file = objectPath(bucket, keyOfLine(bucket.bucketName, line) ?? line);
          if (!existsSync(file)) throw new MissingLocalObjectError(path, file);
          files.push(file);
        }
      }
    }
  };
  walk(root);
  return files;
}

export interface QueryResult {
  readonly columns: readonly string[];
  /** JSON-safe values: 64-bit integers and timestamps as strings, lists and structs as JSON. */
  readonly rows: readonly Record<string, Json>[];
}

export interface LocalAnalytics {
  /** Parquet files per table. */
  readonly files: Readonly<Record<AnalyticsTableDefinition['name'], readonly string[]>>;
  query(sql: string, values?: readonly DuckDBValue[], types?: readonly DuckDBType[]): Promise<QueryResult>;
  /** Runs a named query's DuckDB SQL with `--param name=value` texts. */
  named(query: NamedQuery, parameters: Readonly<Record<string, string>>): Promise<QueryResult>;
  close(): void;
}

/** Opens an in-memory DuckDB with the views spans, traces and edges over the bucket's Parquet. */
export async function openLocalAnalytics(bucket: LocalBucket): Promise<LocalAnalytics> {
  const files = {
    spans: tableFiles(bucket, 'spans'),
    traces: tableFiles(bucket, 'traces'),
    edges: tableFiles(bucket, 'edges'),
  };
  if (files.spans.length + files.traces.length + files.edges.length === 0) {
    throw new NoLocalDataError(join(bucket.s3Directory, bucket.bucketName));
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = (): void => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    // Athena sessions run in UTC: casts of current_timestamp to a date (the dt filters) must agree.
    await connection.run(`SET TimeZone = 'UTC'`);
    for (const table of ANALYTICS_TABLES) await connection.run(viewSql(table, files[table.name]));
  } catch (error) {
    close();
    throw new QueryFailedError('(creating the table views)', { cause: error });
  }
  const query = (sql: string, values: readonly DuckDBValue[] = [], types?: readonly DuckDBType[]) =>
    runQuery(connection, sql, values, types);
  return {
    files,
    query,
    named: async (named, parameters) => {
      const { values, types } = bindParameters(named, parameters);
      return query(named.duckdbSql, values, types);
    },
    close,
  };
}

async function runQuery(
  connection: DuckDBConnection,
  sql: string,
  values: readonly DuckDBValue[],
  types: readonly DuckDBType[] | undefined,
): Promise<QueryResult> {
  try {
    const reader = await connection.runAndReadAll(
      sql,
      values.length ? [...values] : undefined,
      types ? [...types] : undefined,
    );
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
  } catch (error) {
    throw new QueryFailedError(sql, { cause: error });
  }
}

/**
 * A view reading exactly `files`; with none, an empty view of the table's columns, so that queries
 * over a table nothing was written to yet return no rows instead of failing.
 */
export function viewSql(table: AnalyticsTableDefinition, files: readonly string[]): string {
  if (files.length === 0) {
    const columns = [...table.columns, ...PARTITION_COLUMNS].map(
      (c) => `CAST(NULL AS ${duckdbType(parseHiveType(c.type))}) AS ${c.name}`,
    );
    return `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${columns.join(', ')} WHERE false`;
  }
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
  // DuckDB's own Hive partitioning would type dt as DATE and hour as a number; Athena projects
  // both as strings ('2026-11-24', '07'), so they are cut out of the path as strings here.
  return (
    `CREATE OR REPLACE VIEW ${table.name} AS SELECT * EXCLUDE (filename), ` +
    `regexp_extract(filename, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS dt, ` +
    `regexp_extract(filename, '/hour=([0-9]{2})/', 1) AS hour ` +
    `FROM read_parquet([${list}], filename = true, union_by_name = true, hive_partitioning = false)`
  );
}

/** DuckDB's name for a Glue column type, as DuckDB reads the Parquet the writers make of it. */
export function duckdbType(type: HiveType): string {
  switch (type.kind) {
    case 'array':
      return `${duckdbType(type.element)}[]`;
    case 'map':
      return `MAP(${duckdbType(type.key)}, ${duckdbType(type.value)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${f.name} ${duckdbType(f.type)}`).join(', ')})`;
    case 'primitive':
      return PRIMITIVE_TYPES[type.name] ?? 'VARCHAR';
  }
}

const PRIMITIVE_TYPES: Record<string, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  // The writers mark timestamps UTC-adjusted, which DuckDB reads as TIMESTAMP WITH TIME ZONE.
  timestamp: 'TIMESTAMPTZ',
};

const BINDERS: Record<ParameterType, { type: DuckDBType; parse: (text: string) => DuckDBValue | undefined }> =
  {
    varchar: { type: VARCHAR, parse: (text) => text },
    bigint: {
      type: BIGINT,
      parse: (text) => (/^-?\d{1,18}$/.test(text.trim()) ? BigInt(text.trim()) : undefined),
    },
    double: {
      type: DOUBLE,
      parse: (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined),
    },
  };

/** The values of a named query's `?` marks, in order, typed as its header declares. */
export function bindParameters(
  query: NamedQuery,
  parameters: Readonly<Record<string, string>>,
): { values: DuckDBValue[]; types: DuckDBType[] } {
  for (const name of Object.keys(parameters)) {
    if (!query.parameters.some((p) => p.name === name)) {
      const known = query.parameters.map((p) => p.name).join(', ') || 'none';
      throw new QueryParameterError(
        query.name,
        name,
        `is not a parameter of this query (its parameters: ${known})`,
      );
    }
  }
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  for (const parameter of query.parameters) {
    const text = parameters[parameter.name];
    if (text === undefined) {
      throw new QueryParameterError(
        query.name,
        parameter.name,
        `is missing: add --param ${parameter.name}=VALUE (${parameter.type}: ${parameter.description})`,
      );
    }
    const binder = BINDERS[parameter.type];
    const value = binder.parse(text);
    if (value === undefined) {
      throw new QueryParameterError(
        query.name,
        parameter.name,
        `must be a ${parameter.type}, got ${JSON.stringify(text)}`,
      );
    }
    values.push(value);
    types.push(binder.type);
  }
  return { values, types };
}
