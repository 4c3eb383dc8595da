import { describe, expect, it } from 'vitest';
import { firstMatch } from '../../../../lambdas/sampler/policies/first-match.ts';
import {
  type PolicyVerdict,
  perTrace,
  type SamplingPolicy,
} from '../../../../lambdas/sampler/policies/policy.ts';
import type { TraceView } from '../../../../lambdas/sampler/trace-view.ts';
import { contextOf, traceIds, traceOf, viewsOf } from '../../../support/sampler.ts';

const verdict = (policy: string, keep: boolean): PolicyVerdict => ({
  keep,
  policy,
  threshold: undefined,
  reason: policy,
});

/** A policy deciding the traces whose index (in `all`) is in `mine`, recording what it was asked. */
function recording(name: string, all: readonly TraceView[], mine: readonly number[], keep: boolean) {
  const asked: number[][] = [];
  const policy: SamplingPolicy = {
    name,
    decide(traces) {
      asked.push(traces.map((t) => all.indexOf(t)));
      return traces.map((t) => (mine.includes(all.indexOf(t)) ? verdict(name, keep) : undefined));
    },
  };
  return { policy, asked };
}

describe('firstMatch', () => {
  const views = viewsOf(traceIds(5, 21).flatMap((id) => traceOf(id, { children: 0 })));

  it('gives each trace the first verdict and asks each policy only about undecided traces', () => {
    // Prepare
    const drop = recording('drop', views, [0], false);
    const keep = recording('keep', views, [0, 1, 2], true);
    const last = recording('last', views, [0, 1, 2, 3, 4], false);

    // Act
    const verdicts = firstMatch('chain', [drop.policy, keep.policy, last.policy]).decide(views, contextOf());

    // Assess
    expect(verdicts.map((v) => v && `${v.policy}:${v.keep}`)).toEqual([
      'drop:false',
      'keep:true',
      'keep:true',
      'last:false',
      'last:false',
    ]);
    expect(drop.asked).toEqual([[0, 1, 2, 3, 4]]);
    expect(keep.asked).toEqual([[1, 2, 3, 4]]);
    expect(last.asked).toEqual([[3, 4]]);
  });

  it('leaves traces no policy decided undefined, and stops asking once all are decided', () => {
    const none = perTrace('none', () => undefined);
    const all = recording('all', views, [0, 1, 2, 3, 4], true);
    const after = recording('after', views, [], true);
    expect(firstMatch('c', [none]).decide(views, contextOf())).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    firstMatch('c', [all.policy, after.policy]).decide(views, contextOf());
    expect(after.asked).toEqual([]);
  });

  it('is itself a policy that nests', () => {
    const inner = firstMatch('inner', [recording('a', views, [1], true).policy]);
    const outer = firstMatch('outer', [inner, recording('b', views, [0, 1, 2, 3, 4], false).policy]);
    expect(outer.decide(views, contextOf()).map((v) => v?.policy)).toEqual(['b', 'a', 'b', 'b', 'b']);
  });
});
