import { describe, expect, it } from 'vitest';
import { firstMatch } from '../../../../lambdas/sampler/policies/first-match.ts';
import {
  type PolicyVerdict,
  perTrace,
  type SamplingPolicy,
} from '../../../../lambdas/sampler/policies/policy.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import type { TraceView } from '../../../../lambdas/sampler/trace-view.ts';
import { contextOf, traceIds, traceOf, viewOfTrace, viewsOf } from '../../../support/sampler.ts';

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

// --- the chain's probability ---------------------------------------------------------------------

/**
 * What a policy answers about one trace: a keep rule (`rule`: keeps when R passes T(p), else passes
 * on), a final probabilistic policy like the budget or the baseline (`final`: keeps when R passes,
 * else drops), a deterministic keep or drop, or nothing.
 */
type Step = readonly ['rule' | 'final', number] | readonly ['keep' | 'drop' | 'none'];

/** The policy of one step, recording the traces it was asked about ('b*': asked ahead). */
function stepPolicy(name: string, step: Step, asked: string[]): SamplingPolicy {
  return {
    name,
    decide(traces, context) {
      return traces.map((trace) => {
        asked.push(`${name}${context.lookahead?.has(trace) ? '*' : ''}`);
        const [kind, p] = step;
        if (kind === 'none') return undefined;
        if (kind === 'keep' || kind === 'drop') {
          return { keep: kind === 'keep', policy: name, threshold: undefined, reason: name };
        }
        const threshold = thresholdOfProbability(p ?? 1);
        const keep = threshold !== undefined && passes(trace.randomness, threshold);
        if (kind === 'rule') {
          return keep ? { keep, policy: name, threshold, reason: name, fallsThrough: true } : undefined;
        }
        return { keep, policy: name, threshold, reason: name };
      });
    },
  };
}

/** One trace whose randomness is exactly T(0.5) = 2^55: it passes every p >= 0.5 and no p < 0.5. */
const atHalf = viewOfTrace(traceOf('0123456789abcdef0180000000000000', { children: 0 }));

const probabilityOf = (v: PolicyVerdict | undefined): number | undefined =>
  v && (v.threshold?.probability ?? (v.keep ? 1 : 0));

describe("firstMatch: a kept trace's probability is the chain's", () => {
  it.each<[string, Step[], { policy: string; keep: boolean; p: number; raisedBy?: string; asked: string[] }]>(
    [
      [
        'a rule keep alone keeps its own p',
        [['rule', 0.5]],
        { policy: 'a', keep: true, p: 0.5, asked: ['a'] },
      ],
      [
        'a later final keep at a higher p raises it',
        [
          ['rule', 0.5],
          ['final', 0.75],
        ],
        { policy: 'a', keep: true, p: 0.75, raisedBy: 'b', asked: ['a', 'b*'] },
      ],
      [
        'a later final at a lower p (a drop, since R misses it) adds nothing',
        [
          ['rule', 0.5],
          ['final', 0.25],
        ],
        { policy: 'a', keep: true, p: 0.5, asked: ['a', 'b*'] },
      ],
      [
        'an equal p is no raise',
        [
          ['rule', 0.5],
          ['final', 0.5],
        ],
        { policy: 'a', keep: true, p: 0.5, asked: ['a', 'b*'] },
      ],
      [
        'a final verdict ends the asking',
        [
          ['rule', 0.5],
          ['final', 0.75],
          ['final', 0.9],
        ],
        { policy: 'a', keep: true, p: 0.75, raisedBy: 'b', asked: ['a', 'b*'] },
      ],
      [
        'a deterministic keep after it means p 1',
        [['rule', 0.5], ['keep']],
        { policy: 'a', keep: true, p: 1, raisedBy: 'b', asked: ['a', 'b*'] },
      ],
      [
        'a deterministic drop adds nothing and ends the asking',
        [['rule', 0.5], ['drop'], ['final', 0.75]],
        { policy: 'a', keep: true, p: 0.5, asked: ['a', 'b*'] },
      ],
      [
        'no verdict adds nothing and asks on',
        [['rule', 0.5], ['none'], ['final', 0.75]],
        { policy: 'a', keep: true, p: 0.75, raisedBy: 'c', asked: ['a', 'b*', 'c*'] },
      ],
      [
        'a later rule keep raises it and asks on',
        [
          ['rule', 0.5],
          ['rule', 0.75],
          ['final', 0.6],
        ],
        { policy: 'a', keep: true, p: 0.75, raisedBy: 'b', asked: ['a', 'b*', 'c*'] },
      ],
      [
        'a later rule that passes it over adds nothing and asks on',
        [
          ['rule', 0.5],
          ['rule', 0.25],
          ['final', 0.6],
        ],
        { policy: 'a', keep: true, p: 0.6, raisedBy: 'c', asked: ['a', 'b*', 'c*'] },
      ],
      [
        'asking stops once p is 1',
        [
          ['rule', 0.5],
          ['rule', 1],
          ['final', 0.75],
        ],
        { policy: 'a', keep: true, p: 1, raisedBy: 'b', asked: ['a', 'b*'] },
      ],
      [
        'a final keep is not asked ahead',
        [
          ['final', 0.5],
          ['final', 0.75],
        ],
        { policy: 'a', keep: true, p: 0.5, asked: ['a'] },
      ],
      [
        'a rule that passed it over: the final keep after it has the larger p already',
        [
          ['rule', 0.25],
          ['final', 0.75],
        ],
        { policy: 'b', keep: true, p: 0.75, asked: ['a', 'b'] },
      ],
      [
        'a rule that passed it over, then a final drop: the drop as it is',
        [
          ['rule', 0.25],
          ['final', 0.3],
        ],
        { policy: 'b', keep: false, p: 0.3, asked: ['a', 'b'] },
      ],
      [
        "the boundary R = T keeps, at the rule's exact p",
        [
          ['rule', 0.5],
          ['final', 0.49],
        ],
        { policy: 'a', keep: true, p: 0.5, asked: ['a', 'b*'] },
      ],
    ],
  )('%s', (_name, steps, expected) => {
    // Prepare
    const asked: string[] = [];
    const names = ['a', 'b', 'c'];
    const chain = firstMatch(
      'chain',
      steps.map((step, i) => stepPolicy(names[i] as string, step, asked)),
    );

    // Act
    const [verdict] = chain.decide([atHalf], contextOf());

    // Assess
    expect(verdict).toMatchObject({ policy: expected.policy, keep: expected.keep });
    expect(probabilityOf(verdict)).toBeCloseTo(expected.p, 3);
    expect(asked).toEqual(expected.asked);
    if (expected.raisedBy) {
      expect(verdict?.reason).toMatch(
        new RegExp(`^a; probability raised to [0-9.]+ by ${expected.raisedBy}$`),
      );
    } else expect(verdict?.reason).toBe(expected.policy);
  });

  it('says fallsThrough while no final verdict was met, so that an outer chain asks on', () => {
    // Prepare
    const asked: string[] = [];
    const inner = firstMatch('inner', [stepPolicy('a', ['rule', 0.5], asked)]);
    const finished = firstMatch('inner', [
      stepPolicy('a', ['rule', 0.5], asked),
      stepPolicy('b', ['drop'], asked),
    ]);

    // Act
    const [open] = inner.decide([atHalf], contextOf());
    const [closed] = finished.decide([atHalf], contextOf());
    const [outer] = firstMatch('outer', [inner, stepPolicy('c', ['final', 0.75], asked)]).decide(
      [atHalf],
      contextOf(),
    );

    // Assess
    expect(open?.fallsThrough).toBe(true);
    expect(closed?.fallsThrough).toBeUndefined();
    expect(outer).toMatchObject({ policy: 'a', keep: true, reason: 'a; probability raised to 0.750 by c' });
    expect(outer?.threshold?.probability).toBe(0.75);
  });

  it('asks each policy once per batch, naming exactly the traces asked ahead', () => {
    // Prepare: 200 traces; a rule at 0.25, then a final policy at 0.5 that records its calls
    const views = viewsOf(traceIds(200, 41).flatMap((id) => traceOf(id, { children: 0 })));
    const calls: Array<{ traces: number; ahead: number }> = [];
    const rule = stepPolicy('rule', ['rule', 0.25], []);
    const final: SamplingPolicy = {
      name: 'final',
      decide(traces, context) {
        calls.push({ traces: traces.length, ahead: traces.filter((t) => context.lookahead?.has(t)).length });
        return stepPolicy('final', ['final', 0.5], []).decide(traces, context);
      },
    };

    // Act
    const verdicts = firstMatch('chain', [rule, final]).decide(views, contextOf());

    // Assess: one call with every trace, those the rule kept named as asked ahead; they record 0.5
    const byRule = verdicts.filter((v) => v?.policy === 'rule');
    expect(byRule.length).toBeGreaterThan(25);
    expect(calls).toEqual([{ traces: 200, ahead: byRule.length }]);
    for (const v of byRule) expect(v?.threshold?.probability).toBe(0.5);
    expect(
      verdicts.filter((v) => v?.policy === 'final' && v.keep).every((v) => v?.threshold?.th === '8'),
    ).toBe(true);
  });
});
