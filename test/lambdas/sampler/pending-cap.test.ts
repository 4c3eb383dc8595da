import { describe, expect, it } from 'vitest';
import type { TraceAssembly } from '../../../lambdas/sampler/batch.ts';
import { capPending, type Followed } from '../../../lambdas/sampler/follow.ts';
import { Readiness } from '../../../lambdas/sampler/readiness.ts';
import type { OutgoingTrace } from '../../../lambdas/sampler/reput.ts';

/** A deferred trace of `bytes` encoded bytes whose first span arrived at `firstArrivalMs`. */
function deferred(name: string, bytes: number, firstArrivalMs: number): OutgoingTrace {
  const trace = { key: name, bytes, firstArrivalMs } as unknown as TraceAssembly;
  return { trace, hashKey: 0n, carry: { traceId: name, firstArrivalMs, rootArrivalMs: 0, deferrals: 1 } };
}

function followedOf(list: OutgoingTrace[]): Followed {
  return { late: [], ready: [], readiness: new Map([[Readiness.ROOT, 2]]), deferred: list };
}

const keys = (traces: readonly { key: string }[]) => traces.map((t) => t.key);

describe('capPending', () => {
  const list = [deferred('b', 300, 2_000), deferred('a', 300, 1_000), deferred('c', 400, 3_000)];

  it.each([
    ['under the cap', 1_001, [], ['b', 'a', 'c']],
    ['exactly at the cap', 1_000, [], ['b', 'a', 'c']],
    ['one byte over: the trace that arrived first', 999, ['a'], ['b', 'c']],
    ['far over: the earliest until under', 400, ['a', 'b'], ['c']],
    ['below every trace: all of them', 0, ['a', 'b', 'c'], []],
  ])('%s', (_case, cap, early, kept) => {
    // Act
    const capped = capPending(followedOf(list), cap);
    // Assess
    expect(keys(capped.ready)).toEqual(early);
    expect(keys(capped.deferred.map((d) => d.trace))).toEqual(kept);
    expect(capped.readiness.get(Readiness.PENDING_LIMIT) ?? 0).toBe(early.length);
    expect(capped.readiness.get(Readiness.ROOT)).toBe(2);
  });
});
