/**
 * Protocol Buffers wire format: a reader over a byte range and a growable writer.
 *
 * Hand-written rather than generated because every stage reads only part of each span (ingest only
 * ids, the sampler only what its policies need); generated decoders materialise everything, and
 * conversion cost more than decoding in the measurements in FACTS.md (600k vs 150k spans/s).
 */
import { WireFormatError } from './errors.ts';

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const TWO_POW_32 = 4294967296;

export class ProtoReader {
  public readonly buf: Uint8Array;
  public pos: number;
  public end: number;
  private readonly view: DataView;

  public constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  public fail(message: string): never {
    throw new WireFormatError(message, this.pos);
  }

  /** A field tag: (field number << 3) | wire type. */
  public tag(): number {
    const tag = this.uint32();
    if (tag >>> 3 === 0) this.fail('field number 0 is invalid');
    return tag;
  }

  /** A varint truncated to its low 32 bits, unsigned. Accepts up to 10 bytes as protobuf requires. */
  public uint32(): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= this.end) this.fail('truncated varint');
    let b = buf[p++] as number;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let value = b & 0x7f;
    let shift = 7;
    for (let i = 1; i < 10; i++) {
      if (p >= this.end) this.fail('truncated varint');
      b = buf[p++] as number;
      if (shift < 32) value |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** A varint as a signed 64-bit integer: number when it fits in 2^53, bigint beyond. */
  public int64(): number | bigint {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) this.fail('truncated varint');
      const b = buf[p++] as number;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if (b < 0x80) {
        this.pos = p;
        return int64FromParts(lo >>> 0, hi | 0);
      }
    }
    return this.fail('varint longer than 10 bytes');
  }

  public bool(): boolean {
    return this.uint32() !== 0;
  }

  public fixed32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.fail('truncated fixed32');
    this.pos = p + 4;
    return this.view.getUint32(p, true);
  }

  public fixed64(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.fail('truncated fixed64');
    this.pos = p + 8;
    return this.view.getBigUint64(p, true);
  }

  /** fixed64 as a double: exact to 2^53, about 256 ns resolution for present-day epoch nanoseconds. */
  public fixed64AsNumber(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.fail('truncated fixed64');
    this.pos = p + 8;
    return this.view.getUint32(p + 4, true) * TWO_POW_32 + this.view.getUint32(p, true);
  }

  public double(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.fail('truncated double');
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }

  /** Reads a length prefix and returns the end offset of the delimited bytes, leaving pos at their start. */
  public delimitedEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end || len > 0x7fffffff) this.fail(`length ${len} runs past the end of the message`);
    return end;
  }

  public bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  public string(): string {
    const end = this.delimitedEnd();
    const s = utf8Slice(this.buf, this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skips a field's value given its wire type. Groups are deprecated and not part of OTLP: rejected. */
  public skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.uint32();
        return;
      case WireType.I64:
        if (this.pos + 8 > this.end) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WireType.LEN:
        this.pos = this.delimitedEnd();
        return;
      case WireType.I32:
        if (this.pos + 4 > this.end) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  /** Fails unless the tag's wire type is the one the schema declares for that field. */
  public expect(tag: number, wireType: number): void {
    if ((tag & 7) !== wireType)
      this.fail(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wireType}`);
  }
}

function int64FromParts(lo: number, hi: number): number | bigint {
  // hi is signed: the value is hi * 2^32 + lo. Safe when |value| < 2^53.
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_POW_32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const decoder = new TextDecoder('utf-8');

/**
 * UTF-8 text of buf[start, end). Short ASCII strings (most attribute keys and values) are decoded in
 * JS, which avoids the native call; anything else goes to TextDecoder, which replaces invalid
 * sequences with U+FFFD instead of failing (proto3 says strings are UTF-8; we are lenient and lossless
 * for valid text).
 */
export function utf8Slice(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len <= 24) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(start, end));
}

const encoder = new TextEncoder();

/** A growable protobuf writer. Nested messages use fork()/join(), which back-patches the length. */
export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  public pos = 0;
  private readonly forks: number[] = [];

  public constructor(initialSize = 4096) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  public tag(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  public uint32(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** A signed 64-bit varint (two's complement, 10 bytes for negatives, as protobuf int64 does). */
  public int64(value: number | bigint): this {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) return this.uint32(value);
    this.ensure(10);
    let v = BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  public fixed32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
    return this;
  }

  public fixed64(value: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, value), true);
    this.pos += 8;
    return this;
  }

  public double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  public bytes(value: Uint8Array): this {
    this.uint32(value.length);
    return this.raw(value);
  }

  /** Appends bytes without a length prefix. */
  public raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  public string(value: string): this {
    // Worst case 3 bytes per UTF-16 unit; encodeInto writes in place without a temporary array.
    this.ensure(5 + value.length * 3);
    const start = this.pos;
    this.pos += 1; // optimistic one-byte length
    const { written } = encoder.encodeInto(value, this.buf.subarray(this.pos));
    if (written < 0x80) {
      this.buf[start] = written;
      this.pos += written;
      return this;
    }
    const lenBytes = varintSize(written);
    this.buf.copyWithin(start + lenBytes, start + 1, start + 1 + written);
    this.pos = start;
    this.uint32(written);
    this.pos += written;
    return this;
  }

  /** Starts a length-delimited nested message; the tag must already be written. */
  public fork(): this {
    this.ensure(1);
    this.forks.push(this.pos);
    this.pos += 1; // optimistic one-byte length, widened in join() if needed
    return this;
  }

  /** Ends the innermost fork, writing its length. */
  public join(): this {
    const start = this.forks.pop();
    if (start === undefined) throw new Error('ProtoWriter.join without fork');
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return this;
    }
    const lenBytes = varintSize(len);
    this.ensure(lenBytes - 1);
    this.buf.copyWithin(start + lenBytes, start + 1, this.pos);
    const end = this.pos + lenBytes - 1;
    this.pos = start;
    this.uint32(len);
    this.pos = end;
    return this;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  public finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** The bytes written so far without a copy: valid only until the writer is next written or reset. */
  public written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  public reset(): this {
    this.pos = 0;
    this.forks.length = 0;
    return this;
  }
}

export function varintSize(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}
