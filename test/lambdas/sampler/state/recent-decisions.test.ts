import { describe, expect, it } from 'vitest';
import { traceKeyOf } from '../../../../lambdas/sampler/batch.ts';
import {
  keyOfTraceIdHex,
  RecentDecisions,
  traceIdHexOfKey,
} from '../../../../lambdas/sampler/state/recent-decisions.ts';
import type { SamplingDecision } from '../../../../lambdas/shared/sampling/kept-trace.ts';

const KEEP: SamplingDecision = {
  keep: true,
  policy: 'errors',
  probability: 1,
  threshold: '0',
  reason: 'span status ERROR',
};
const DROP: SamplingDecision = {
  keep: false,
  policy: 'budget:checkout',
  probability: 0.1,
  threshold: 'e6',
  reason: 'budget',
};
const ID_A = '0af7651916cd43dd8448eb211c80319c';
const ID_B = 'ffffffffffffffff0000000000000001';

describe('RecentDecisions', () => {
  it('turns trace keys into hex ids and back, as batch.ts builds them', () => {
    // Prepare
    const key = traceKeyOf(Buffer.from(ID_A, 'hex'), 0);
    // Act, Assess
    expect(traceIdHexOfKey(key)).toBe(ID_A);
    expect(keyOfTraceIdHex(ID_A)).toBe(key);
  });

  it('restores every decision from its document, each distinct verdict stored once', () => {
    // Prepare
    const recent = new RecentDecisions(45_000);
    recent.record(keyOfTraceIdHex(ID_A), KEEP, 1_000);
    recent.record(keyOfTraceIdHex(ID_B), DROP, 2_000);
    recent.record(keyOfTraceIdHex('1'.repeat(32)), DROP, 2_000);
    // Act
    const document = JSON.parse(JSON.stringify(recent.toDocument()));
    const restored = new RecentDecisions(45_000);
    restored.merge(document);
    // Assess
    expect(document.verdicts).toHaveLength(2);
    expect(restored.get(keyOfTraceIdHex(ID_A))).toMatchObject({
      keep: true,
      policy: 'errors',
      probability: 1,
    });
    expect(restored.get(keyOfTraceIdHex(ID_B))).toMatchObject({
      keep: false,
      policy: 'budget:checkout',
      threshold: 'e6',
    });
    expect(restored.size).toBe(3);
  });

  it.each([
    ['exactly the horizon old: kept', 46_000, true],
    ['1 ms older than the horizon: forgotten', 46_001, false],
  ])('prunes by arrival time: a decision %s', (_name, nowMs, remembered) => {
    // Prepare
    const recent = new RecentDecisions(45_000);
    recent.record(keyOfTraceIdHex(ID_A), KEEP, 1_000);
    // Act
    recent.prune(nowMs);
    // Assess
    expect(recent.get(keyOfTraceIdHex(ID_A)) !== undefined).toBe(remembered);
  });

  it('skips malformed entries of a saved document instead of failing', () => {
    // Prepare
    const recent = new RecentDecisions(45_000);
    // Act
    recent.merge({
      verdicts: [KEEP],
      entries: [
        ['not-hex', 0, 1],
        [ID_A, 7, 1],
        [ID_B, 0, 1],
      ],
    });
    // Assess
    expect(recent.size).toBe(1);
    expect(recent.get(keyOfTraceIdHex(ID_B))?.keep).toBe(true);
  });
});
