/**
 * Page headers (Thrift compact protocol) of the two page types the writer makes, DATA_PAGE and
 * DICTIONARY_PAGE, written straight into the page's bytes: a file of the spans table has ~40 of
 * them, and hyparquet-writer's generic serializer allocated a 1 KB buffer for each.
 *
 * Field ids and enum values from parquet.thrift: PageHeader {1 type, 2 uncompressed_page_size,
 * 3 compressed_page_size, 5 data_page_header, 7 dictionary_page_header}; DataPageHeader
 * {1 num_values, 2 encoding, 3 definition_level_encoding, 4 repetition_level_encoding};
 * DictionaryPageHeader {1 num_values, 2 encoding}.
 */
import type { Encoding } from 'hyparquet';
import type { ByteBuffer } from './buffers.ts';
import { writeVarint } from './rle.ts';

const I32 = 5;
const STRUCT = 12;
const STOP = 0;

const PAGE_TYPE = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;

/** Encoding enum values of parquet.thrift (the footer writes them too). */
export const ENCODING: Readonly<Record<string, number>> = {
  PLAIN: 0,
  RLE: 3,
  DELTA_BINARY_PACKED: 5,
  DELTA_LENGTH_BYTE_ARRAY: 6,
  RLE_DICTIONARY: 8,
};

export interface PageSizes {
  readonly uncompressed: number;
  readonly compressed: number;
}

/** Header of a DATA_PAGE of `values` levels whose values are in `encoding`, levels RLE. */
export function writeDataPageHeader(out: ByteBuffer, sizes: PageSizes, values: number, encoding: Encoding) {
  writePageStart(out, PAGE_TYPE.DATA_PAGE, sizes);
  out.push((2 << 4) | STRUCT); // field 5 (delta 2 from 3): data_page_header
  writeI32Field(out, 1, values);
  writeI32Field(out, 1, encodingValue(encoding));
  writeI32Field(out, 1, ENCODING.RLE as number);
  writeI32Field(out, 1, ENCODING.RLE as number);
  out.push(STOP);
  out.push(STOP);
}

/** Header of a DICTIONARY_PAGE of `values` PLAIN entries. */
export function writeDictionaryPageHeader(out: ByteBuffer, sizes: PageSizes, values: number) {
  writePageStart(out, PAGE_TYPE.DICTIONARY_PAGE, sizes);
  out.push((4 << 4) | STRUCT); // field 7 (delta 4 from 3): dictionary_page_header
  writeI32Field(out, 1, values);
  writeI32Field(out, 1, ENCODING.PLAIN as number);
  out.push(STOP);
  out.push(STOP);
}

function writePageStart(out: ByteBuffer, type: number, sizes: PageSizes): void {
  writeI32Field(out, 1, type);
  writeI32Field(out, 1, sizes.uncompressed);
  writeI32Field(out, 1, sizes.compressed);
}

/** An i32 field `delta` ids after the previous one (all fields here follow each other closely). */
function writeI32Field(out: ByteBuffer, delta: number, value: number): void {
  out.push((delta << 4) | I32);
  writeZigzag(out, value);
}

/** A Thrift compact i32 or i64 value: zigzag, then varint. */
export function writeZigzag(out: ByteBuffer, value: number): void {
  writeVarint(out, value >= 0 ? value * 2 : -value * 2 - 1);
}

function encodingValue(encoding: Encoding): number {
  const value = ENCODING[encoding];
  if (value === undefined) throw new RangeError(`no page header for encoding ${encoding}`);
  return value;
}
