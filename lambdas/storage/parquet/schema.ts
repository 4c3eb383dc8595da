/**
 * Parquet schemas generated from the Glue column types of lambdas/storage/layout/tables.ts, so the
 * files and the Glue tables cannot disagree: a small parser for the Hive type grammar Glue uses
 * (`map<k,v>`, `array<t>`, `struct<a:t,...>`) and its mapping onto Parquet's nested encoding
 * (MAP/key_value, LIST/list/element), which is what Athena and DuckDB both read.
 */
import type { SchemaElement } from 'hyparquet';
import { StorageError } from '../errors.ts';
import type { ColumnDefinition } from '../layout/layout.ts';

export type HiveType =
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'array'; readonly element: HiveType }
  | { readonly kind: 'map'; readonly key: HiveType; readonly value: HiveType }
  | {
      readonly kind: 'struct';
      readonly fields: readonly { readonly name: string; readonly type: HiveType }[];
    };

const PRIMITIVES = new Set(['string', 'bigint', 'int', 'double', 'boolean', 'timestamp']);

/** Parses a Glue/Hive column type; throws on anything tracesift's tables do not use. */
export function parseHiveType(text: string): HiveType {
  let pos = 0;
  const source = text.replace(/\s+/g, '');
  const word = (): string => {
    const match = /^[a-z_][a-z0-9_]*/i.exec(source.slice(pos));
    if (!match) throw new StorageError(`bad Hive type "${text}" at ${pos}`);
    pos += match[0].length;
    return match[0];
  };
  const expect = (char: string): void => {
    if (source[pos] !== char) throw new StorageError(`bad Hive type "${text}": expected "${char}" at ${pos}`);
    pos++;
  };
  const type = (): HiveType => {
    const name = word().toLowerCase();
    if (name === 'array') {
      expect('<');
      const element = type();
      expect('>');
      return { kind: 'array', element };
    }
    if (name === 'map') {
      expect('<');
      const key = type();
      expect(',');
      const value = type();
      expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'struct') {
      expect('<');
      const fields: { name: string; type: HiveType }[] = [];
      for (;;) {
        const field = word();
        expect(':');
        fields.push({ name: field, type: type() });
        if (source[pos] === ',') {
          pos++;
          continue;
        }
        expect('>');
        return { kind: 'struct', fields };
      }
    }
    if (!PRIMITIVES.has(name)) throw new StorageError(`unsupported Hive type "${name}" in "${text}"`);
    return { kind: 'primitive', name };
  };
  const parsed = type();
  if (pos !== source.length)
    throw new StorageError(`bad Hive type "${text}": trailing "${source.slice(pos)}"`);
  return parsed;
}

/** The flattened Parquet schema (root first) for a table's columns. */
export function parquetSchema(columns: readonly ColumnDefinition[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) append(schema, column.name, parseHiveType(column.type), 'OPTIONAL');
  return schema;
}

function append(
  schema: SchemaElement[],
  name: string,
  type: HiveType,
  repetition: 'OPTIONAL' | 'REQUIRED',
): void {
  switch (type.kind) {
    case 'primitive':
      schema.push(primitiveElement(name, type.name, repetition));
      return;
    case 'array':
      schema.push({ name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 });
      schema.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      append(schema, 'element', type.element, 'OPTIONAL');
      return;
    case 'map':
      schema.push({ name, repetition_type: repetition, converted_type: 'MAP', num_children: 1 });
      schema.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 });
      append(schema, 'key', type.key, 'REQUIRED');
      append(schema, 'value', type.value, 'OPTIONAL');
      return;
    case 'struct':
      schema.push({ name, repetition_type: repetition, num_children: type.fields.length });
      for (const field of type.fields) append(schema, field.name, field.type, 'OPTIONAL');
      return;
  }
}

/** The schema element of a primitive (leaf) column. */
export function primitiveElement(
  name: string,
  typeName: string,
  repetition: 'OPTIONAL' | 'REQUIRED',
): SchemaElement {
  return { name, repetition_type: repetition, ...primitive(typeName) };
}

function primitive(name: string): Omit<SchemaElement, 'name'> {
  switch (name) {
    case 'string':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'bigint':
      return { type: 'INT64' };
    case 'int':
      return { type: 'INT32' };
    case 'double':
      return { type: 'DOUBLE' };
    case 'boolean':
      return { type: 'BOOLEAN' };
    default:
      // timestamp: milliseconds, UTC instants. The exact nanoseconds are in the *_unix_nano columns.
      return {
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
  }
}
