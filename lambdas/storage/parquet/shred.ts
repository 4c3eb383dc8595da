/**
 * Shredding (Dremel): a column's values -> the definition and repetition levels and values of its
 * leaves, for the Hive types the tables use (schema.ts). Each column is compiled once into writer
 * closures that know their levels, so writing a value walks no schema.
 *
 * Levels, for a column `c` of type map<string,string> (schema c OPTIONAL / key_value REPEATED /
 * key REQUIRED, value OPTIONAL): null -> 0; {} -> 1; each entry -> key at 2, value at 2 (null) or
 * 3; the first entry repeats at the row's level, the next ones at 1. Arrays likewise (list
 * REPEATED, element OPTIONAL), structs add 1 when present.
 */
import { ParquetValueError } from '../errors.ts';
import {
  BooleanChunkWriter,
  type ChunkFormat,
  type ColumnChunkWriter,
  DoubleChunkWriter,
  Int32ChunkWriter,
  Int64ChunkWriter,
  type LeafShape,
  StringChunkWriter,
} from './column-chunk.ts';
import { type HiveType, primitiveElement } from './schema.ts';

/** Writes values of one (sub)column into its leaves. */
export interface ColumnShredder {
  /** The value at this node, its parent present; `repetition` is the level of its first leaf value. */
  readonly write: (value: unknown, repetition: number) => void;
  /** Nothing below this node: every leaf gets a null at `definition`. */
  readonly nulls: (definition: number, repetition: number) => void;
}

/** Makes the writer of a leaf of a primitive Hive type (the file writer registers it in schema order). */
export type LeafFactory = (shape: LeafShape, typeName: string) => ColumnChunkWriter;

/** A leaf writer for a primitive Hive type. */
export function chunkWriterFor(typeName: string, shape: LeafShape, format: ChunkFormat): ColumnChunkWriter {
  switch (typeName) {
    case 'string':
      return new StringChunkWriter(shape, format);
    case 'bigint':
    case 'timestamp':
      return new Int64ChunkWriter(shape, format);
    case 'int':
      return new Int32ChunkWriter(shape, format);
    case 'double':
      return new DoubleChunkWriter(shape, format);
    default:
      return new BooleanChunkWriter(shape, format);
  }
}

interface Position {
  readonly path: readonly string[];
  /** Definition level with this node's parent present. */
  readonly definition: number;
  /** Repeated ancestors (the repetition level of this node's repeated values). */
  readonly depth: number;
}

/** Compiles a top-level (OPTIONAL) column. */
export function compileColumn(name: string, type: HiveType, leaf: LeafFactory): ColumnShredder {
  return compile(name, type, { path: [], definition: 0, depth: 0 }, false, leaf);
}

function compile(
  name: string,
  type: HiveType,
  at: Position,
  required: boolean,
  leaf: LeafFactory,
): ColumnShredder {
  const path = [...at.path, name];
  switch (type.kind) {
    case 'primitive': {
      const shape: LeafShape = {
        path,
        element: primitiveElement(name, type.name, required ? 'REQUIRED' : 'OPTIONAL'),
        maxDefinitionLevel: required ? at.definition : at.definition + 1,
        maxRepetitionLevel: at.depth,
      };
      const chunk = leaf(shape, type.name);
      return {
        write: (value, repetition) => chunk.addValue(value, repetition),
        nulls: (definition, repetition) => chunk.addNull(definition, repetition),
      };
    }
    case 'struct':
      return compileStruct(path, type.fields, at, leaf);
    case 'array':
      return compileArray(path, type.element, at, leaf);
    case 'map':
      return compileMap(path, type.key, type.value, at, leaf);
  }
}

function compileStruct(
  path: readonly string[],
  fields: readonly { readonly name: string; readonly type: HiveType }[],
  at: Position,
  leaf: LeafFactory,
): ColumnShredder {
  const inner: Position = { path, definition: at.definition + 1, depth: at.depth };
  const children = fields.map((f) => ({
    name: f.name,
    shredder: compile(f.name, f.type, inner, false, leaf),
  }));
  const nulls = (definition: number, repetition: number): void => {
    for (const child of children) child.shredder.nulls(definition, repetition);
  };
  return {
    nulls,
    write: (value, repetition) => {
      if (value === null || value === undefined) return nulls(at.definition, repetition);
      if (typeof value !== 'object' || Array.isArray(value)) reject(path, 'struct', value);
      const record = value as Record<string, unknown>;
      for (const child of children) child.shredder.write(record[child.name], repetition);
    },
  };
}

function compileArray(path: readonly string[], element: HiveType, at: Position, leaf: LeafFactory) {
  const inner: Position = { path: [...path, 'list'], definition: at.definition + 2, depth: at.depth + 1 };
  const item = compile('element', element, inner, false, leaf);
  return {
    nulls: item.nulls,
    write: (value: unknown, repetition: number) => {
      if (value === null || value === undefined) return item.nulls(at.definition, repetition);
      if (!Array.isArray(value)) reject(path, 'array', value);
      if (value.length === 0) return item.nulls(at.definition + 1, repetition);
      for (let i = 0; i < value.length; i++) item.write(value[i], i === 0 ? repetition : inner.depth);
    },
  };
}

function compileMap(
  path: readonly string[],
  key: HiveType,
  value: HiveType,
  at: Position,
  leaf: LeafFactory,
) {
  const inner: Position = {
    path: [...path, 'key_value'],
    definition: at.definition + 2,
    depth: at.depth + 1,
  };
  const keys = compile('key', key, inner, true, leaf);
  const values = compile('value', value, inner, false, leaf);
  const nulls = (definition: number, repetition: number): void => {
    keys.nulls(definition, repetition);
    values.nulls(definition, repetition);
  };
  return {
    nulls,
    write: (map: unknown, repetition: number) => {
      if (map === null || map === undefined) return nulls(at.definition, repetition);
      if (typeof map !== 'object' || Array.isArray(map)) reject(path, 'map', map);
      let entries = 0;
      for (const k in map as Record<string, unknown>) {
        const level = entries++ === 0 ? repetition : inner.depth;
        keys.write(k, level);
        values.write((map as Record<string, unknown>)[k], level);
      }
      if (entries === 0) nulls(at.definition + 1, repetition);
    },
  };
}

function reject(path: readonly string[], kind: string, value: unknown): never {
  throw new ParquetValueError(path.join('.'), kind, value);
}
