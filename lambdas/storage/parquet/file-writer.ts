/**
 * A Parquet file written row by row: rows go into the leaves of the current row group (directly,
 * or through the compiled shredders of shred.ts); every `pageRows` rows each leaf encodes and
 * compresses a page, every `rowGroupRows` rows the row group is closed. What is held is the
 * compressed pages written so far plus one page of levels and values a leaf, never rows.
 *
 * Pages end on the same rows in every column and each chunk of more than one page has an offset
 * index, so a reader can decode a range of rows alone (compaction reads its inputs that way). The
 * footer (offset indexes and file metadata) is footer.ts's.
 */
import { endianness } from 'node:os';
import { constants as zlibConstants, zstdCompressSync } from 'node:zlib';
import type { ColumnChunk, RowGroup, SchemaElement } from 'hyparquet';
import { StorageError } from '../errors.ts';
import type { ColumnDefinition } from '../layout/layout.ts';
import type { ChunkFormat, ColumnChunkWriter, StringEncoding } from './column-chunk.ts';
import { type ChunkFacts, footerBytes, metadataStart } from './footer.ts';
import { parquetSchema, parseHiveType } from './schema.ts';
import { type ColumnShredder, chunkWriterFor, compileColumn } from './shred.ts';

export interface ParquetEncodeOptions {
  /** zstd level of every page. */
  readonly zstdLevel: number;
  /** Rows per row group. */
  readonly rowGroupRows: number;
  /** Rows per page (default PAGE_ROWS). */
  readonly pageRows?: number;
  /** Encoding of string leaves (default: dictionary, PLAIN once the dictionary is too large). */
  readonly stringEncoding?: StringEncoding;
  /** Encodings of particular string columns, by column name or leaf path (`span_attributes.key_value.value`). */
  readonly encodings?: Readonly<Record<string, StringEncoding>>;
  /**
   * Columns that get min/max statistics. Only those a query can prune on: statistics of random
   * ids and attribute maps prune nothing.
   */
  readonly statistics: ReadonlySet<string>;
}

/**
 * Rows a page. On the reference workload (5,000 traces, one file) 4,096 gave 26.5 B/span, 32,768
 * 26.6, 1,024 33.1 (zstd's fixed cost per page) and 8,192 27.4 (its span ids just exceed zstd's
 * 128 KB block); small pages also let a reader of a row range decode little beyond it.
 */
export const PAGE_ROWS = 4096;

if (endianness() !== 'LE') throw new StorageError('the Parquet writer copies typed arrays as little-endian');

/** `input` compressed with zstd at `level`, in a buffer of its own size. */
export function zstdCompress(input: Uint8Array, level: number): Uint8Array {
  const out = zstdCompressSync(input, {
    params: { [zlibConstants.ZSTD_c_compressionLevel]: level },
    pledgedSrcSize: input.length,
    // One output buffer of about the input's size: node:zlib's default allocates far more.
    chunkSize: Math.max(1024, input.length + 64),
  });
  // The result is a view of that buffer (at least 64 KB by default): kept as it is, a page or
  // block would hold its uncompressed size.
  return out.byteLength * 2 < out.buffer.byteLength ? new Uint8Array(out) : out;
}

const reusable = new WeakMap<ParquetEncodeOptions, ParquetFileWriter>();

/**
 * A writer of `columns` in `options`' format, kept for the next file with the same options object:
 * building one (schema, shredders, a few buffers for each of the spans table's 36 leaves) cost
 * ~1 ms, half the encoding time of a 2,000-span batch. Encoding is synchronous, so one writer per
 * format is never shared by two files; a file that failed half way is dropped by `reset`.
 */
export function reusableWriter(
  columns: readonly ColumnDefinition[],
  options: ParquetEncodeOptions,
  expectedRows = 0,
): ParquetFileWriter {
  const kept = reusable.get(options);
  if (kept?.columns === columns) {
    kept.reset();
    return kept;
  }
  const writer = new ParquetFileWriter(columns, options, expectedRows);
  reusable.set(options, writer);
  return writer;
}

export class ParquetFileWriter {
  public readonly columns: readonly ColumnDefinition[];
  private readonly schema: SchemaElement[];
  private readonly leaves: ColumnChunkWriter[] = [];
  private readonly byPath = new Map<string, ColumnChunkWriter>();
  private readonly shredders: { name: string; shredder: ColumnShredder }[] = [];
  private readonly pageRows: number;
  private readonly rowGroupRows: number;
  private parts: Uint8Array[] = [magicBytes()];
  private rowGroups: RowGroup[] = [];
  private chunkFacts = new Map<ColumnChunk, ChunkFacts>();
  /** The footer's first bytes, the same for every file (footer.ts). */
  private start: Uint8Array | undefined;
  private offset = 4;
  private rows = 0;
  private pageStartRow = 0;
  private groupStartRow = 0;

  /** `expectedRows`, when known, sizes the page buffers from the start. */
  public constructor(columns: readonly ColumnDefinition[], options: ParquetEncodeOptions, expectedRows = 0) {
    this.columns = columns;
    this.schema = parquetSchema(columns);
    this.pageRows = options.pageRows ?? PAGE_ROWS;
    this.rowGroupRows = options.rowGroupRows;
    const compress = (input: Uint8Array) => zstdCompress(input, options.zstdLevel);
    const pageValues = Math.min(expectedRows, this.pageRows, this.rowGroupRows);
    for (const column of columns) {
      const shredder = compileColumn(column.name, parseHiveType(column.type), (shape, typeName) => {
        const path = shape.path.join('.');
        const format: ChunkFormat = {
          compress,
          pageValues,
          // Statistics are for flat columns: a min of a map's keys prunes nothing.
          statistics: options.statistics.has(column.name) && shape.path.length === 1,
          stringEncoding:
            options.encodings?.[path] ??
            options.encodings?.[column.name] ??
            options.stringEncoding ??
            'RLE_DICTIONARY',
        };
        const writer = chunkWriterFor(typeName, shape, format);
        this.leaves.push(writer);
        this.byPath.set(path, writer);
        return writer;
      });
      this.shredders.push({ name: column.name, shredder });
    }
  }

  /** The writer of a leaf, by its dotted path (`span_attributes.key_value.key`). */
  public leaf<T extends ColumnChunkWriter>(path: string, kind: abstract new (...args: never[]) => T): T {
    const writer = this.byPath.get(path);
    if (!(writer instanceof kind)) throw new StorageError(`no ${kind.name} leaf ${path} in this table`);
    return writer;
  }

  /** The leaves of a top-level column, in schema order. */
  public leavesOf(name: string): ColumnChunkWriter[] {
    return this.leaves.filter((leaf) => leaf.shape.path[0] === name);
  }

  /** The shredder of a top-level column. */
  public column(name: string): ColumnShredder {
    const found = this.shredders.find((s) => s.name === name);
    if (!found) throw new StorageError(`no column ${name} in this table`);
    return found.shredder;
  }

  /** Writes a row given as an object keyed by column name (absent columns are null). */
  public writeRow(row: Readonly<Record<string, unknown>>): void {
    for (const { name, shredder } of this.shredders) shredder.write(row[name], 0);
    this.endRow();
  }

  /** Ends a row whose values were written into the leaves. */
  public endRow(): void {
    this.rows++;
    if (this.rows - this.groupStartRow === this.rowGroupRows) this.endRowGroup();
    else if (this.rows - this.pageStartRow === this.pageRows) this.endPage();
  }

  /** Whether the next endRow() ends a page: values a caller held back must be in its leaves by then. */
  public get endsPage(): boolean {
    const rows = this.rows + 1;
    return rows - this.groupStartRow === this.rowGroupRows || rows - this.pageStartRow === this.pageRows;
  }

  public get rowCount(): number {
    return this.rows;
  }

  /** The file: the pages written, then the offset indexes and the footer. The writer is empty again. */
  public finish(): Uint8Array {
    if (this.rows > this.groupStartRow) this.endRowGroup();
    this.start ??= metadataStart(this.schema);
    const metadata = { schema: this.schema, num_rows: BigInt(this.rows), row_groups: this.rowGroups };
    this.parts.push(footerBytes(this.start, metadata, this.chunkFacts, this.offset));
    const file = Buffer.concat(this.parts);
    this.reset();
    return file;
  }

  /** Drops whatever was written: the next row starts a new file. */
  public reset(): void {
    for (const leaf of this.leaves) leaf.reset();
    this.parts = [magicBytes()];
    this.rowGroups = [];
    this.chunkFacts = new Map();
    this.offset = 4;
    this.rows = 0;
    this.pageStartRow = 0;
    this.groupStartRow = 0;
  }

  private endPage(): void {
    const rows = this.rows - this.pageStartRow;
    for (const leaf of this.leaves) leaf.endPage(rows);
    this.pageStartRow = this.rows;
  }

  private endRowGroup(): void {
    this.endPage();
    const start = this.offset;
    const columns: ColumnChunk[] = [];
    let uncompressed = 0n;
    for (const leaf of this.leaves) {
      const encoded = leaf.finishChunk();
      const chunkStart = this.offset;
      for (const page of encoded.pages) {
        this.parts.push(page);
        this.offset += page.length;
      }
      const firstData = chunkStart + (encoded.dataPages[0]?.offset ?? encoded.dictionaryBytes);
      const chunk: ColumnChunk = {
        file_offset: BigInt(chunkStart),
        meta_data: {
          ...encoded.meta,
          data_page_offset: BigInt(firstData),
          ...(encoded.dictionaryBytes ? { dictionary_page_offset: BigInt(chunkStart) } : {}),
        },
      };
      uncompressed += encoded.meta.total_uncompressed_size;
      columns.push(chunk);
      this.chunkFacts.set(chunk, {
        element: leaf.shape.element,
        pages: encoded.dataPages.map((page, i) => ({
          offset: chunkStart + page.offset,
          size: (encoded.dataPages[i + 1]?.offset ?? this.offset - chunkStart) - page.offset,
          firstRow: page.firstRow,
        })),
      });
    }
    this.rowGroups.push({
      columns,
      total_byte_size: uncompressed,
      num_rows: BigInt(this.rows - this.groupStartRow),
      file_offset: BigInt(start),
      total_compressed_size: BigInt(this.offset - start),
    });
    this.groupStartRow = this.rows;
  }
}

/** "PAR1", the first bytes of every file. */
function magicBytes(): Uint8Array {
  return new Uint8Array([0x50, 0x41, 0x52, 0x31]);
}
