/**
 * Parquet's RLE / bit-packing hybrid (levels and dictionary indices): runs of 8 or more equal values
 * as one run, the rest bit-packed in groups of 8, least significant bit first. Written straight into
 * a ByteBuffer; hyparquet-writer's encoder appends byte by byte through a DataView, which was a tenth
 * of the spans table's encoding time.
 */
import type { ByteBuffer } from './buffers.ts';

export function bitWidth(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/** Appends `values[0..count)` (each below 2^width, width at most 24); returns the bytes written. */
export function writeHybrid(
  out: ByteBuffer,
  values: ArrayLike<number>,
  count: number,
  width: number,
): number {
  const start = out.length;
  let pending = 0; // the first value not yet written
  // A run of 8 or more equal values covers an index of every residue mod 8: looking at every 8th
  // index and its neighbours finds each such run without comparing every value with the next.
  for (let at = 7; at < count; at += 8) {
    const value = values[at] as number;
    if (values[at - 1] !== value && (at + 1 >= count || values[at + 1] !== value)) continue;
    let from = at;
    while (from > pending && values[from - 1] === value) from--;
    let end = at + 1;
    while (end < count && values[end] === value) end++;
    if (end - from < 8) continue;
    if (from > pending) {
      // Bit-packed runs hold whole groups of 8: fill the last group from this run's values.
      from += (8 - ((from - pending) & 7)) & 7;
      writePacked(out, values, pending, from - pending, width);
      pending = from;
    }
    if (end - from >= 8) {
      writeRun(out, value, end - from, width);
      pending = end;
    }
    // After the loop's step: the first index from `end` that is 7 modulo 8.
    at = end + ((7 - (end & 7)) & 7) - 8;
  }
  if (pending < count) writePacked(out, values, pending, count - pending, width);
  return out.length - start;
}

/** Appends `count` times `value` exactly as writeHybrid would; returns the bytes written. */
export function writeRepeated(out: ByteBuffer, value: number, count: number, width: number): number {
  const start = out.length;
  if (count >= 8) writeRun(out, value, count, width);
  else if (count > 0) writePacked(out, new Array<number>(count).fill(value), 0, count, width);
  return out.length - start;
}

export function writeVarint(out: ByteBuffer, value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function writeRun(out: ByteBuffer, value: number, count: number, width: number): void {
  writeVarint(out, count * 2);
  for (let shift = 0; shift < width; shift += 8) out.push((value >>> shift) & 0xff);
}

/** `count` values from `from`, padded with zeros to a multiple of 8. */
function writePacked(out: ByteBuffer, values: ArrayLike<number>, from: number, count: number, width: number) {
  const groups = (count + 7) >> 3;
  writeVarint(out, groups * 2 + 1);
  const size = groups * width;
  out.reserve(size);
  const bytes = out.bytes;
  let at = out.length;
  let buffer = 0;
  let bits = 0;
  const end = from + count;
  for (let k = from; k < end; k++) {
    // Up to 24 bits of value over at most 7 pending bits: within 32-bit arithmetic.
    buffer |= (values[k] as number) << bits;
    bits += width;
    while (bits >= 8) {
      bytes[at++] = buffer & 0xff;
      buffer >>>= 8;
      bits -= 8;
    }
  }
  // The zeros padding the last group: its pending bits, then whole zero bytes.
  if (bits > 0) bytes[at++] = buffer;
  bytes.fill(0, at, out.length + size);
  out.length += size;
}
