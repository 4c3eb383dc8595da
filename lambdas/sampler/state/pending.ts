/**
 * Pending traces: the traces of a shard (lane) that are not ready yet, held between invocations
 * outside the stream. They are kept exactly as re-put records would carry them (DEFERRED records:
 * span bytes verbatim, zstd, each trace's first-arrival and root-arrival times and deferral count),
 * so the next invocation reads them in front of its batch through the same assembly.
 *
 * The set committed last is the truth: an invocation writes its successor to a new object, then
 * commits by saving the shard's state document that names it (shard-context.ts). A failed attempt
 * has written at most an object nobody names; a retry or a bisected half starts again from the set
 * committed last. `coveredSequence` is the last input record folded into the set, so records a
 * committed invocation already handled are not folded twice when the mapping delivers them again.
 *
 * Object format (`TSP1`): per record, a u32 length, an f64 arrival time (ms) and the record bytes.
 */
import { PendingTracesLostError } from '../errors.ts';

export interface PendingRecord {
  readonly data: Uint8Array;
  /** The arrival time the record stands for: the watermark of the invocation that pended it. */
  readonly arrivalMs: number;
}

export interface PendingTraces {
  readonly records: readonly PendingRecord[];
  /** Spans in the records (their headers' counts). */
  readonly spans: number;
  /** The last input sequence number folded into these traces. */
  readonly coveredSequence: string | undefined;
  /** The object they were committed in; undefined when empty or not saved. */
  readonly key: string | undefined;
}

/** What a state document says about its pending traces. */
export interface PendingReference {
  readonly key: string | undefined;
  readonly records: number;
  readonly spans: number;
  readonly bytes: number;
  readonly coveredSequence: string | undefined;
}

export const NO_PENDING: PendingTraces = {
  records: [],
  spans: 0,
  coveredSequence: undefined,
  key: undefined,
};

const MAGIC = [0x54, 0x53, 0x50, 0x31]; // 'TSP1'
const ENTRY_HEADER_BYTES = 12;

export function pendingBytes(records: readonly PendingRecord[]): number {
  let total = 0;
  for (const record of records) total += record.data.length;
  return total;
}

export function encodePending(records: readonly PendingRecord[]): Uint8Array {
  const out = new Uint8Array(MAGIC.length + records.length * ENTRY_HEADER_BYTES + pendingBytes(records));
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let at = MAGIC.length;
  for (const record of records) {
    view.setUint32(at, record.data.length);
    view.setFloat64(at + 4, record.arrivalMs);
    out.set(record.data, at + ENTRY_HEADER_BYTES);
    at += ENTRY_HEADER_BYTES + record.data.length;
  }
  return out;
}

/** Reads a pending object; anything but a whole `TSP1` object is an error naming its source. */
export function decodePending(bytes: Uint8Array, source: string): PendingRecord[] {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new PendingTracesLostError(source, 'not a TSP1 object');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: PendingRecord[] = [];
  let at = MAGIC.length;
  while (at < bytes.length) {
    if (at + ENTRY_HEADER_BYTES > bytes.length) throw truncated(source, at);
    const length = view.getUint32(at);
    const arrivalMs = view.getFloat64(at + 4);
    const start = at + ENTRY_HEADER_BYTES;
    if (start + length > bytes.length || !Number.isFinite(arrivalMs)) throw truncated(source, at);
    records.push({ data: bytes.subarray(start, start + length), arrivalMs });
    at = start + length;
  }
  return records;
}

function truncated(source: string, at: number): PendingTracesLostError {
  return new PendingTracesLostError(source, `truncated or corrupt at byte ${at}`);
}

/** Records of `batch` not yet folded into the pending traces (a committed invocation's redelivery is skipped). */
export function unfolded<R extends { readonly sequenceNumber: string }>(
  batch: readonly R[],
  coveredSequence: string | undefined,
): readonly R[] {
  if (coveredSequence === undefined) return batch;
  const covered = BigInt(coveredSequence);
  const first = batch.findIndex((r) => BigInt(r.sequenceNumber) > covered);
  return first === -1 ? [] : first === 0 ? batch : batch.slice(first);
}
