/**
 * The file footer in the Thrift compact protocol: each column chunk's offset index, then the
 * FileMetaData. Written by hand into a ByteBuffer, the schema part once per writer: hyparquet-
 * writer's generic serializer took ~0.3 ms a file, a sixth of a 2,000-span batch's encoding.
 * Statistics values go through hyparquet-writer's unconvertStatistics (truncation of long strings).
 *
 * Field ids from parquet.thrift: FileMetaData {1 version, 2 schema, 3 num_rows, 4 row_groups,
 * 6 created_by, 7 column_orders}; SchemaElement {1 type, 3 repetition_type, 4 name, 5 num_children,
 * 6 converted_type, 10 logicalType}; RowGroup {1 columns, 2 total_byte_size, 3 num_rows,
 * 5 file_offset, 6 total_compressed_size}; ColumnChunk {2 file_offset, 3 meta_data,
 * 4 offset_index_offset, 5 offset_index_length}; ColumnMetaData {1 type, 2 encodings,
 * 3 path_in_schema, 4 codec, 5 num_values, 6 total_uncompressed_size, 7 total_compressed_size,
 * 9 data_page_offset, 11 dictionary_page_offset, 12 statistics}; OffsetIndex {1 page_locations:
 * PageLocation {1 offset, 2 compressed_page_size, 3 first_row_index}}.
 */
import type { ColumnChunk, FileMetaData, LogicalType, SchemaElement, Statistics } from 'hyparquet';
import { unconvertStatistics } from 'hyparquet-writer/src/unconvert.js';
import { ByteBuffer } from './buffers.ts';
import { ENCODING, writeZigzag } from './page-header.ts';
import { writeVarint } from './rle.ts';

const TYPE = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

const PHYSICAL: Readonly<Record<string, number>> = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
};
const REPETITION: Readonly<Record<string, number>> = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 };
const CONVERTED: Readonly<Record<string, number>> = { UTF8: 0, MAP: 1, LIST: 3, TIMESTAMP_MILLIS: 9 };
const CODEC: Readonly<Record<string, number>> = { UNCOMPRESSED: 0, ZSTD: 6 };

const utf8 = new TextEncoder();

/** A Thrift compact protocol writer of the struct in progress (field ids are deltas within it). */
class CompactWriter {
  public readonly out: ByteBuffer;
  private last = 0;
  private readonly outer: number[] = [];

  public constructor(out: ByteBuffer) {
    this.out = out;
  }

  public i32(id: number, value: number): void {
    this.field(id, TYPE.I32);
    writeZigzag(this.out, value);
  }

  public i64(id: number, value: bigint | number): void {
    this.field(id, TYPE.I64);
    writeZigzag(this.out, Number(value));
  }

  public bool(id: number, value: boolean): void {
    this.field(id, value ? TYPE.TRUE : TYPE.FALSE);
  }

  public binary(id: number, bytes: Uint8Array): void {
    this.field(id, TYPE.BINARY);
    writeBytes(this.out, bytes);
  }

  public struct(id: number, body: () => void): void {
    this.field(id, TYPE.STRUCT);
    this.inStruct(body);
  }

  /** A list of structs, each written by `item`. */
  public structs<T>(id: number, items: readonly T[], item: (value: T) => void): void {
    this.listHeader(id, TYPE.STRUCT, items.length);
    for (const value of items) this.inStruct(() => item(value));
  }

  public i32s(id: number, values: readonly number[]): void {
    this.listHeader(id, TYPE.I32, values.length);
    for (const value of values) writeZigzag(this.out, value);
  }

  public strings(id: number, values: readonly string[]): void {
    this.listHeader(id, TYPE.BINARY, values.length);
    for (const value of values) writeBytes(this.out, utf8.encode(value));
  }

  /** Continues after `bytes`, fields of this struct serialized before, the last of them `lastId`. */
  public resume(bytes: Uint8Array, lastId: number): void {
    this.out.pushBytes(bytes);
    this.last = lastId;
  }

  public stop(): void {
    this.out.push(0);
  }

  private inStruct(body: () => void): void {
    this.outer.push(this.last);
    this.last = 0;
    body();
    this.stop();
    this.last = this.outer.pop() as number;
  }

  private listHeader(id: number, element: number, size: number): void {
    this.field(id, TYPE.LIST);
    if (size < 15) this.out.push((size << 4) | element);
    else {
      this.out.push(0xf0 | element);
      writeVarint(this.out, size);
    }
  }

  private field(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.out.push((delta << 4) | type);
    else {
      this.out.push(type);
      writeZigzag(this.out, id);
    }
    this.last = id;
  }
}

function writeBytes(out: ByteBuffer, bytes: Uint8Array): void {
  writeVarint(out, bytes.length);
  out.pushBytes(bytes);
}

/**
 * The start of FileMetaData, the same for every file of a writer: its version (1) and schema (2).
 * footerBytes resumes after it.
 */
export function metadataStart(schema: readonly SchemaElement[]): Uint8Array {
  const thrift = new CompactWriter(new ByteBuffer());
  thrift.i32(1, 2);
  thrift.structs(2, schema, (element) => {
    if (element.type) thrift.i32(1, PHYSICAL[element.type] as number);
    if (element.repetition_type) thrift.i32(3, REPETITION[element.repetition_type] as number);
    thrift.binary(4, utf8.encode(element.name));
    if (element.num_children !== undefined) thrift.i32(5, element.num_children);
    if (element.converted_type) thrift.i32(6, CONVERTED[element.converted_type] as number);
    const logical = element.logical_type;
    if (logical) thrift.struct(10, () => writeLogicalType(thrift, logical));
  });
  return thrift.out.view().slice();
}

/** LogicalType union: STRING (1), MAP (2), LIST (3), TIMESTAMP (8, {1 isAdjustedToUTC, 2 unit}). */
function writeLogicalType(thrift: CompactWriter, logical: LogicalType): void {
  const empty = () => {};
  if (logical.type === 'STRING') thrift.struct(1, empty);
  else if (logical.type === 'MAP') thrift.struct(2, empty);
  else if (logical.type === 'LIST') thrift.struct(3, empty);
  else if (logical.type === 'TIMESTAMP') {
    const unit = { MILLIS: 1, MICROS: 2, NANOS: 3 }[logical.unit];
    thrift.struct(8, () => {
      thrift.bool(1, logical.isAdjustedToUTC);
      thrift.struct(2, () => thrift.struct(unit, empty));
    });
  } else throw new RangeError(`no footer for logical type ${logical.type}`);
}

/**
 * The footer of a file whose pages end at `offset`: offset indexes of chunks of more than one page
 * (their positions set on the chunks), the FileMetaData, its length and the closing magic.
 */
export function footerBytes(
  start: Uint8Array,
  metadata: Pick<FileMetaData, 'schema' | 'num_rows' | 'row_groups'>,
  chunks: ReadonlyMap<ColumnChunk, ChunkFacts>,
  offset: number,
): Uint8Array {
  const out = new ByteBuffer(4096);
  for (const [chunk, { pages }] of chunks) {
    if (pages.length <= 1) continue;
    const at = out.length;
    const thrift = new CompactWriter(out);
    thrift.structs(1, pages, (page) => {
      thrift.i64(1, page.offset);
      thrift.i32(2, page.size);
      thrift.i64(3, page.firstRow);
    });
    thrift.stop();
    chunk.offset_index_offset = BigInt(offset + at);
    chunk.offset_index_length = out.length - at;
  }
  const metadataAt = out.length;
  const thrift = new CompactWriter(out);
  thrift.resume(start, 2);
  thrift.i64(3, metadata.num_rows);
  thrift.structs(4, metadata.row_groups, (group) => {
    thrift.structs(1, group.columns, (chunk) => writeColumnChunk(thrift, chunk, chunks.get(chunk)?.element));
    thrift.i64(2, group.total_byte_size);
    thrift.i64(3, group.num_rows);
    if (group.file_offset !== undefined) thrift.i64(5, group.file_offset);
    if (group.total_compressed_size !== undefined) thrift.i64(6, group.total_compressed_size);
  });
  thrift.binary(6, utf8.encode('tracesift'));
  const leaves = metadata.schema.filter((element) => element.type).length;
  thrift.structs(7, Array.from({ length: leaves }), () => thrift.struct(1, () => {})); // TYPE_ORDER
  thrift.stop();
  out.pushUint32(out.length - metadataAt);
  out.pushUint32(0x31524150); // "PAR1"
  return out.view();
}

export interface PageLocation {
  readonly offset: number;
  readonly size: number;
  readonly firstRow: number;
}

/** What the footer needs of a chunk besides its metadata: its leaf's schema element and pages. */
export interface ChunkFacts {
  readonly element: SchemaElement;
  readonly pages: readonly PageLocation[];
}

function writeColumnChunk(
  thrift: CompactWriter,
  chunk: ColumnChunk,
  element: SchemaElement | undefined,
): void {
  const meta = chunk.meta_data;
  thrift.i64(2, chunk.file_offset);
  if (meta)
    thrift.struct(3, () => {
      thrift.i32(1, PHYSICAL[meta.type] as number);
      thrift.i32s(
        2,
        meta.encodings.map((e) => ENCODING[e] as number),
      );
      thrift.strings(3, meta.path_in_schema);
      thrift.i32(4, CODEC[meta.codec] as number);
      thrift.i64(5, meta.num_values);
      thrift.i64(6, meta.total_uncompressed_size);
      thrift.i64(7, meta.total_compressed_size);
      thrift.i64(9, meta.data_page_offset);
      if (meta.dictionary_page_offset !== undefined) thrift.i64(11, meta.dictionary_page_offset);
      const statistics = meta.statistics;
      if (statistics && element) thrift.struct(12, () => writeStatistics(thrift, statistics, element));
    });
  if (chunk.offset_index_offset !== undefined) thrift.i64(4, chunk.offset_index_offset);
  if (chunk.offset_index_length !== undefined) thrift.i32(5, chunk.offset_index_length);
}

/** Statistics {1 max, 2 min, 3 null_count, 5 max_value, 6 min_value, 7/8 exact}, values as bytes. */
function writeStatistics(thrift: CompactWriter, statistics: Statistics, element: SchemaElement): void {
  const fields = unconvertStatistics(statistics, element) as Record<string, unknown>;
  for (let id = 1; id <= 8; id++) {
    const value = fields[`field_${id}`];
    if (value instanceof Uint8Array) thrift.binary(id, value);
    else if (typeof value === 'bigint') thrift.i64(id, value);
    else if (typeof value === 'boolean') thrift.bool(id, value);
  }
}
