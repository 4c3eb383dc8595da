import { describe, expect, it } from 'vitest';
import { ArrivalRates } from '../../../../lambdas/sampler/state/arrival-rates.ts';

const rates = () => new ArrivalRates({ smoothingMs: 60_000, maxKeys: 2 });

describe('ArrivalRates', () => {
  it('estimates a steady rate from batch counts over the arrival time they cover', () => {
    // Prepare / Act: 50 traces per 10 s batch
    const r = rates();
    for (let i = 0; i < 30; i++) r.observe(new Map([['checkout', 50]]), 10_000);

    // Assess
    expect(r.ratePerSecond('checkout', 0, 0)).toBeCloseTo(5, 6);
  });

  it('is unbiased when a container sees only some of the batches', () => {
    // Prepare: the same traffic; this container sees every third batch only
    const r = rates();
    for (let i = 0; i < 30; i++) if (i % 3 === 0) r.observe(new Map([['checkout', 50]]), 10_000);

    // Assess
    expect(r.ratePerSecond('checkout', 0, 0)).toBeCloseTo(5, 6);
  });

  it('counts a pending batch the way observe will', () => {
    const r = rates();
    r.observe(new Map([['checkout', 50]]), 10_000);
    const pending = r.ratePerSecond('checkout', 200, 10_000);
    r.observe(new Map([['checkout', 200]]), 10_000);
    expect(r.ratePerSecond('checkout', 0, 0)).toBeCloseTo(pending, 9);
  });

  it('follows a change of rate within a few smoothing time constants', () => {
    const r = rates();
    for (let i = 0; i < 30; i++) r.observe(new Map([['checkout', 50]]), 10_000);
    for (let i = 0; i < 30; i++) r.observe(new Map([['checkout', 500]]), 10_000);
    expect(r.ratePerSecond('checkout', 0, 0)).toBeGreaterThan(49);
  });

  it('answers 0 before any observation, and for unknown keys', () => {
    expect(rates().ratePerSecond('x', 0, 0)).toBe(0);
    const r = rates();
    r.observe(new Map([['a', 1]]), 1_000);
    expect(r.ratePerSecond('b', 0, 0)).toBe(0);
  });

  it('tracks at most maxKeys keys and forgets keys that stopped', () => {
    // Prepare
    const r = rates();
    r.observe(
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]),
      1_000,
    );

    // Assess: c did not fit
    expect(r.tracks('c')).toBe(false);
    expect(r.ratePerSecond('c', 0, 0)).toBe(0);

    // Act: a and b stop; after long enough they are forgotten and c fits
    for (let i = 0; i < 100; i++) r.observe(new Map(), 60_000);
    expect(r.tracks('c')).toBe(true);
  });

  it('round-trips through a document, scaled to another share and averaged', () => {
    // Prepare: two shards' documents, each at share 0.5, seeing 4/s and 6/s
    const a = rates();
    const b = rates();
    for (let i = 0; i < 10; i++) {
      a.observe(new Map([['k', 40]]), 10_000);
      b.observe(new Map([['k', 60]]), 10_000);
    }

    // Act: a new shard with share 0.25 adopts both
    const child = rates();
    child.merge(a.toDocument(), 0.25 / 0.5, 0.5);
    child.merge(b.toDocument(), 0.25 / 0.5, 0.5);

    // Assess: average stream rate 10/s * 0.25 = 2.5/s for the child
    expect(child.ratePerSecond('k', 0, 0)).toBeCloseTo(2.5, 6);
    const own = rates();
    own.merge(a.toDocument());
    expect(own.ratePerSecond('k', 0, 0)).toBeCloseTo(4, 6);
  });

  it('ignores an empty document', () => {
    const r = rates();
    r.merge({ coveredMs: 0, counts: [['k', 5]] });
    expect(r.ratePerSecond('k', 0, 0)).toBe(0);
  });
});
