import { describe, expect, it } from 'vitest';
import { criticalPathNano } from '../../../../lambdas/shared/span/critical-path.ts';
import { sid, type TestSpan, testSpan } from '../../../support/storage.ts';

/** Critical-path ns per span label (0 for spans off the path). */
function pathOf(specs: readonly TestSpan[]): Record<string, number> {
  // Prepare
  const spans = specs.map(testSpan);
  // Act
  const onPath = criticalPathNano(spans);
  const out: Record<string, number> = {};
  for (const spec of specs) out[spec.id] = onPath.get(sid(spec.id)) ?? 0;
  return out;
}

describe('criticalPathNano (Jaeger UI algorithm)', () => {
  it.each([
    {
      case: 'sequential children: gaps belong to the parent',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: 10, end: 40 },
        { id: 'b', parent: 'root', start: 50, end: 90 },
      ],
      expected: { root: 30, a: 30, b: 40 },
    },
    {
      case: 'parallel fan-out: only the last-finishing branch counts',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: 10, end: 60 },
        { id: 'b', parent: 'root', start: 10, end: 80 },
        { id: 'c', parent: 'root', start: 20, end: 50 },
      ],
      expected: { root: 30, a: 0, b: 70, c: 0 },
    },
    {
      case: 'nested fan-out: the walk goes down the last finisher and back up',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: 10, end: 90 },
        { id: 'a1', parent: 'a', start: 20, end: 50 },
        { id: 'a2', parent: 'a', start: 30, end: 70 },
      ],
      expected: { root: 20, a: 40, a1: 0, a2: 40 },
    },
    {
      case: 'async child outliving its parent is cut at the parent end; one starting after it is dropped',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'prod', parent: 'root', start: 10, end: 20 },
        { id: 'cons', parent: 'prod', start: 15, end: 300 },
        { id: 'cons2', parent: 'prod', start: 30, end: 50 },
      ],
      expected: { root: 90, prod: 5, cons: 5, cons2: 0 },
    },
    {
      case: 'child starting before its parent is clipped to the parent start',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: -10, end: 30 },
      ],
      expected: { root: 70, a: 30 },
    },
    {
      case: 'child ending before its parent started is dropped with its subtree',
      spans: [
        { id: 'root', start: 50, end: 100 },
        { id: 'a', parent: 'root', start: 0, end: 40 },
        { id: 'a1', parent: 'a', start: 10, end: 20 },
      ],
      expected: { root: 50, a: 0, a1: 0 },
    },
    {
      case: 'equal end times: the earlier-starting child wins, as in Jaeger',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: 10, end: 60 },
        { id: 'b', parent: 'root', start: 20, end: 60 },
      ],
      expected: { root: 50, a: 50, b: 0 },
    },
    {
      case: 'boundary: a sibling ending exactly when the next starts is not before it (strict <)',
      spans: [
        { id: 'root', start: 0, end: 100 },
        { id: 'a', parent: 'root', start: 0, end: 50 },
        { id: 'b', parent: 'root', start: 50, end: 100 },
      ],
      expected: { root: 50, a: 0, b: 50 },
    },
    {
      case: 'a fragment without its root: each span with a missing parent roots its own path',
      spans: [
        { id: 'x', parent: 'missing', start: 0, end: 50 },
        { id: 'y', parent: 'x', start: 10, end: 30 },
      ],
      expected: { x: 30, y: 20 },
    },
    {
      case: 'a parent cycle (hostile input) is unreachable and gets nothing',
      spans: [
        { id: 'r', start: 0, end: 10 },
        { id: 'p', parent: 'q', start: 0, end: 5 },
        { id: 'q', parent: 'p', start: 0, end: 5 },
      ],
      expected: { r: 10, p: 0, q: 0 },
    },
  ])('$case', ({ spans, expected }) => {
    // Act, Assess
    expect(pathOf(spans)).toEqual(expected);
  });

  it('gives the whole root duration to the path of a 20,000-child sequential fan-out', () => {
    // Prepare: children of 9 ns, 1 ns apart, so each one ends strictly before the next starts.
    const n = 20_000;
    const specs: TestSpan[] = [{ id: 'root', start: 0, end: n * 10 + 5 }];
    for (let i = 0; i < n; i++)
      specs.push({ id: `c${i}`, parent: 'root', start: i * 10 + 1, end: i * 10 + 10 });
    // Act
    const onPath = criticalPathNano(specs.map(testSpan));
    // Assess
    const children = specs.slice(1).map((s) => onPath.get(sid(s.id)) ?? 0);
    expect(children.every((ns) => ns === 9)).toBe(true);
    const total = [...onPath.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(n * 10 + 5);
    expect(onPath.get(sid('root'))).toBe(n * 10 + 5 - n * 9);
  });

  it('returns nothing for no spans', () => {
    expect(criticalPathNano([]).size).toBe(0);
  });
});
