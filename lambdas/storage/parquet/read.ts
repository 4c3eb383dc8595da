/**
 * Reading Parquet back (compaction; tests use it as the independent reader): hyparquet, with zstd
 * from Node's zlib.
 */
import { zstdDecompressSync } from 'node:zlib';
import { type FileMetaData, parquetMetadata, parquetReadObjects } from 'hyparquet';
import { StorageError } from '../errors.ts';

const compressors = {
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => {
    // One output buffer of the page's size: node:zlib's default builds it from 64 KB chunks.
    const out = zstdDecompressSync(input, {
      maxOutputLength: Math.max(outputLength, 1),
      chunkSize: Math.max(outputLength, 64),
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};

/** The bytes as an ArrayBuffer of their own: copied only when they are a view of a larger one. */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Every row of a file as an object keyed by column name (nested columns as objects and arrays). */
export async function readParquetRows(
  bytes: Uint8Array,
  columns?: readonly string[],
): Promise<Record<string, unknown>[]> {
  try {
    return await parquetReadObjects({
      file: arrayBufferOf(bytes),
      compressors,
      ...(columns ? { columns: [...columns] } : {}),
    });
  } catch (error) {
    throw new StorageError(`cannot read Parquet file: ${(error as Error).message}`, { cause: error });
  }
}

/** Row count of a file from its footer. */
export function parquetRowCount(bytes: Uint8Array): number {
  return Number(parquetMetadata(arrayBufferOf(bytes)).num_rows);
}

/** A file opened for reading ranges of rows: its bytes and parsed footer. */
export interface ParquetSource {
  readonly file: ArrayBuffer;
  readonly metadata: FileMetaData;
  readonly rows: number;
}

export function openParquet(bytes: Uint8Array): ParquetSource {
  const file = arrayBufferOf(bytes);
  try {
    const metadata = parquetMetadata(file);
    return { file, metadata, rows: Number(metadata.num_rows) };
  } catch (error) {
    throw new StorageError(`cannot read Parquet footer: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Rows [start, end) of a file. With the offset index (which the writer writes for every chunk of
 * more than one page), only the pages holding those rows are decoded, so memory follows the range,
 * not the file.
 */
export async function readParquetRange(
  source: ParquetSource,
  start: number,
  end: number,
  columns?: readonly string[],
): Promise<Record<string, unknown>[]> {
  try {
    return await parquetReadObjects({
      file: source.file,
      metadata: source.metadata,
      rowStart: start,
      rowEnd: end,
      useOffsetIndex: true,
      compressors,
      ...(columns ? { columns: [...columns] } : {}),
    });
  } catch (error) {
    throw new StorageError(`cannot read Parquet rows ${start}..${end}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
