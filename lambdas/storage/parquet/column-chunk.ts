/**
 * One leaf column of a row group being written: its definition and repetition levels and its values,
 * encoded page by page (DATA_PAGE: levels RLE/bit-packed, values PLAIN, RLE_DICTIONARY or
 * DELTA_LENGTH_BYTE_ARRAY, compressed with zstd) as the rows come. Only what the
 * tables use is here: BYTE_ARRAY strings, INT64, INT32, DOUBLE and BOOLEAN leaves.
 *
 * The delta encoder is hyparquet-writer's.
 */
import type { ColumnMetaData, Encoding, SchemaElement, Statistics } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { ParquetValueError } from '../errors.ts';
import { ByteBuffer, Float64Buffer, Int32Buffer, Int64Buffer } from './buffers.ts';
import { writeDataPageHeader, writeDictionaryPageHeader } from './page-header.ts';
import { bitWidth, writeHybrid, writeRepeated } from './rle.ts';

/** Where a leaf sits in the schema. */
export interface LeafShape {
  readonly path: readonly string[];
  readonly element: SchemaElement;
  readonly maxDefinitionLevel: number;
  readonly maxRepetitionLevel: number;
}

export type StringEncoding = 'RLE_DICTIONARY' | 'PLAIN' | 'DELTA_LENGTH_BYTE_ARRAY';

export interface ChunkFormat {
  readonly compress: (bytes: Uint8Array) => Uint8Array;
  /** Values a page is expected to hold (buffers start at that size; 0: small). */
  readonly pageValues: number;
  readonly statistics: boolean;
  readonly stringEncoding: StringEncoding;
}

/** A finished column chunk: its pages in file order and its metadata (offsets from its start). */
export interface EncodedChunk {
  /** The bytes of its pages, in order (a page may be in more than one part). */
  readonly pages: readonly Uint8Array[];
  /** Offset from the chunk's start and first row of each data page. */
  readonly dataPages: readonly { readonly offset: number; readonly firstRow: number }[];
  readonly dictionaryBytes: number;
  readonly meta: Omit<ColumnMetaData, 'data_page_offset' | 'dictionary_page_offset'>;
}

/**
 * A chunk smaller than this is stored uncompressed (the codec is chosen per chunk): a zstd call
 * costs ~20 µs whatever its size (node:zlib builds a context each time), more than it saves on a
 * few hundred bytes, and a batch file has many such chunks.
 */
const COMPRESS_MIN_BYTES = 256;

/**
 * Dictionary bytes (UTF-16 code units, close enough) above which the rest of a chunk's pages are
 * PLAIN, as parquet-mr does: a column of mostly distinct values gains nothing from a dictionary.
 */
const DICTIONARY_LIMIT = 1 << 20;

/** Entries at most in a dictionary: its indices stay within writeHybrid's 24 bits. */
const DICTIONARY_ENTRIES = 1 << 20;

/** Levels of a v1 page: their byte length, then the RLE/bit-packed hybrid runs. */
function writeLevels(out: ByteBuffer, levels: ByteBuffer, max: number): void {
  const at = out.length;
  out.pushUint32(0);
  const length = writeHybrid(out, levels.bytes, levels.length, bitWidth(max));
  out.setUint32(at, length);
}

/** Levels of a v1 page whose `count` levels are all `level`. */
function writeLevelRun(out: ByteBuffer, level: number, count: number): void {
  const at = out.length;
  out.pushUint32(0);
  const length = writeRepeated(out, level, count, bitWidth(level));
  out.setUint32(at, length);
}

/**
 * The page being encoded, shared by every leaf of every writer: encoding is synchronous and a page
 * is compressed (or copied) before the next one starts, so one buffer serves them all instead of
 * one a leaf (30 MB over the 54 writers of a bucketed compaction of 500,000 spans).
 */
const PAGE_SCRATCH = new ByteBuffer(1 << 16);

/** A data page not yet written: its content before compression. */
interface RawPage {
  readonly content: Uint8Array;
  readonly values: number;
  readonly encoding: Encoding;
  readonly firstRow: number;
}

export abstract class ColumnChunkWriter {
  public readonly shape: LeafShape;
  protected readonly format: ChunkFormat;
  private readonly definitions: ByteBuffer;
  private readonly repetitions: ByteBuffer;
  private readonly header = new ByteBuffer(64);
  private readonly maxDefinition: number;
  private readonly repeated: boolean;
  private pages: Uint8Array[] = [];
  private dataPages: { offset: number; firstRow: number }[] = [];
  /** Pages held back until the chunk has COMPRESS_MIN_BYTES, when its codec is decided. */
  private held: RawPage[] = [];
  private heldBytes = 0;
  private compressing = false;
  private chunkBytes = 0;
  private uncompressedBytes = 0;
  private chunkValues = 0;
  private chunkNulls = 0;
  private chunkRows = 0;
  /** Nulls in the page in progress: without any, its definition levels are one run. */
  private pageNulls = 0;
  private readonly encodings = new Set<Encoding>();

  public constructor(shape: LeafShape, format: ChunkFormat) {
    this.shape = shape;
    this.format = format;
    this.maxDefinition = shape.maxDefinitionLevel;
    this.repeated = shape.maxRepetitionLevel > 0;
    this.definitions = new ByteBuffer(format.pageValues);
    this.repetitions = new ByteBuffer(this.repeated ? format.pageValues : 0);
  }

  /** A null (or an empty or absent ancestor) at definition level `definition`. */
  public addNull(definition: number, repetition: number): void {
    this.definitions.push(definition);
    if (this.repeated) this.repetitions.push(repetition);
    this.chunkNulls++;
    this.pageNulls++;
  }

  /** `count` nulls at definition level `definition`, each at repetition level `repetition`. */
  public addNulls(definition: number, repetition: number, count: number): void {
    this.definitions.pushRepeated(definition, count);
    if (this.repeated) this.repetitions.pushRepeated(repetition, count);
    this.chunkNulls += count;
    this.pageNulls += count;
  }

  /** Any value of the leaf's type (the generic path of shred.ts); null and undefined are nulls. */
  public abstract addValue(value: unknown, repetition: number): void;

  /**
   * Ends the page after `rows` more rows (page boundaries fall on rows for every leaf alike).
   * DATA_PAGE (v1): the levels are compressed with the values, which matters for maps, whose
   * repetition levels repeat the same pattern every row (DATA_PAGE_V2 stores levels raw: 3 B a
   * span more on the reference workload).
   */
  public endPage(rows: number): void {
    const values = this.definitions.length;
    if (values === 0) return;
    const content = PAGE_SCRATCH;
    content.clear();
    if (this.repeated) writeLevels(content, this.repetitions, this.shape.maxRepetitionLevel);
    // Without nulls every definition level is the maximum (most pages, and map entries in a page
    // with no empty map): the run writeHybrid would find, without the scan.
    if (this.pageNulls === 0) writeLevelRun(content, this.maxDefinition, values);
    else writeLevels(content, this.definitions, this.maxDefinition);
    const encoding = this.writePageValues(content);
    this.definitions.clear();
    this.repetitions.clear();
    this.pageNulls = 0;
    const page: RawPage = { content: content.view(), values, encoding, firstRow: this.chunkRows };
    this.chunkRows += rows;
    this.chunkValues += values;
    this.encodings.add(encoding);
    // Compressed straight from the scratch buffer once the codec is decided; only pages held until
    // then are copied.
    if (!this.compressing && this.heldBytes + page.content.length >= COMPRESS_MIN_BYTES)
      this.startCompressing();
    if (this.compressing) {
      this.writePage(page);
      return;
    }
    this.held.push({ ...page, content: page.content.slice() });
    this.heldBytes += page.content.length;
  }

  /** Drops the chunk in progress (its pages and values). */
  public reset(): void {
    this.pageNulls = 0;
    this.definitions.clear();
    this.repetitions.clear();
    this.clearPageValues();
    this.clearChunk();
  }

  /** The chunk of the row group, dictionary page first; the writer is empty again afterwards. */
  public finishChunk(): EncodedChunk {
    const dictionaryContent = this.dictionaryContent();
    if (!this.compressing && this.heldBytes + (dictionaryContent?.bytes.length ?? 0) >= COMPRESS_MIN_BYTES)
      this.compressing = true;
    for (const page of this.held) this.writePage(page);
    const dictionary =
      dictionaryContent && this.dictionaryPageOf(dictionaryContent.bytes, dictionaryContent.count);
    const pages = dictionary ? [...dictionary.parts, ...this.pages] : this.pages;
    const shift = dictionary?.parts.reduce((sum, part) => sum + part.length, 0) ?? 0;
    const statistics = this.format.statistics ? this.statistics() : undefined;
    const uncompressed = this.uncompressedBytes + (dictionary?.uncompressed ?? 0);
    const chunk: EncodedChunk = {
      pages,
      dataPages: this.dataPages.map((p) => ({ offset: p.offset + shift, firstRow: p.firstRow })),
      dictionaryBytes: shift,
      meta: {
        type: this.shape.element.type ?? 'BYTE_ARRAY',
        encodings: dictionary ? ['PLAIN', 'RLE', ...this.encodings] : ['RLE', ...this.encodings],
        path_in_schema: [...this.shape.path],
        codec: this.compressing ? 'ZSTD' : 'UNCOMPRESSED',
        num_values: BigInt(this.chunkValues),
        total_uncompressed_size: BigInt(uncompressed),
        total_compressed_size: BigInt(this.chunkBytes + shift),
        ...(statistics ? { statistics: { ...statistics, null_count: BigInt(this.chunkNulls) } } : {}),
      },
    };
    this.clearChunk();
    return chunk;
  }

  private clearChunk(): void {
    this.pages = [];
    this.dataPages = [];
    this.held = [];
    this.heldBytes = 0;
    this.compressing = false;
    this.chunkBytes = 0;
    this.uncompressedBytes = 0;
    this.chunkValues = 0;
    this.chunkNulls = 0;
    this.chunkRows = 0;
    this.encodings.clear();
    this.resetChunkValues();
  }

  private startCompressing(): void {
    this.compressing = true;
    for (const page of this.held) this.writePage(page);
    this.held = [];
    this.heldBytes = 0;
  }

  private writePage(page: RawPage): void {
    const stored = this.compressing ? this.format.compress(page.content) : page.content;
    const header = this.headerBytes((out) =>
      writeDataPageHeader(
        out,
        { uncompressed: page.content.length, compressed: stored.length },
        page.values,
        page.encoding,
      ),
    );
    this.dataPages.push({ offset: this.chunkBytes, firstRow: page.firstRow });
    this.pages.push(header, stored);
    this.chunkBytes += header.length + stored.length;
    this.uncompressedBytes += header.length + page.content.length;
  }

  private headerBytes(write: (out: ByteBuffer) => void): Uint8Array {
    this.header.clear();
    write(this.header);
    return this.header.view().slice();
  }

  /** A dictionary page holding `bytes` (PLAIN values) with `count` entries. */
  private dictionaryPageOf(bytes: Uint8Array, count: number): { parts: Uint8Array[]; uncompressed: number } {
    const stored = this.compressing ? this.format.compress(bytes) : bytes;
    const header = this.headerBytes((out) =>
      writeDictionaryPageHeader(out, { uncompressed: bytes.length, compressed: stored.length }, count),
    );
    return { parts: [header, stored], uncompressed: header.length + bytes.length };
  }

  /** Levels of `count` values of one list or map: the first at `first`, the others at `next`. */
  protected addLevelRun(count: number, first: number, next: number): void {
    this.definitions.pushRepeated(this.maxDefinition, count);
    if (!this.repeated) return;
    this.repetitions.push(first);
    this.repetitions.pushRepeated(next, count - 1);
  }

  protected addLevels(repetition: number): void {
    this.definitions.push(this.maxDefinition);
    if (this.repeated) this.repetitions.push(repetition);
  }

  /** A null value of this leaf, its parent present (a required leaf, a map key, takes none). */
  protected addMissing(repetition: number): void {
    if (this.shape.element.repetition_type === 'REQUIRED') this.rejectValue(null);
    this.addNull(this.maxDefinition - 1, repetition);
  }

  protected rejectValue(value: unknown): never {
    throw new ParquetValueError(this.shape.path.join('.'), this.shape.element.type ?? '', value);
  }

  /** Appends the page's non-null values, encoded, to `out` and clears them; returns the encoding. */
  protected abstract writePageValues(out: ByteBuffer): Encoding;

  /** Min and max of the chunk's non-null values (absent when it has none). */
  protected abstract statistics(): Pick<Statistics, 'min_value' | 'max_value'> | undefined;

  protected resetChunkValues(): void {}

  /** Drops the values of the page in progress. */
  protected abstract clearPageValues(): void;

  /** The PLAIN values of the chunk's dictionary, if its values are dictionary-encoded. */
  protected dictionaryContent(): { bytes: Uint8Array; count: number } | undefined {
    return undefined;
  }
}

/**
 * Strings that many rows repeat (a resource's attribute keys, or values): a string chunk writer
 * looks up their dictionary indices once per dictionary instead of once per row.
 */
export class SharedStrings {
  public readonly values: readonly string[];
  public indexes: Int32Array | undefined;
  public owner: StringChunkWriter | undefined;
  public dictionary = -1;

  public constructor(values: readonly string[]) {
    this.values = values;
  }
}

/** The last value a caller added through addRemembered, and its dictionary index. */
export interface StringMemo {
  value: string | undefined;
  index: number;
  generation: number;
}

export function stringMemo(): StringMemo {
  return { value: undefined, index: 0, generation: -1 };
}

/**
 * UTF-8 strings: dictionary-encoded until the dictionary outgrows DICTIONARY_LIMIT (PLAIN after),
 * or PLAIN or DELTA_LENGTH_BYTE_ARRAY throughout when the format says so.
 */
export class StringChunkWriter extends ColumnChunkWriter {
  private dictionary = new Map<string, number>();
  /** Which dictionary this is (SharedStrings remember the one their indexes belong to). */
  private generation = 0;
  private entries: string[] = [];
  private entryChars = 0;
  /** The last value added and its index: sorted and low-cardinality columns repeat it. */
  private lastValue: string | undefined;
  private lastIndex = 0;
  private readonly indices: Int32Buffer;
  private readonly text: ByteBuffer;
  private readonly lengths: Int32Buffer;
  private encoding: StringEncoding;
  /** Extremes of values written outside the dictionary, for statistics. */
  private plainMin: string | undefined;
  private plainMax: string | undefined;

  public constructor(shape: LeafShape, format: ChunkFormat) {
    super(shape, format);
    this.encoding = format.stringEncoding;
    const dictionary = format.stringEncoding === 'RLE_DICTIONARY';
    this.indices = new Int32Buffer(dictionary ? format.pageValues : 0);
    this.text = new ByteBuffer(dictionary ? 0 : format.pageValues * 16);
    this.lengths = new Int32Buffer(dictionary ? 0 : format.pageValues);
  }

  public add(value: string, repetition: number): void {
    this.addLevels(repetition);
    if (this.encoding !== 'RLE_DICTIONARY') {
      this.lengths.push(this.text.pushUtf8(value));
      if (this.format.statistics) this.observe(value);
    } else if (value === this.lastValue) this.indices.push(this.lastIndex);
    else {
      const index = this.indexOf(value);
      this.lastValue = value;
      this.lastIndex = index;
      this.indices.push(index);
    }
  }

  /** Adds `shared.values` as the entries of one map or list: repetition `first`, then `next`. */
  public addShared(shared: SharedStrings, first: number, next: number): void {
    const values = shared.values;
    if (this.encoding !== 'RLE_DICTIONARY') {
      for (let i = 0; i < values.length; i++) this.add(values[i] as string, i === 0 ? first : next);
      return;
    }
    if (shared.owner !== this || shared.dictionary !== this.generation || !shared.indexes) this.index(shared);
    this.addLevelRun(values.length, first, next);
    this.indices.pushAll(shared.indexes as Int32Array);
  }

  /**
   * Looks up the dictionary indices of `shared`. Apart from addShared: a closure over `this` there
   * would have every call allocate a context (~90 B a span, the resource map's two leaves).
   */
  private index(shared: SharedStrings): void {
    const indexes = new Int32Array(shared.values.length);
    for (let i = 0; i < indexes.length; i++) indexes[i] = this.indexOf(shared.values[i] as string);
    shared.indexes = indexes;
    shared.owner = this;
    shared.dictionary = this.generation;
  }

  /**
   * Adds `value`, which a caller expects to repeat (one attribute key's values): `memo` keeps its
   * dictionary index, so a repeat costs no dictionary lookup.
   */
  public addRemembered(memo: StringMemo, value: string, repetition: number): void {
    if (memo.value === value && memo.generation === this.generation && this.encoding === 'RLE_DICTIONARY') {
      this.addLevels(repetition);
      this.indices.push(memo.index);
      return;
    }
    this.add(value, repetition);
    memo.value = value;
    memo.index = this.lastIndex;
    memo.generation = this.encoding === 'RLE_DICTIONARY' ? this.generation : -1;
  }

  public addValue(value: unknown, repetition: number): void {
    if (value === null || value === undefined) this.addMissing(repetition);
    else if (typeof value === 'string') this.add(value, repetition);
    else this.rejectValue(value);
  }

  protected writePageValues(out: ByteBuffer): Encoding {
    if (this.indices.length > 0) {
      const width = bitWidth(this.entries.length - 1);
      out.push(width);
      writeHybrid(out, this.indices.values, this.indices.length, width);
      this.indices.clear();
      // A dictionary grown past the limit serves the pages written so far; later ones are PLAIN.
      if (this.entryChars > DICTIONARY_LIMIT || this.entries.length > DICTIONARY_ENTRIES) {
        this.encoding = 'PLAIN';
        this.forgetDictionary();
      }
      return 'RLE_DICTIONARY';
    }
    const encoding = this.encoding === 'DELTA_LENGTH_BYTE_ARRAY' ? 'DELTA_LENGTH_BYTE_ARRAY' : 'PLAIN';
    if (encoding === 'PLAIN') this.writePlain(out);
    else this.writeDeltaLength(out);
    this.text.clear();
    this.lengths.clear();
    return encoding;
  }

  protected override dictionaryContent() {
    if (this.entries.length === 0) return undefined;
    // Sized for ASCII entries and their length prefixes: other text grows it.
    const out = new ByteBuffer(this.entryChars + 4 * this.entries.length);
    for (const entry of this.entries) {
      const at = out.length;
      out.pushUint32(0);
      const length = out.pushUtf8(entry);
      out.setUint32(at, length);
    }
    return { bytes: out.view(), count: this.entries.length };
  }

  protected statistics() {
    let min = this.plainMin;
    let max = this.plainMax;
    for (const entry of this.entries) {
      if (min === undefined || compareUtf8(entry, min) < 0) min = entry;
      if (max === undefined || compareUtf8(entry, max) > 0) max = entry;
    }
    return min === undefined ? undefined : { min_value: min, max_value: max };
  }

  protected clearPageValues(): void {
    this.indices.clear();
    this.text.clear();
    this.lengths.clear();
  }

  protected override resetChunkValues(): void {
    this.forgetDictionary();
    this.entries = [];
    this.entryChars = 0;
    this.encoding = this.format.stringEncoding;
    this.plainMin = undefined;
    this.plainMax = undefined;
  }

  private indexOf(value: string): number {
    let index = this.dictionary.get(value);
    if (index === undefined) {
      index = this.entries.length;
      this.dictionary.set(value, index);
      this.entries.push(value);
      this.entryChars += value.length;
    }
    return index;
  }

  private forgetDictionary(): void {
    this.dictionary = new Map();
    this.generation++;
    this.lastValue = undefined;
  }

  private observe(value: string): void {
    if (this.plainMin === undefined || compareUtf8(value, this.plainMin) < 0) this.plainMin = value;
    if (this.plainMax === undefined || compareUtf8(value, this.plainMax) > 0) this.plainMax = value;
  }

  private writePlain(out: ByteBuffer): void {
    const text = this.text.view();
    let at = 0;
    for (const length of this.lengths.view()) {
      out.pushUint32(length);
      out.pushBytes(text.subarray(at, at + length));
      at += length;
    }
  }

  private writeDeltaLength(out: ByteBuffer): void {
    const lengths = new ByteWriter();
    deltaBinaryPack(lengths, this.lengths.view(), 'INT32');
    out.pushBytes(lengths.getBytes());
    out.pushBytes(this.text.view());
  }
}

/**
 * Strings in UTF-8 byte order (= code point order), as Parquet orders BYTE_ARRAY statistics; JS
 * `<` compares UTF-16 code units, which puts U+10000 and above before U+E000..U+FFFF.
 */
function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** INT64: bigints, safe integer numbers, and Dates for timestamp columns (milliseconds). */
/**
 * A writer of numbers whose chunk statistics are its smallest and largest value, kept in `min` and
 * `max` by the subclass (per value or per page, as is cheaper for its type).
 */
abstract class RangeChunkWriter<T extends number | bigint> extends ColumnChunkWriter {
  protected min: T | undefined;
  protected max: T | undefined;

  protected statistics(): Pick<Statistics, 'min_value' | 'max_value'> | undefined {
    return this.min === undefined ? undefined : { min_value: this.min, max_value: this.max };
  }

  protected override resetChunkValues(): void {
    this.min = undefined;
    this.max = undefined;
  }
}

export class Int64ChunkWriter extends RangeChunkWriter<bigint> {
  private readonly values = new Int64Buffer(this.format.pageValues);

  public addBigInt(value: bigint, repetition: number): void {
    this.addLevels(repetition);
    this.values.pushBigInt(value);
  }

  public addNumber(value: number, repetition: number): void {
    this.addLevels(repetition);
    this.values.pushNumber(value);
  }

  public addValue(value: unknown, repetition: number): void {
    if (value === null || value === undefined) this.addMissing(repetition);
    else if (typeof value === 'bigint') {
      if (BigInt.asIntN(64, value) !== value) this.rejectValue(value);
      this.addBigInt(value, repetition);
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) this.addNumber(value, repetition);
    else if (value instanceof Date && this.shape.element.converted_type === 'TIMESTAMP_MILLIS') {
      const ms = value.getTime();
      if (!Number.isSafeInteger(ms)) this.rejectValue(value);
      this.addNumber(ms, repetition);
    } else this.rejectValue(value);
  }

  protected writePageValues(out: ByteBuffer): Encoding {
    if (this.format.statistics && this.values.length > 0) {
      const low = this.values.at(this.values.extremeIndex(-1));
      const high = this.values.at(this.values.extremeIndex(1));
      if (this.min === undefined || low < this.min) this.min = low;
      if (this.max === undefined || high > this.max) this.max = high;
    }
    out.pushBytes(this.values.bytes());
    this.values.clear();
    return 'PLAIN';
  }

  protected clearPageValues(): void {
    this.values.clear();
  }
}

/** INT32. */
export class Int32ChunkWriter extends RangeChunkWriter<number> {
  private readonly values = new Int32Buffer(this.format.pageValues);

  public add(value: number, repetition: number): void {
    this.addLevels(repetition);
    this.values.push(value);
    if (this.format.statistics) {
      if (this.min === undefined || value < this.min) this.min = value;
      if (this.max === undefined || value > this.max) this.max = value;
    }
  }

  public addValue(value: unknown, repetition: number): void {
    if (value === null || value === undefined) this.addMissing(repetition);
    else if (typeof value === 'number' && (value | 0) === value) this.add(value, repetition);
    else this.rejectValue(value);
  }

  protected writePageValues(out: ByteBuffer): Encoding {
    const view = this.values.view();
    out.pushBytes(new Uint8Array(view.buffer, 0, view.length * 4));
    this.values.clear();
    return 'PLAIN';
  }

  protected clearPageValues(): void {
    this.values.clear();
  }
}

/** DOUBLE. Statistics leave NaN out, as the format asks. */
export class DoubleChunkWriter extends RangeChunkWriter<number> {
  private readonly values = new Float64Buffer(this.format.pageValues);

  public add(value: number, repetition: number): void {
    this.addLevels(repetition);
    this.values.push(value);
    if (this.format.statistics && !Number.isNaN(value)) {
      if (this.min === undefined || value < this.min) this.min = value;
      if (this.max === undefined || value > this.max) this.max = value;
    }
  }

  public addValue(value: unknown, repetition: number): void {
    if (value === null || value === undefined) this.addMissing(repetition);
    else if (typeof value === 'number') this.add(value, repetition);
    else this.rejectValue(value);
  }

  protected writePageValues(out: ByteBuffer): Encoding {
    out.pushBytes(this.values.bytes());
    this.values.clear();
    return 'PLAIN';
  }

  protected clearPageValues(): void {
    this.values.clear();
  }

  protected override statistics() {
    if (this.min === undefined) return undefined;
    // Zeros: -0 as min and +0 as max, so either sign of zero stays inside the bounds.
    return { min_value: this.min === 0 ? -0 : this.min, max_value: this.max === 0 ? 0 : this.max };
  }
}

/** BOOLEAN, PLAIN: one bit a value, least significant bit first. */
export class BooleanChunkWriter extends ColumnChunkWriter {
  private readonly values = new ByteBuffer(this.format.pageValues);
  private seen = 0; // bit 0: a false was written, bit 1: a true

  public add(value: boolean, repetition: number): void {
    this.addLevels(repetition);
    this.values.push(value ? 1 : 0);
    this.seen |= value ? 2 : 1;
  }

  public addValue(value: unknown, repetition: number): void {
    if (value === null || value === undefined) this.addMissing(repetition);
    else if (typeof value === 'boolean') this.add(value, repetition);
    else this.rejectValue(value);
  }

  protected writePageValues(out: ByteBuffer): Encoding {
    const bits = this.values.view();
    const size = (bits.length + 7) >> 3;
    out.reserve(size);
    const bytes = out.bytes;
    bytes.fill(0, out.length, out.length + size);
    for (let i = 0; i < bits.length; i++) {
      const at = out.length + (i >> 3);
      if (bits[i]) bytes[at] = (bytes[at] as number) | (1 << (i & 7));
    }
    out.length += size;
    this.values.clear();
    return 'PLAIN';
  }

  protected clearPageValues(): void {
    this.values.clear();
  }

  protected statistics() {
    if (this.seen === 0) return undefined;
    return { min_value: (this.seen & 1) === 0, max_value: (this.seen & 2) !== 0 };
  }

  protected override resetChunkValues(): void {
    this.seen = 0;
  }
}
