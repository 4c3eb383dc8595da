/**
 * The Parquet writer on every type the tables use (nulls, empty and null maps and lists, nested
 * structs, 64-bit extremes, unicode, empty strings), over several pages and row groups, read back
 * by two independent readers (hyparquet and DuckDB); its statistics, its row ranges, and the clear
 * errors it gives for values a column cannot hold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnChunk } from 'hyparquet';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParquetValueError, StorageError } from '../../../../lambdas/storage/errors.ts';
import type { ColumnDefinition } from '../../../../lambdas/storage/layout/layout.ts';
import { ByteBuffer } from '../../../../lambdas/storage/parquet/buffers.ts';
import { encodeParquet } from '../../../../lambdas/storage/parquet/encode.ts';
import {
  type ParquetEncodeOptions,
  ParquetFileWriter,
  reusableWriter,
} from '../../../../lambdas/storage/parquet/file-writer.ts';
import { openParquet, readParquetRange, readParquetRows } from '../../../../lambdas/storage/parquet/read.ts';
import { writeHybrid, writeRepeated } from '../../../../lambdas/storage/parquet/rle.ts';
import { BASE_NS } from '../../../support/storage.ts';

/** Timestamps of the rows, from the shared test clock's base. */
const BASE_MS = Number(BASE_NS / 1_000_000n);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const COLUMNS: ColumnDefinition[] = [
  { name: 'text', type: 'string' },
  { name: 'big', type: 'bigint' },
  { name: 'small', type: 'int' },
  { name: 'ratio', type: 'double' },
  { name: 'flag', type: 'boolean' },
  { name: 'stamp', type: 'timestamp' },
  { name: 'tags', type: 'map<string,string>' },
  { name: 'names', type: 'array<string>' },
  { name: 'events', type: 'array<struct<time:bigint,name:string,tags:map<string,string>>>' },
  { name: 'point', type: 'struct<x:int,labels:array<string>>' },
];

/** Small pages and row groups, so every column spans several of each. */
const OPTIONS: ParquetEncodeOptions = {
  zstdLevel: 3,
  rowGroupRows: 5,
  pageRows: 2,
  statistics: new Set(['text', 'big', 'small', 'ratio', 'flag', 'stamp']),
};

const ROWS: Record<string, unknown>[] = [
  {
    text: 'plain',
    big: 2n ** 63n - 1n,
    small: 2 ** 31 - 1,
    ratio: 0.5,
    flag: true,
    stamp: new Date(BASE_MS),
    tags: { a: '1', b: '' },
    names: ['x', 'y'],
    events: [{ time: 1n, name: 'e1', tags: { k: 'v' } }],
    point: { x: 1, labels: ['p'] },
  },
  {
    text: '',
    big: -(2n ** 63n),
    small: -(2 ** 31),
    ratio: -0,
    flag: false,
    stamp: new Date(0),
    tags: {},
    names: [],
    events: [],
    point: { x: null, labels: [] },
  },
  {
    text: null,
    big: null,
    small: null,
    ratio: null,
    flag: null,
    stamp: null,
    tags: null,
    names: null,
    events: null,
    point: null,
  },
  {
    text: 'ünïcödé \u{1F600} \uE000 \u0000',
    big: 0n,
    small: 0,
    ratio: Number.POSITIVE_INFINITY,
    flag: true,
    stamp: new Date(-365 * DAY_MS), // before the epoch
    tags: { ключ: 'значение', '\u{1F600}': '\uE000', nul: null },
    names: ['', null, 'z'],
    events: [{ time: -5n, name: null, tags: null }, { time: null, name: '', tags: {} }, null],
    point: { x: -7, labels: null },
  },
  ...Array.from({ length: 7 }, (_, i) => ({
    text: `row ${i}`,
    big: BigInt(i) * 10n ** 15n,
    small: i,
    ratio: i / 3,
    flag: i % 2 === 0,
    stamp: new Date(BASE_MS + i * HOUR_MS),
    tags: { i: String(i) },
    names: Array.from({ length: i }, (_, j) => `n${j}`),
    events: [{ time: BigInt(i), name: `e${i}`, tags: { i: String(i), j: 'x' } }],
    point: { x: i, labels: ['a', 'b'] },
  })),
];

/** A value as written, with hyparquet's undefined for a null inside a list or struct made null. */
function nullsAsNull(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(nullsAsNull);
  if (typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nullsAsNull(v)]));
  return value;
}

function metadataOf(bytes: Uint8Array) {
  return openParquet(bytes).metadata;
}

let dir: string;
let duck: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>;
let file: Uint8Array;

beforeAll(async () => {
  file = encodeParquet(COLUMNS, columnsOf(ROWS), OPTIONS);
  dir = mkdtempSync(join(tmpdir(), 'tracesift-writer-'));
  writeFileSync(join(dir, 'all.parquet'), file);
  writeFileSync(join(dir, 'empty.parquet'), encodeParquet(COLUMNS, columnsOf([]), OPTIONS));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run("SET TimeZone = 'UTC'");
});

afterAll(() => {
  duck.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function columnsOf(rows: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  return Object.fromEntries(COLUMNS.map((c) => [c.name, rows.map((r) => r[c.name])]));
}

describe('ParquetFileWriter', () => {
  it('reads back equal with hyparquet, over several pages and row groups', async () => {
    // Act
    const rows = await readParquetRows(file);
    // Assess
    expect(metadataOf(file).row_groups.length).toBe(3);
    expect(rows.map(nullsAsNull)).toEqual(ROWS.map(nullsAsNull));
  });

  it('reads back equal with DuckDB', async () => {
    // Act
    const result = await duck.runAndReadAll(
      `SELECT text, big::VARCHAR AS big, small, ratio, flag, epoch_ms(stamp)::DOUBLE AS stamp_ms,
              map_keys(tags) AS tag_keys, map_values(tags) AS tag_values, names,
              [e.name FOR e IN events] AS event_names, point.x AS x, point.labels AS labels
         FROM read_parquet('${join(dir, 'all.parquet')}')`,
    );
    const rows = result.getRowObjectsJson();
    // Assess
    const values = (map: unknown) => (map ? Object.values(map as object) : null);
    const keys = (map: unknown) => (map ? Object.keys(map as object) : null);
    expect(rows).toEqual(
      ROWS.map((r) => ({
        text: r.text,
        big: r.big === null ? null : String(r.big),
        small: r.small,
        ratio: r.ratio === Number.POSITIVE_INFINITY ? 'Infinity' : r.ratio,
        flag: r.flag,
        stamp_ms: r.stamp === null ? null : (r.stamp as Date).getTime(),
        tag_keys: keys(r.tags),
        tag_values: values(r.tags),
        names: r.names,
        event_names:
          r.events === null ? null : (r.events as ({ name: unknown } | null)[]).map((e) => e?.name ?? null),
        x: (r.point as { x: unknown } | null)?.x ?? null,
        labels: r.point === null ? null : (r.point as { labels: unknown }).labels,
      })),
    );
  });

  it('writes a file of no rows that both readers open, with its columns', async () => {
    // Act
    const rows = await readParquetRows(encodeParquet(COLUMNS, columnsOf([]), OPTIONS));
    const described = await duck.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet('${join(dir, 'empty.parquet')}')`,
    );
    const counted = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'empty.parquet')}')`,
    );
    // Assess
    expect(rows).toEqual([]);
    expect(described.getRowObjects().map((r) => r.column_name)).toEqual(COLUMNS.map((c) => c.name));
    expect(counted.getRowObjects()).toEqual([{ n: 0 }]);
  });

  it('keeps min and max in UTF-8 order, which is not JavaScript string order', () => {
    // Prepare: U+1F600 sorts before U+E000 in UTF-16 code units, after it in UTF-8 bytes
    const texts = ['b', '\u{1F600}', '\uE000', 'a'];
    const utf8Order = [...texts].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    // Act
    const bytes = encodeParquet([{ name: 'text', type: 'string' }], { text: texts }, OPTIONS);
    // Assess
    const chunk = metadataOf(bytes).row_groups[0]?.columns[0] as ColumnChunk;
    expect(chunk.meta_data?.statistics).toMatchObject({
      min_value: utf8Order[0],
      max_value: utf8Order.at(-1),
      null_count: 0n,
    });
  });

  it('gives 64-bit statistics of negative values, and counts nulls', () => {
    // Act
    const bytes = encodeParquet(
      [{ name: 'big', type: 'bigint' }],
      { big: [5n, -(2n ** 40n), null, 3n] },
      OPTIONS,
    );
    // Assess
    const chunk = metadataOf(bytes).row_groups[0]?.columns[0] as ColumnChunk;
    expect(chunk.meta_data?.statistics).toMatchObject({
      min_value: -(2n ** 40n),
      max_value: 5n,
      null_count: 1n,
    });
  });

  it('reads a range of rows alone, page by page', async () => {
    // Act
    const rows = await readParquetRange(openParquet(file), 3, 8);
    // Assess
    expect(rows.map(nullsAsNull)).toEqual(ROWS.slice(3, 8).map(nullsAsNull));
  });

  it('goes on PLAIN when a dictionary outgrows its limit, and reads back equal', async () => {
    // Prepare: 600 distinct values of 4,000 characters, 2.4 million characters in one chunk
    const texts = Array.from({ length: 600 }, (_, i) =>
      `${i}:`.padEnd(4_000, String.fromCharCode(97 + (i % 26))),
    );
    const options = { ...OPTIONS, rowGroupRows: 1_000, pageRows: 100 };
    // Act
    const bytes = encodeParquet([{ name: 'text', type: 'string' }], { text: texts }, options);
    // Assess
    const chunk = metadataOf(bytes).row_groups[0]?.columns[0] as ColumnChunk;
    expect(chunk.meta_data?.encodings).toEqual(expect.arrayContaining(['RLE_DICTIONARY', 'PLAIN']));
    expect((await readParquetRows(bytes)).map((r) => r.text)).toEqual(texts);
  });

  it('starts a clean file after one that failed half way', async () => {
    // Prepare
    const columns: ColumnDefinition[] = [
      { name: 'text', type: 'string' },
      { name: 'small', type: 'int' },
    ];
    const options = { ...OPTIONS };
    expect(() => encodeParquet(columns, { text: ['a', 'b'], small: [1, 'two'] }, options)).toThrow(
      ParquetValueError,
    );
    // Act
    const bytes = encodeParquet(columns, { text: ['c'], small: [3] }, options);
    // Assess
    expect(reusableWriter(columns, options)).toBeInstanceOf(ParquetFileWriter);
    expect(await readParquetRows(bytes)).toEqual([{ text: 'c', small: 3 }]);
  });
});

describe('errors', () => {
  it.each([
    ['a number in a string column', 'string', 1],
    ['a string in an int column', 'int', '1'],
    ['an int out of 32 bits', 'int', 2 ** 31],
    ['a fraction in a bigint column', 'bigint', 1.5],
    ['a bigint out of 64 bits', 'bigint', 2n ** 63n],
    ['a Date in a bigint column', 'bigint', new Date(0)],
    ['a string in a double column', 'double', '1'],
    ['a number in a boolean column', 'boolean', 1],
    ['an object in a list column', 'array<string>', { a: 1 }],
    ['a list in a map column', 'map<string,string>', ['a']],
    ['a string in a struct column', 'struct<x:int>', 'x'],
  ])('refuses %s, naming the column', (_case, type, value) => {
    // Act, Assess
    expect(() => encodeParquet([{ name: 'c', type }], { c: [value] }, OPTIONS)).toThrow(
      expect.objectContaining({ name: 'ParquetValueError', message: expect.stringMatching(/column c\b/) }),
    );
  });

  it('refuses a column without data and columns of different lengths', () => {
    // Act, Assess
    expect(() => encodeParquet(COLUMNS.slice(0, 2), { text: ['a'] }, OPTIONS)).toThrow(
      /no data for Parquet column big/,
    );
    expect(() => encodeParquet(COLUMNS.slice(0, 2), { text: ['a'], big: [] }, OPTIONS)).toThrow(
      /as many rows/,
    );
  });

  it('names a leaf or column the table does not have', () => {
    // Prepare
    const writer = new ParquetFileWriter(COLUMNS, OPTIONS);
    // Act, Assess
    expect(() => writer.leaf('nope', ParquetFileWriter as never)).toThrow(StorageError);
    expect(() => writer.column('nope')).toThrow(/no column nope/);
  });

  it('refuses bytes that are not a Parquet file, and a file whose pages are damaged', async () => {
    // Prepare
    const damaged = file.slice();
    damaged.fill(0xff, 100, 400);
    // Act, Assess
    expect(() => openParquet(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(StorageError);
    await expect(readParquetRange(openParquet(damaged), 0, ROWS.length)).rejects.toBeInstanceOf(StorageError);
  });
});

describe('strings as UTF-8', () => {
  // ASCII up to 64 code units is copied by code unit; anything else goes to TextEncoder.
  const texts: [string, string][] = [
    ['empty', ''],
    ['NUL', '\u0000'],
    ['DEL, the last ASCII code', '\u007f'],
    ['U+0080 after ASCII', 'abc\u0080'],
    ['ASCII at the copy limit', 'x'.repeat(64)],
    ['ASCII past the copy limit', 'y'.repeat(65)],
    ['non-ASCII last, at the copy limit', `${'z'.repeat(63)}é`],
    ['non-ASCII past the copy limit', `${'z'.repeat(64)}é`],
    ['a surrogate pair between ASCII', 'a\u{1F600}b'],
    ['three bytes', '\uFFFF'],
  ];

  it.each(['RLE_DICTIONARY', 'PLAIN', 'DELTA_LENGTH_BYTE_ARRAY'] as const)(
    'reads back equal what %s wrote',
    async (stringEncoding) => {
      // Prepare
      const values = texts.map(([, text]) => text);
      // Act
      const bytes = encodeParquet(
        [{ name: 'text', type: 'string' }],
        { text: values },
        {
          ...OPTIONS,
          rowGroupRows: 100,
          pageRows: 100,
          stringEncoding,
        },
      );
      // Assess
      const chunk = metadataOf(bytes).row_groups[0]?.columns[0] as ColumnChunk;
      expect(chunk.meta_data?.encodings).toContain(stringEncoding);
      expect((await readParquetRows(bytes)).map((r) => r.text)).toEqual(values);
    },
  );
});

describe('RLE / bit-packing hybrid', () => {
  /** `length` values alternating between 1 and 2, with a run of `run` zeros from `at`. */
  function withRun(length: number, at: number, run: number): number[] {
    return Array.from({ length }, (_, i) => (i >= at && i < at + run ? 0 : 1 + (i % 2)));
  }

  /**
   * The hybrid encoding as the format describes it, value by value: maximal runs of 8 or more as
   * runs (after filling the pending bit-packed group from them), everything else bit-packed.
   */
  function referenceHybrid(values: readonly number[], width: number): number[] {
    const bytes: number[] = [];
    const varint = (n: number) => {
      for (; n >= 0x80; n = Math.floor(n / 128)) bytes.push((n & 0x7f) | 0x80);
      bytes.push(n);
    };
    const packed = (from: number, to: number) => {
      const groups = Math.ceil((to - from) / 8);
      varint(groups * 2 + 1);
      const bits: number[] = [];
      for (let i = from; i < from + groups * 8; i++)
        for (let b = 0; b < width; b++) bits.push(i < to ? ((values[i] as number) >> b) & 1 : 0);
      for (let i = 0; i < bits.length; i += 8)
        bytes.push(bits.slice(i, i + 8).reduce((byte, bit, k) => byte | (bit << k), 0));
    };
    let pending = 0;
    let i = 0;
    while (i < values.length) {
      let end = i + 1;
      while (end < values.length && values[end] === values[i]) end++;
      let from = i;
      if (end - from >= 8 && from > pending) {
        from += (8 - ((from - pending) % 8)) % 8;
        packed(pending, from);
        pending = from;
      }
      if (end - from >= 8) {
        varint((end - from) * 2);
        for (let b = 0; b < width; b += 8) bytes.push(((values[i] as number) >>> b) & 0xff);
        pending = end;
      }
      i = end;
    }
    if (pending < values.length) packed(pending, values.length);
    return bytes;
  }

  function decoded(bytes: Uint8Array, width: number, count: number): number[] {
    const output = new Array<number>(count);
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    readRleBitPackedHybrid(reader, width, output, bytes.length);
    return output;
  }

  // Runs of 8 or more are found from every 8th value: runs on either side of those, at the ends.
  it.each([
    ['no run', withRun(40, 0, 0), 2],
    ...[7, 8, 9, 15, 16, 17].flatMap((run) =>
      [0, 1, 6, 7, 8, 40 - run].map((at) => [`a run of ${run} at ${at}`, withRun(40, at, run), 2] as const),
    ),
    ['all equal', new Array<number>(33).fill(5), 3],
    ['two runs back to back', [...new Array<number>(9).fill(3), ...new Array<number>(12).fill(4)], 3],
    ['wide values', withRun(30, 3, 11).map((v) => v * 300_000), 20],
  ] as const)('reads back %s', (_, values, width) => {
    // Prepare
    const out = new ByteBuffer();
    // Act
    const length = writeHybrid(out, values, values.length, width);
    // Assess
    expect(length).toBe(out.length);
    expect([...out.view()]).toEqual(referenceHybrid(values, width));
    expect(decoded(out.view(), width, values.length)).toEqual(values);
  });

  it('fills the last bit-packed group from a run, and runs what is left of it', () => {
    // Prepare: one 1, then nine 0s, one bit each
    const values = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const out = new ByteBuffer();
    // Act
    writeHybrid(out, values, values.length, 1);
    // Assess: a group of 8 (the 1 and seven 0s), then the two 0s left, too few for a run
    expect([...out.view()]).toEqual([0b11, 0b1, 0b11, 0b0]);
  });

  it('writes a run of 8 as one run', () => {
    // Prepare
    const out = new ByteBuffer();
    // Act
    writeHybrid(out, new Array<number>(8).fill(6), 8, 3);
    // Assess: header 8 << 1, then the value in one byte
    expect([...out.view()]).toEqual([16, 6]);
  });

  it.each([
    [0, 0, 1],
    [1, 1, 7],
    [1, 1, 8],
    [2, 2, 9],
    [5, 3, 4_096],
  ])('writes %i (width %i) %i times as the hybrid encoding of the run does', (value, width, count) => {
    // Prepare
    const expected = new ByteBuffer();
    const expectedLength = writeHybrid(expected, new Array<number>(count).fill(value), count, width);
    const out = new ByteBuffer();
    out.pushRepeated(0xff, 3);
    // Act
    const length = writeRepeated(out, value, count, width);
    // Assess
    expect(length).toBe(expectedLength);
    expect(out.view().subarray(3)).toEqual(expected.view());
  });
});
