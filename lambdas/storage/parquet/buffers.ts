/**
 * Growable typed arrays that one page of a column chunk is collected in (column-chunk.ts): values go
 * straight into the bytes they are written as, so encoding a page is mostly copying, and a page in
 * progress holds no JS object per value.
 */

const INITIAL_CAPACITY = 256;

/** Bytes: levels (one a value), plain strings (UTF-8), booleans (0/1). */
export class ByteBuffer {
  public bytes: Uint8Array;
  public length = 0;

  public constructor(capacity = 0) {
    this.bytes = new Uint8Array(Math.max(capacity, INITIAL_CAPACITY));
  }

  public push(value: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = value;
  }

  /** Makes room for `extra` more bytes (callers then write `bytes` directly). */
  public reserve(extra: number): void {
    if (this.length + extra > this.bytes.length) this.grow(extra);
  }

  /** Appends `text` as UTF-8; returns its byte length. */
  public pushUtf8(text: string): number {
    const count = text.length;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.length + count * 3 > this.bytes.length) this.grow(count * 3);
    const bytes = this.bytes;
    const at = this.length;
    // ASCII (ids, names, most values) is copied by code unit: encodeInto's call, its view of the
    // buffer and its result object cost more than the copy for strings this short.
    if (count <= ASCII_COPY_MAX) {
      let i = 0;
      for (; i < count; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[at + i] = code;
      }
      if (i === count) {
        this.length = at + count;
        return count;
      }
    }
    const { written } = ENCODER.encodeInto(text, bytes.subarray(at));
    this.length = at + written;
    return written;
  }

  /** Appends `count` times `value`. */
  public pushRepeated(value: number, count: number): void {
    this.reserve(count);
    this.bytes.fill(value, this.length, this.length + count);
    this.length += count;
  }

  public pushBytes(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.bytes.length) this.grow(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  public pushUint32(value: number): void {
    if (this.length + 4 > this.bytes.length) this.grow(4);
    const b = this.bytes;
    const at = this.length;
    b[at] = value & 0xff;
    b[at + 1] = (value >>> 8) & 0xff;
    b[at + 2] = (value >>> 16) & 0xff;
    b[at + 3] = value >>> 24;
    this.length = at + 4;
  }

  /** Overwrites the 4 bytes at `at` (a length written before what it measures is known). */
  public setUint32(at: number, value: number): void {
    const b = this.bytes;
    b[at] = value & 0xff;
    b[at + 1] = (value >>> 8) & 0xff;
    b[at + 2] = (value >>> 16) & 0xff;
    b[at + 3] = value >>> 24;
  }

  public view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  public clear(): void {
    this.length = 0;
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    next.set(this.view());
    this.bytes = next;
  }
}

const ENCODER = new TextEncoder();

/** Longest string pushUtf8 copies by code unit before handing it to encodeInto. */
const ASCII_COPY_MAX = 64;

/** 32-bit integers: INT32 values, dictionary indices, byte lengths. */
export class Int32Buffer {
  public values: Int32Array;
  public length = 0;

  public constructor(capacity = 0) {
    this.values = new Int32Array(Math.max(capacity, INITIAL_CAPACITY));
  }

  public push(value: number): void {
    if (this.length === this.values.length) {
      const next = new Int32Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = value;
  }

  public pushAll(values: Int32Array): void {
    if (this.length + values.length > this.values.length) {
      const next = new Int32Array(Math.max(this.values.length * 2, this.length + values.length));
      next.set(this.view());
      this.values = next;
    }
    this.values.set(values, this.length);
    this.length += values.length;
  }

  public view(): Int32Array {
    return this.values.subarray(0, this.length);
  }

  public clear(): void {
    this.length = 0;
  }
}

/** Doubles. */
export class Float64Buffer {
  public values: Float64Array;
  public length = 0;

  public constructor(capacity = 0) {
    this.values = new Float64Array(Math.max(capacity, INITIAL_CAPACITY));
  }

  public push(value: number): void {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = value;
  }

  public bytes(): Uint8Array {
    return new Uint8Array(this.values.buffer, 0, this.length * 8);
  }

  public clear(): void {
    this.length = 0;
  }
}

const TWO_32 = 2 ** 32;

/**
 * Signed 64-bit integers, little-endian like Parquet's PLAIN encoding (the platforms Lambda and
 * Node run on are little-endian; encode.ts checks). A number is stored through two 32-bit halves,
 * so that durations and counts need no BigInt of their own.
 */
export class Int64Buffer {
  private buffer: ArrayBuffer;
  private words: Uint32Array;
  private signedWords: Int32Array;
  private big: BigInt64Array;
  public length = 0;

  public constructor(capacity = 0) {
    this.buffer = new ArrayBuffer(Math.max(capacity, INITIAL_CAPACITY) * 8);
    this.words = new Uint32Array(this.buffer);
    this.signedWords = new Int32Array(this.buffer);
    this.big = new BigInt64Array(this.buffer);
  }

  public pushBigInt(value: bigint): void {
    if (this.length === this.big.length) this.grow();
    this.big[this.length++] = value;
  }

  /** A safe integer. */
  public pushNumber(value: number): void {
    if (value < 0) {
      this.pushBigInt(BigInt(value));
      return;
    }
    if (this.length === this.big.length) this.grow();
    const at = this.length++ * 2;
    this.words[at] = value >>> 0;
    this.words[at + 1] = Math.floor(value / TWO_32);
  }

  /** Index of the smallest (`sign` -1) or largest (`sign` 1) value, compared without BigInts. */
  public extremeIndex(sign: 1 | -1): number {
    let best = 0;
    for (let i = 1; i < this.length; i++) if (this.compare(i, best) * sign > 0) best = i;
    return best;
  }

  public at(index: number): bigint {
    return this.big[index] as bigint;
  }

  public bytes(): Uint8Array {
    return new Uint8Array(this.buffer, 0, this.length * 8);
  }

  public clear(): void {
    this.length = 0;
  }

  private compare(a: number, b: number): number {
    const high = (this.signedWords[a * 2 + 1] as number) - (this.signedWords[b * 2 + 1] as number);
    return high !== 0 ? high : (this.words[a * 2] as number) - (this.words[b * 2] as number);
  }

  private grow(): void {
    const next = new ArrayBuffer(this.buffer.byteLength * 2);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
    this.words = new Uint32Array(next);
    this.signedWords = new Int32Array(next);
    this.big = new BigInt64Array(next);
  }
}
