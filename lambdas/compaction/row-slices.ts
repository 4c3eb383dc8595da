/** Reading a Parquet file slice by slice, each slice counted on the gauge while it is in use. */
import { type ParquetSource, readParquetRange } from '../storage/index.ts';
import type { Row } from './refresh.ts';
import type { RowGauge } from './row-gauge.ts';

/**
 * The rows of a file, `sliceRows` at a time. A slice counts as held until the next one is asked
 * for (or the loop ends), so a consumer that keeps rows must count them itself.
 */
export async function* rowSlices(
  source: ParquetSource,
  sliceRows: number,
  gauge: RowGauge,
  columns?: readonly string[],
): AsyncGenerator<Row[]> {
  for (let start = 0; start < source.rows; start += sliceRows) {
    const rows = await readParquetRange(source, start, Math.min(start + sliceRows, source.rows), columns);
    gauge.hold(rows.length);
    try {
      yield rows;
    } finally {
      gauge.release(rows.length);
    }
  }
}
