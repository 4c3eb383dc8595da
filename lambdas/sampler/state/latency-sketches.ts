/**
 * Live root-duration distributions per (root service, root operation), as DDSketches: mergeable,
 * relative-error quantiles in a few KB. Each shard sees a uniform random share of all traces (trace
 * ids are random and routed by hash), so its own sketch estimates the stream-wide percentile with
 * no coordination.
 *
 * Two generations per key, rotated every window, so the percentile follows the last one to two
 * windows of traffic: a sketch over all time would never notice a service getting slower.
 *
 * Sketches are serialised in the DDSketch protobuf format of DataDog/sketches-proto (what every
 * DDSketch library reads), written here with the project's wire writer because the library's own
 * toProto needs protobufjs at run time.
 */
import { DDSketch } from '@datadog/sketches-js';
import { ProtoReader, ProtoWriter, WireType } from '../../shared/otlp/index.ts';

export interface SketchOptions {
  readonly relativeAccuracy: number;
  readonly windowMs: number;
  readonly maxKeys: number;
}

interface SketchPair {
  current: DDSketch;
  previous: DDSketch | undefined;
}

export interface LatencyQuantile {
  readonly valueMs: number;
  readonly count: number;
}

/** A serialised set of sketches. */
export interface SketchDocument {
  readonly relativeAccuracy: number;
  readonly generationStartMs: number;
  readonly keys: ReadonlyArray<{
    readonly service: string;
    readonly operation: string;
    /** base64 DDSketch protobuf of the current and previous generation. */
    readonly current: string;
    readonly previous?: string;
  }>;
}

const SEPARATOR = '\u0000';

export class LatencySketches {
  private readonly options: SketchOptions;
  private readonly pairs = new Map<string, SketchPair>();
  private generationStartMs: number | undefined;

  public constructor(options: SketchOptions) {
    this.options = options;
  }

  public get size(): number {
    return this.pairs.size;
  }

  /** Adds a root duration; false when the key is new and the key limit is reached. */
  public record(service: string, operation: string, durationMs: number, nowMs: number): boolean {
    this.rotateIfDue(nowMs);
    const key = service + SEPARATOR + operation;
    let pair = this.pairs.get(key);
    if (!pair) {
      if (this.pairs.size >= this.options.maxKeys) return false;
      pair = { current: this.newSketch(), previous: undefined };
      this.pairs.set(key, pair);
    }
    pair.current.accept(durationMs);
    return true;
  }

  /**
   * The quantile (0..1) of the last one to two windows, with how many durations it rests on.
   * `alsoMs` joins durations not committed yet (the batch being decided) without changing the
   * sketches: a burst decided in one batch after a cold start is judged against itself too.
   */
  public quantile(
    service: string,
    operation: string,
    quantile: number,
    alsoMs: readonly number[] = [],
  ): LatencyQuantile | undefined {
    const pair = this.pairs.get(service + SEPARATOR + operation);
    if (!pair && alsoMs.length === 0) return undefined;
    let sketch = pair?.current ?? this.newSketch();
    if ((pair?.previous && pair.previous.count > 0) || alsoMs.length > 0) {
      sketch = this.newSketch();
      if (pair?.previous) sketch.merge(pair.previous);
      if (pair) sketch.merge(pair.current);
      for (const durationMs of alsoMs) sketch.accept(durationMs);
    }
    if (sketch.count === 0) return undefined;
    return { valueMs: sketch.getValueAtQuantile(quantile), count: sketch.count };
  }

  private rotateIfDue(nowMs: number): void {
    if (this.generationStartMs === undefined) {
      this.generationStartMs = nowMs;
      return;
    }
    if (nowMs - this.generationStartMs < this.options.windowMs) return;
    // More than two windows without traffic: both generations are stale.
    const stale = nowMs - this.generationStartMs >= 2 * this.options.windowMs;
    for (const [key, pair] of this.pairs) {
      if (stale || pair.current.count === 0) this.pairs.delete(key);
      else this.pairs.set(key, { current: this.newSketch(), previous: pair.current });
    }
    this.generationStartMs = nowMs;
  }

  private newSketch(): DDSketch {
    return new DDSketch({ relativeAccuracy: this.options.relativeAccuracy });
  }

  public toDocument(): SketchDocument {
    return {
      relativeAccuracy: this.options.relativeAccuracy,
      generationStartMs: this.generationStartMs ?? 0,
      keys: [...this.pairs].map(([key, pair]) => {
        const [service = '', operation = ''] = key.split(SEPARATOR);
        return {
          service,
          operation,
          current: Buffer.from(encodeSketch(pair.current)).toString('base64'),
          ...(pair.previous ? { previous: Buffer.from(encodeSketch(pair.previous)).toString('base64') } : {}),
        };
      }),
    };
  }

  /**
   * Adds the sketches of a document: the shard's own on a cold start, or those of other shards
   * (after a split, a child has none of its own yet and its parent's describe the same traffic).
   * Documents written with another accuracy cannot be merged and are ignored.
   */
  public merge(document: SketchDocument): boolean {
    if (document.relativeAccuracy !== this.options.relativeAccuracy) return false;
    for (const entry of document.keys) {
      const key = entry.service + SEPARATOR + entry.operation;
      let pair = this.pairs.get(key);
      if (!pair) {
        if (this.pairs.size >= this.options.maxKeys) continue;
        pair = { current: this.newSketch(), previous: undefined };
        this.pairs.set(key, pair);
      }
      decodeSketchInto(pair.current, Buffer.from(entry.current, 'base64'));
      if (entry.previous) {
        pair.previous ??= this.newSketch();
        decodeSketchInto(pair.previous, Buffer.from(entry.previous, 'base64'));
      }
    }
    if (document.generationStartMs > 0) {
      this.generationStartMs = Math.max(this.generationStartMs ?? 0, document.generationStartMs);
    }
    return true;
  }
}

// DDSketch.proto (DataDog/sketches-proto): DDSketch { IndexMapping mapping = 1; Store positiveValues = 2;
// Store negativeValues = 3; double zeroCount = 4; } IndexMapping { double gamma = 1; double indexOffset = 2;
// Interpolation interpolation = 3; } Store { map<sint32, double> binCounts = 1;
// repeated double contiguousBinCounts = 2 [packed]; sint32 contiguousBinIndexOffset = 3; }

const zigzag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;
const unzigzag = (n: number): number => (n >>> 1) ^ -(n & 1);

export function encodeSketch(sketch: DDSketch): Uint8Array {
  const w = new ProtoWriter(512);
  w.tag(1, WireType.LEN).fork();
  w.tag(1, WireType.I64).double(sketch.mapping.gamma);
  w.join();
  const store = sketch.store;
  w.tag(2, WireType.LEN).fork();
  if (store.count > 0) {
    w.tag(2, WireType.LEN).fork();
    for (let key = store.minKey; key <= store.maxKey; key++) w.double(store.bins[key - store.offset] ?? 0);
    w.join();
    w.tag(3, WireType.VARINT).uint32(zigzag(store.minKey));
  }
  w.join();
  if (sketch.zeroCount > 0) w.tag(4, WireType.I64).double(sketch.zeroCount);
  return w.finish();
}

/** Adds the counts of an encoded sketch to `into` (which must use the same gamma). */
export function decodeSketchInto(into: DDSketch, bytes: Uint8Array): void {
  const r = new ProtoReader(bytes);
  let zeroCount = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expect(tag, WireType.LEN);
      r.pos = r.delimitedEnd(); // the gamma was checked through the document's relative accuracy
    } else if (field === 2) {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      const counts: number[] = [];
      let offset = 0;
      const bins = new Map<number, number>();
      const sr = new ProtoReader(bytes, r.pos, end);
      while (sr.pos < end) {
        const t = sr.tag();
        if (t >>> 3 === 2 && (t & 7) === WireType.LEN) {
          const e = sr.delimitedEnd();
          while (sr.pos < e) counts.push(sr.double());
        } else if (t >>> 3 === 3) {
          sr.expect(t, WireType.VARINT);
          offset = unzigzag(sr.uint32());
        } else if (t >>> 3 === 1) {
          sr.expect(t, WireType.LEN);
          readBinCount(sr, bins);
        } else sr.skip(t & 7);
      }
      r.pos = end;
      for (let i = 0; i < counts.length; i++) {
        bins.set(offset + i, (bins.get(offset + i) ?? 0) + (counts[i] as number));
      }
      // accept() keeps count, sum, min and max right; a bin's representative value maps back to its key.
      for (const [key, count] of bins) if (count > 0) into.accept(into.mapping.value(key), count);
    } else if (field === 4) {
      r.expect(tag, WireType.I64);
      zeroCount = r.double();
    } else r.skip(tag & 7);
  }
  if (zeroCount > 0) into.accept(0, zeroCount);
}

function readBinCount(r: ProtoReader, bins: Map<number, number>): void {
  const end = r.delimitedEnd();
  let key = 0;
  let count = 0;
  while (r.pos < end) {
    const t = r.tag();
    if (t >>> 3 === 1) {
      r.expect(t, WireType.VARINT);
      key = unzigzag(r.uint32());
    } else if (t >>> 3 === 2) {
      r.expect(t, WireType.I64);
      count = r.double();
    } else r.skip(t & 7);
  }
  r.pos = end;
  bins.set(key, (bins.get(key) ?? 0) + count);
}
