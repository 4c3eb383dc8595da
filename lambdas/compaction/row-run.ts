/**
 * Runs: the rows a rewrite holds between its phases (a bucket's spill, a bucket's sorted run, a
 * merge round's output), kept in memory as blocks of rows in V8's value serialization, each block
 * compressed with zstd at its fastest level.
 *
 * V8's serialization is exact for every value a decoded row holds (strings, numbers, bigints,
 * booleans, null, dates, arrays, objects) and costs ~6 us a span row each way, where writing a row
 * to Parquet and decoding it again with hyparquet costs ~50 us; a block of 256 span rows compresses
 * to ~40 B a row. A run is read row by row, one block decompressed at a time, so reading holds one
 * row and one block of each run, not a slice of decoded rows.
 */
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import { zstdDecompressSync } from 'node:zlib';
import { zstdCompress } from '../storage/index.ts';
import { RunBlockError } from './errors.ts';
import type { Row } from './refresh.ts';

/** Where rows are written: a run or a Parquet file. */
export interface RowSink {
  writeRow(row: Row): void;
}

interface RunBlock {
  readonly bytes: Uint8Array;
  /** Its size serialized (uncompressed). */
  readonly size: number;
  readonly rows: number;
}

/**
 * A finished run: its compressed blocks, in the order its rows were written. It is read once
 * (runRows), which takes its blocks and lets each go once read: a merge's inputs shrink as its
 * output grows.
 */
export interface RowRun {
  readonly blocks: RunBlock[];
  readonly rows: number;
}

const ZSTD_FASTEST = 1;

/** Writes rows into a run, `blockRows` rows a block. */
export class RowRunWriter implements RowSink {
  private readonly blocks: RunBlock[] = [];
  /** One a block: a serializer refers back to objects it wrote before (a date shared by rows). */
  private serializer = new DefaultSerializer();
  private blockRows = 0;
  private total = 0;
  private readonly rowsPerBlock: number;

  public constructor(rowsPerBlock: number) {
    this.rowsPerBlock = rowsPerBlock;
  }

  public writeRow(row: Row): void {
    if (this.blockRows === 0) this.serializer.writeHeader();
    this.serializer.writeValue(row);
    this.blockRows++;
    this.total++;
    if (this.blockRows >= this.rowsPerBlock) this.endBlock();
  }

  public get rowCount(): number {
    return this.total;
  }

  /** The run; the writer is not used again. */
  public finish(): RowRun {
    this.endBlock();
    return { blocks: this.blocks, rows: this.total };
  }

  private endBlock(): void {
    if (this.blockRows === 0) return;
    const serialized = this.serializer.releaseBuffer();
    this.blocks.push({
      bytes: zstdCompress(serialized, ZSTD_FASTEST),
      size: serialized.length,
      rows: this.blockRows,
    });
    this.serializer = new DefaultSerializer();
    this.blockRows = 0;
  }
}

/** The rows of a run, in order, one block decompressed at a time; the run is empty afterwards. */
export function* runRows(run: RowRun): Generator<Row> {
  const blocks: (RunBlock | undefined)[] = run.blocks.splice(0);
  for (let index = 0; index < blocks.length; index++) {
    const block = blocks[index] as RunBlock;
    blocks[index] = undefined;
    const deserializer = blockDeserializer(block, index);
    for (let i = 0; i < block.rows; i++) yield deserializer.readValue() as Row;
  }
}

function blockDeserializer(block: RunBlock, index: number): DefaultDeserializer {
  try {
    const serialized = zstdDecompressSync(block.bytes, { chunkSize: Math.max(block.size, 64) });
    const deserializer = new DefaultDeserializer(serialized);
    deserializer.readHeader();
    return deserializer;
  } catch (error) {
    throw new RunBlockError(index, error);
  }
}
