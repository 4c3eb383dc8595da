/**
 * Reading Parquet back (compaction; tests use it as the independent reader): hyparquet, with zstd
 * from Node's zlib.
 */
import { zstdDecompressSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { StorageError } from '../errors.ts';

const compressors = {
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => {
    const out = zstdDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
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
