import { describe, expect, it } from 'vitest';
import { compileRuleMatcher } from '../../../../lambdas/sampler/policies/conditions.ts';
import { dropRulePolicy } from '../../../../lambdas/sampler/policies/drop-rule.ts';
import { keepRulePolicy } from '../../../../lambdas/sampler/policies/keep-rule.ts';
import { passes, thresholdOfProbability } from '../../../../lambdas/sampler/probability.ts';
import { type AttributeCondition, keepRuleSchema } from '../../../../lambdas/shared/config/index.ts';
import type { Attributes } from '../../../../lambdas/shared/span/model.ts';
import { contextOf, resourceOf, spanOf, traceIds, traceOf, viewOfTrace } from '../../../support/sampler.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

/** A trace whose root has `rootAttributes` and whose child has `childAttributes`, in service `svc`. */
function view(
  rootAttributes: Attributes,
  childAttributes: Attributes = {},
  resource: Attributes = {},
  traceId = TRACE,
) {
  const res = resourceOf('checkout', resource);
  const [root] = traceOf(traceId, { children: 0, root: { attributes: rootAttributes, resource: res } });
  return viewOfTrace([
    root as NonNullable<typeof root>,
    spanOf({
      traceId,
      spanId: 'c0c0c0c0c0c0c0c0',
      parentSpanId: root?.spanId,
      attributes: childAttributes,
      resource: res,
    }),
  ]);
}

const cond = (c: Record<string, unknown>): AttributeCondition =>
  ({ source: 'any', ...c }) as AttributeCondition;

describe('attribute conditions', () => {
  it.each([
    // equals
    [
      'equals a string',
      cond({ attribute: 'http.route', op: 'equals', value: '/pay' }),
      { 'http.route': '/pay' },
      true,
    ],
    [
      'equals, other string',
      cond({ attribute: 'http.route', op: 'equals', value: '/pay' }),
      { 'http.route': '/pay/' },
      false,
    ],
    ['equals a number (int attribute)', cond({ attribute: 'n', op: 'equals', value: 3 }), { n: 3 }, true],
    ['equals a number (bigint attribute)', cond({ attribute: 'n', op: 'equals', value: 3 }), { n: 3n }, true],
    [
      'equals a number (double attribute)',
      cond({ attribute: 'n', op: 'equals', value: 3.5 }),
      { n: 3.5 },
      true,
    ],
    [
      'equals a number vs a string attribute',
      cond({ attribute: 'n', op: 'equals', value: 3 }),
      { n: '3' },
      false,
    ],
    ['equals true', cond({ attribute: 'premium', op: 'equals', value: true }), { premium: true }, true],
    [
      'equals true vs false',
      cond({ attribute: 'premium', op: 'equals', value: true }),
      { premium: false },
      false,
    ],
    ['equals on a missing attribute', cond({ attribute: 'x', op: 'equals', value: 'a' }), {}, false],
    // regex
    [
      'regex match',
      cond({ attribute: 'url.path', op: 'regex', pattern: '^/admin/' }),
      { 'url.path': '/admin/users' },
      true,
    ],
    [
      'regex no match',
      cond({ attribute: 'url.path', op: 'regex', pattern: '^/admin/' }),
      { 'url.path': '/api/admin/' },
      false,
    ],
    ['regex on a number', cond({ attribute: 'n', op: 'regex', pattern: '3' }), { n: 3 }, false],
    // range (inclusive)
    ['range, equal to min', cond({ attribute: 'n', op: 'range', min: 10, max: 20 }), { n: 10 }, true],
    ['range, equal to max', cond({ attribute: 'n', op: 'range', min: 10, max: 20 }), { n: 20 }, true],
    ['range, just below min', cond({ attribute: 'n', op: 'range', min: 10, max: 20 }), { n: 9.999 }, false],
    ['range, just above max', cond({ attribute: 'n', op: 'range', min: 10, max: 20 }), { n: 20.001 }, false],
    ['range, min only', cond({ attribute: 'n', op: 'range', min: 10 }), { n: 1e9 }, true],
    ['range, max only', cond({ attribute: 'n', op: 'range', max: 10 }), { n: -5 }, true],
    ['range on a bigint', cond({ attribute: 'n', op: 'range', min: 10 }), { n: 2n ** 60n }, true],
    ['range on a string', cond({ attribute: 'n', op: 'range', min: 10 }), { n: '15' }, false],
    // exists
    ['exists', cond({ attribute: 'user.id', op: 'exists' }), { 'user.id': 'u1' }, true],
    ['exists with an empty string', cond({ attribute: 'user.id', op: 'exists' }), { 'user.id': '' }, true],
    ['exists, absent', cond({ attribute: 'user.id', op: 'exists' }), {}, false],
  ])('%s', (_name, condition, attributes, expected) => {
    const matches = compileRuleMatcher([condition], 'root');
    expect(matches(view(attributes))).toBe(expected);
  });

  it.each([
    ['span', { tier: 'gold' }, {}, true],
    ['span', {}, { tier: 'gold' }, false],
    ['resource', { tier: 'gold' }, {}, false],
    ['resource', {}, { tier: 'gold' }, true],
    ['any', { tier: 'gold' }, {}, true],
    ['any', {}, { tier: 'gold' }, true],
  ])('source %s with span %j and resource %j', (source, spanAttributes, resourceAttributes, expected) => {
    const matches = compileRuleMatcher(
      [cond({ attribute: 'tier', op: 'equals', value: 'gold', source })],
      'root',
    );
    expect(matches(view(spanAttributes, {}, resourceAttributes))).toBe(expected);
  });

  it.each([
    ['root', { a: 1 }, {}, true],
    ['root', {}, { a: 1 }, false],
    ['any', {}, { a: 1 }, true],
  ])('scope %s, root %j, child %j', (scope, rootAttributes, childAttributes, expected) => {
    const matches = compileRuleMatcher([cond({ attribute: 'a', op: 'exists' })], scope as 'root' | 'any');
    expect(matches(view(rootAttributes, childAttributes))).toBe(expected);
  });

  it('requires every condition on the same span', () => {
    const matches = compileRuleMatcher(
      [cond({ attribute: 'a', op: 'exists' }), cond({ attribute: 'b', op: 'exists' })],
      'any',
    );
    expect(matches(view({ a: 1 }, { b: 1 }))).toBe(false);
    expect(matches(view({ a: 1, b: 2 }, {}))).toBe(true);
  });

  it('a root-scoped rule never matches a trace without its root', () => {
    const child = spanOf({
      traceId: TRACE,
      spanId: '1111111111111111',
      parentSpanId: '2222222222222222',
      attributes: { a: 1 },
    });
    expect(compileRuleMatcher([cond({ attribute: 'a', op: 'exists' })], 'root')(viewOfTrace([child]))).toBe(
      false,
    );
    expect(compileRuleMatcher([cond({ attribute: 'a', op: 'exists' })], 'any')(viewOfTrace([child]))).toBe(
      true,
    );
  });
});

describe('keepRulePolicy', () => {
  const rule = (probability = 1) =>
    keepRuleSchema.parse({
      name: 'vip',
      when: [{ attribute: 'tier', op: 'equals', value: 'gold' }],
      probability,
    });

  it('keeps a matching trace deterministically and passes the others on', () => {
    const verdicts = keepRulePolicy(rule()).decide(
      [view({ tier: 'gold' }), view({ tier: 'silver' })],
      contextOf(),
    );
    expect(verdicts).toEqual([
      { keep: true, policy: 'rule:vip', threshold: undefined, reason: 'matches rule vip' },
      undefined,
    ]);
  });

  it('with a probability, keeps exactly the matching traces whose randomness passes its threshold', () => {
    // Prepare: 200 matching traces with spread-out ids
    const views = traceIds(200).map((id) => view({ tier: 'gold' }, {}, {}, id));
    const threshold = thresholdOfProbability(0.25);

    // Act
    const verdicts = keepRulePolicy(rule(0.25)).decide(views, contextOf());

    // Assess: kept iff R >= T; the others fall through (undefined), never dropped by the rule
    views.forEach((v, i) => {
      const expected = threshold && passes(v.randomness, threshold);
      expect(verdicts[i]?.keep).toBe(expected ? true : undefined);
      if (expected) expect(verdicts[i]?.threshold?.th).toBe('c');
    });
    const keptCount = verdicts.filter((v) => v?.keep).length;
    expect(keptCount).toBeGreaterThan(20);
    expect(keptCount).toBeLessThan(80);
  });
});

describe('dropRulePolicy', () => {
  const rule = dropRulePolicy({
    name: 'health',
    scope: 'root',
    when: [{ attribute: 'http.route', op: 'regex', pattern: '^/health', source: 'span' }],
  });

  it('drops matching traces and passes the others on', () => {
    const verdicts = rule.decide(
      [view({ 'http.route': '/healthz' }), view({ 'http.route': '/pay' })],
      contextOf(),
    );
    expect(verdicts).toEqual([
      { keep: false, policy: 'drop:health', threshold: undefined, reason: 'matches drop rule health' },
      undefined,
    ]);
  });
});
