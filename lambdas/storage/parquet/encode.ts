/**
 * Column arrays -> one Parquet file (file-writer.ts), schema generated from the Glue column types.
 * The spans table of the writers has its own, faster path (span-rows.ts).
 */
import { StorageError } from '../errors.ts';
import type { ColumnDefinition } from '../layout/layout.ts';
import { type ParquetEncodeOptions, reusableWriter } from './file-writer.ts';

export type { ParquetEncodeOptions } from './file-writer.ts';

/** Values of each column, row by row (every array as long as the first). */
export type ColumnArrays = Record<string, readonly unknown[]>;

export function encodeParquet(
  columns: readonly ColumnDefinition[],
  data: ColumnArrays,
  options: ParquetEncodeOptions,
): Uint8Array {
  const writer = reusableWriter(columns, options);
  const sources = columns.map((column) => {
    const values = data[column.name];
    if (!values) throw new StorageError(`no data for Parquet column ${column.name}`);
    return { values, shredder: writer.column(column.name) };
  });
  const rows = sources[0]?.values.length ?? 0;
  for (const { values } of sources)
    if (values.length !== rows) throw new StorageError('Parquet columns must all have as many rows');
  for (let row = 0; row < rows; row++) {
    for (const { values, shredder } of sources) shredder.write(values[row], 0);
    writer.endRow();
  }
  return writer.finish();
}
