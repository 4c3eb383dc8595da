/**
 * The binary form of a group of index entries of one service (pure), the `entries` blob of a search
 * item: operation names once in a dictionary, then per entry its trace id (16 bytes), start as ns
 * after the item's minute, expiry, flags, operations and term filter, numbers as unsigned LEB128 varints.
 * About 60 bytes for an entry of two operations and twenty terms.
 */
import { SearchIndexCorruptError } from '../errors.ts';
import type { OperationDigest, SearchEntry } from './search-entries.ts';

export const ENTRY_CODEC = 'entries-v1';

const ERROR_FLAG = 0x80;
/** Entry flag: the entry lists no operations, any may match. */
const ALL_OPERATIONS = 0x01;
const KIND_MASK = 0x7f;

class Writer {
  private buffer = new Uint8Array(1024);
  private length = 0;

  public byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  public varint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.byte(rest);
  }

  public bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  public done(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

class Reader {
  private offset = 0;
  private readonly data: Uint8Array;
  private readonly where: string;

  public constructor(data: Uint8Array, where: string) {
    this.data = data;
    this.where = where;
  }

  public byte(): number {
    const value = this.data[this.offset++];
    if (value === undefined) throw new SearchIndexCorruptError(this.where, 'entries end early');
    return value;
  }

  public varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new SearchIndexCorruptError(this.where, 'varint longer than 8 bytes');
  }

  public bytes(length: number): Uint8Array {
    if (this.offset + length > this.data.length)
      throw new SearchIndexCorruptError(this.where, 'entries end early');
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}

/** Entries of one service and minute (`minuteMs`) as one blob. */
export function encodeEntries(entries: readonly SearchEntry[], minuteMs: number): Uint8Array {
  const names = new Map<string, number>();
  for (const entry of entries)
    for (const op of entry.operations) if (!names.has(op.name)) names.set(op.name, names.size);
  const out = new Writer();
  out.varint(names.size);
  for (const name of names.keys()) {
    const utf8 = Buffer.from(name, 'utf8');
    out.varint(utf8.length);
    out.bytes(utf8);
  }
  const minuteNano = BigInt(minuteMs) * 1_000_000n;
  out.varint(entries.length);
  for (const entry of entries) {
    out.bytes(Buffer.from(entry.traceId, 'hex'));
    out.varint(Number(entry.startNano - minuteNano));
    out.varint(entry.expiresAt);
    out.byte(entry.allOperations ? ALL_OPERATIONS : 0);
    out.varint(entry.operations.length);
    for (const op of entry.operations) {
      out.varint(names.get(op.name) as number);
      out.byte((op.kind & KIND_MASK) | (op.error ? ERROR_FLAG : 0));
      out.varint(op.minDurationMicros);
      out.varint(op.maxDurationMicros - op.minDurationMicros);
    }
    out.byte(entry.filter.hashes);
    out.varint(entry.filter.bits.length);
    out.bytes(entry.filter.bits);
  }
  return out.done();
}

/** The entries of a blob `encodeEntries` wrote; `where` names the item in errors. */
export function decodeEntries(
  blob: Uint8Array,
  service: string,
  minuteMs: number,
  where: string,
): SearchEntry[] {
  const input = new Reader(blob, where);
  const names: string[] = [];
  const nameCount = input.varint();
  for (let i = 0; i < nameCount; i++) names.push(Buffer.from(input.bytes(input.varint())).toString('utf8'));
  const minuteNano = BigInt(minuteMs) * 1_000_000n;
  const entries: SearchEntry[] = [];
  const count = input.varint();
  for (let i = 0; i < count; i++) {
    const traceId = Buffer.from(input.bytes(16)).toString('hex');
    const startNano = minuteNano + BigInt(input.varint());
    const expiresAt = input.varint();
    const allOperations = (input.byte() & ALL_OPERATIONS) !== 0;
    const operations: OperationDigest[] = [];
    const opCount = input.varint();
    for (let j = 0; j < opCount; j++) {
      const name = names[input.varint()];
      if (name === undefined) throw new SearchIndexCorruptError(where, 'operation name index out of range');
      const flags = input.byte();
      const min = input.varint();
      operations.push({
        name,
        kind: flags & KIND_MASK,
        error: (flags & ERROR_FLAG) !== 0,
        minDurationMicros: min,
        maxDurationMicros: min + input.varint(),
      });
    }
    const hashes = input.byte();
    const bits = Uint8Array.from(input.bytes(input.varint()));
    entries.push({
      traceId,
      service,
      startNano,
      expiresAt,
      operations,
      allOperations,
      filter: { hashes, bits },
    });
  }
  return entries;
}
