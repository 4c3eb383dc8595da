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
  let i = 0;
  let packedFrom = -1; // first value waiting to be bit-packed
  while (i < count) {
    const value = values[i] as number;
    let end = i + 1;
    while (end < count && values[end] === value) end++;
    if (end - i < 8) {
      if (packedFrom < 0) packedFrom = i;
      i = end;
      continue;
    }
    if (packedFrom >= 0) {
      // Bit-packed runs hold whole groups of 8: fill the last group from this run's values.
      const fill = (8 - ((i - packedFrom) & 7)) & 7;
      writePacked(out, values, packedFrom, i + fill - packedFrom, width);
      i += fill;
      packedFrom = -1;
    }
    if (end - i >= 8) writeRun(out, value, end - i, width);
    else packedFrom = i;
    i = end;
  }
  if (packedFrom >= 0) writePacked(out, values, packedFrom, count - packedFrom, width);
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
  out.reserve(groups * width);
  const bytes = out.bytes;
  let at = out.length;
  let buffer = 0;
  let bits = 0;
  for (let k = 0; k < groups * 8; k++) {
    // Up to 24 bits of value over at most 7 pending bits: within 32-bit arithmetic.
    buffer |= (k < count ? (values[from + k] as number) : 0) << bits;
    bits += width;
    while (bits >= 8) {
      bytes[at++] = buffer & 0xff;
      buffer >>>= 8;
      bits -= 8;
    }
  }
  out.length = at;
}
