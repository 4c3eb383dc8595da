import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import {
  decodeSketchInto,
  encodeSketch,
  LatencySketches,
} from '../../../../lambdas/sampler/state/latency-sketches.ts';
import { ProtoWriter, WireType } from '../../../../lambdas/shared/otlp/index.ts';

const OPTIONS = { relativeAccuracy: 0.01, windowMs: 60_000, maxKeys: 3 };

function filled(values: readonly number[], nowMs = 0): LatencySketches {
  const sketches = new LatencySketches(OPTIONS);
  for (const v of values) sketches.record('checkout', 'POST /checkout', v, nowMs);
  return sketches;
}

const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('LatencySketches', () => {
  it('estimates quantiles within the relative accuracy', () => {
    const sketches = filled(oneTo(10_000));
    for (const [q, exact] of [
      [0.5, 5_000],
      [0.9, 9_000],
      [0.99, 9_900],
    ] as const) {
      const value = sketches.quantile('checkout', 'POST /checkout', q)?.valueMs as number;
      expect(Math.abs(value - exact) / exact).toBeLessThanOrEqual(0.011);
    }
    expect(sketches.quantile('checkout', 'POST /checkout', 0.5)?.count).toBe(10_000);
  });

  it('keeps one sketch per (service, operation)', () => {
    const sketches = new LatencySketches(OPTIONS);
    sketches.record('a', 'x', 10, 0);
    sketches.record('a', 'y', 1_000, 0);
    expect(sketches.quantile('a', 'x', 0.5)?.valueMs).toBeCloseTo(10, -1);
    expect(sketches.quantile('a', 'y', 0.5)?.valueMs).toBeCloseTo(1_000, -2);
    expect(sketches.quantile('b', 'x', 0.5)).toBeUndefined();
  });

  it('refuses new keys beyond maxKeys, and keeps recording known ones', () => {
    const sketches = new LatencySketches(OPTIONS);
    expect(['a', 'b', 'c'].map((op) => sketches.record('s', op, 1, 0))).toEqual([true, true, true]);
    expect(sketches.record('s', 'd', 1, 0)).toBe(false);
    expect(sketches.record('s', 'a', 2, 0)).toBe(true);
    expect(sketches.size).toBe(3);
  });

  it('follows the last one to two windows: old traffic is forgotten', () => {
    // Prepare: slow traffic in the first window, fast traffic in the next two
    const sketches = filled(new Array(1_000).fill(1_000), 0);
    for (let i = 0; i < 1_000; i++) sketches.record('checkout', 'POST /checkout', 10, 60_000);
    const mixed = sketches.quantile('checkout', 'POST /checkout', 0.99);

    // Act: a third window begins
    for (let i = 0; i < 1_000; i++) sketches.record('checkout', 'POST /checkout', 10, 120_000);

    // Assess
    expect(mixed?.count).toBe(2_000);
    expect(mixed?.valueMs).toBeGreaterThan(900);
    const recent = sketches.quantile('checkout', 'POST /checkout', 0.99);
    expect(recent?.count).toBe(2_000);
    expect(recent?.valueMs).toBeLessThan(11);
  });

  it('drops everything after two windows without traffic', () => {
    const sketches = filled(oneTo(100), 0);
    sketches.record('other', 'op', 1, 130_000);
    expect(sketches.quantile('checkout', 'POST /checkout', 0.5)).toBeUndefined();
  });

  it('round-trips through a document (the DDSketch protobuf format)', () => {
    // Prepare
    const sketches = filled(oneTo(5_000), 0);
    sketches.record('checkout', 'POST /checkout', 0, 0);
    for (let i = 0; i < 10; i++) sketches.record('checkout', 'POST /checkout', 7, 70_000);

    // Act
    const copy = new LatencySketches(OPTIONS);
    const merged = copy.merge(JSON.parse(JSON.stringify(sketches.toDocument())));

    // Assess
    expect(merged).toBe(true);
    for (const q of [0, 0.01, 0.5, 0.99, 1]) {
      expect(copy.quantile('checkout', 'POST /checkout', q)).toEqual(
        sketches.quantile('checkout', 'POST /checkout', q),
      );
    }
  });

  it('merges documents of other shards (counts add up)', () => {
    const a = filled(oneTo(100));
    const b = filled(oneTo(100).map((v) => v + 100));
    const both = new LatencySketches(OPTIONS);
    both.merge(a.toDocument());
    both.merge(b.toDocument());
    const median = both.quantile('checkout', 'POST /checkout', 0.5);
    expect(median?.count).toBe(200);
    expect(Math.abs((median?.valueMs as number) - 100) / 100).toBeLessThan(0.02);
  });

  it('ignores a document written with another accuracy', () => {
    const coarse = new LatencySketches({ ...OPTIONS, relativeAccuracy: 0.05 });
    coarse.record('checkout', 'POST /checkout', 5, 0);
    const sketches = new LatencySketches(OPTIONS);
    expect(sketches.merge(coarse.toDocument())).toBe(false);
    expect(sketches.size).toBe(0);
  });
});

describe('DDSketch protobuf encoding', () => {
  it('reads sketches in the sparse binCounts form too', () => {
    // Prepare: a Store with a binCounts map entry only (as some libraries write), and zeroCount
    const into = new DDSketch({ relativeAccuracy: 0.01 });
    const key = into.mapping.key(250);
    const w = new ProtoWriter();
    w.tag(2, WireType.LEN).fork();
    w.tag(1, WireType.LEN)
      .fork()
      .tag(1, WireType.VARINT)
      .uint32((key << 1) ^ (key >> 31))
      .tag(2, WireType.I64)
      .double(3)
      .join();
    w.join();
    w.tag(4, WireType.I64).double(2);

    // Act
    decodeSketchInto(into, w.finish());

    // Assess
    expect(into.count).toBe(5);
    expect(into.zeroCount).toBe(2);
    expect(Math.abs(into.getValueAtQuantile(1) - 250) / 250).toBeLessThan(0.011);
  });

  it('encodes an empty sketch', () => {
    const into = new DDSketch({ relativeAccuracy: 0.01 });
    decodeSketchInto(into, encodeSketch(new DDSketch({ relativeAccuracy: 0.01 })));
    expect(into.count).toBe(0);
  });
});
