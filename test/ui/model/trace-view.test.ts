import { describe, expect, it } from 'vitest';
import type { JaegerTag, JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';
import { jaegerTraceOf } from '../../../lambdas/query/jaeger/translate.ts';
import { SpanKind, StatusCode } from '../../../lambdas/shared/span/model.ts';
import { decisionOf, traceViewOf, waterfallRows } from '../../../ui/src/model/trace-view.ts';
import type { SamplingDecision, SpanNode, TraceView } from '../../../ui/src/model/types.ts';
import { span as modelSpan, START_NS } from '../../lambdas/query/jaeger/spans.ts';
import {
  childOf,
  EPOCH_US,
  followsFrom,
  jaegerTrace,
  type SpanSpec,
  samplingTags,
  TRACE_ID,
} from './jaeger-traces.ts';

const DEFAULT_DECISION: SamplingDecision = {
  policy: '',
  probability: 1,
  adjustedCount: 1,
  threshold: '',
  reason: '',
};

function nodeOf(view: TraceView, spanId: string): SpanNode {
  const node = view.spans.get(spanId);
  if (!node) throw new Error(`no span ${spanId} in the view`);
  return node;
}

/** Each span's parent, for comparing trees whole. */
function parentsOf(view: TraceView): Record<string, string | undefined> {
  return Object.fromEntries([...view.spans.values()].map((node) => [node.spanId, node.parentId]));
}

describe('decisionOf', () => {
  it.each([
    { case: 'no sampling tags: a trace that stands for itself', tags: {}, expected: {} },
    {
      case: 'every tag, numbers as numbers',
      tags: { policy: 'baseline', probability: 0.25, adjustedCount: 4, threshold: 'c', reason: 'r' },
      expected: { policy: 'baseline', probability: 0.25, adjustedCount: 4, threshold: 'c', reason: 'r' },
    },
    {
      case: 'numbers as strings',
      tags: { probability: '0.25', adjustedCount: ' 4 ' },
      expected: { probability: 0.25, adjustedCount: 4 },
    },
    {
      case: 'only a probability: the count is its inverse',
      tags: { probability: 0.1 },
      expected: { probability: 0.1, adjustedCount: 10 },
    },
    {
      case: 'only a count: the probability is its inverse',
      tags: { adjustedCount: 8 },
      expected: { probability: 0.125, adjustedCount: 8 },
    },
    {
      case: 'float64 strings JSON cannot hold',
      tags: { probability: 'NaN', adjustedCount: 'Infinity' },
      expected: {},
    },
    {
      case: 'a probability of 0 and a negative count',
      tags: { probability: 0, adjustedCount: -3 },
      expected: {},
    },
    {
      case: 'a probability above 1 and a count below 1',
      tags: { probability: 1.5, adjustedCount: 0.5 },
      expected: {},
    },
    { case: 'empty and non-numeric strings', tags: { probability: '', adjustedCount: 'four' }, expected: {} },
    {
      case: 'values of the wrong type',
      tags: { policy: 7, probability: true, adjustedCount: null, threshold: { th: 'c' }, reason: false },
      expected: { policy: '7', reason: 'false' },
    },
  ])('$case', ({ tags, expected }) => {
    // Prepare
    const trace = jaegerTrace([{ id: 'root', tags: samplingTags(tags) }]);
    // Act
    const decision = decisionOf(trace);
    // Assess
    expect(decision).toEqual({ ...DEFAULT_DECISION, ...expected });
  });

  it.each([
    {
      case: 'spans[0] carries the decision over a later span',
      specs: [
        { id: 'root', tags: samplingTags({ policy: 'errors', probability: 1, adjustedCount: 1 }) },
        { id: 'other', tags: samplingTags({ policy: 'baseline', probability: 0.5 }) },
      ],
      expected: { policy: 'errors' },
    },
    {
      case: 'the first span carrying it when spans[0] does not',
      specs: [
        { id: 'first' },
        { id: 'carrier', tags: samplingTags({ policy: 'latency', probability: 0.5 }) },
        { id: 'late', tags: samplingTags({ policy: 'baseline', probability: 0.25 }) },
      ],
      expected: { policy: 'latency', probability: 0.5, adjustedCount: 2 },
    },
    { case: 'a trace without spans', specs: [], expected: {} },
    {
      case: 'tags without a string key',
      specs: [
        {
          id: 'root',
          tags: [
            { key: null, type: 'string', value: 'x' } as unknown as JaegerTag,
            ...samplingTags({ policy: 'errors' }),
          ],
        },
      ],
      expected: { policy: 'errors' },
    },
  ])('$case', ({ specs, expected }) => {
    // Prepare
    const trace = jaegerTrace(specs);
    // Act
    const decision = decisionOf(trace);
    // Assess
    expect(decision).toEqual({ ...DEFAULT_DECISION, ...expected });
  });

  it('reads the decision, kinds, errors and parents that translate.ts writes', () => {
    // Prepare
    const root = modelSpan({ spanId: '00000000000000a1', kind: SpanKind.SERVER });
    const child = modelSpan({
      spanId: '00000000000000b2',
      parentSpanId: '00000000000000a1',
      startTimeUnixNano: START_NS + 1_000n,
      endTimeUnixNano: START_NS + 3_000n,
      status: { code: StatusCode.ERROR, message: 'boom' },
    });
    const summary = {
      rootSpanId: '00000000000000a1',
      policy: 'rule:slow',
      probability: 0.2,
      adjustedCount: 5,
      threshold: 'cccc',
      reason: 'over 2s',
    };
    const trace = jaegerTraceOf({ spans: [child, root], summary }) as JaegerTrace;
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(view.decision).toEqual({
      policy: 'rule:slow',
      probability: 0.2,
      adjustedCount: 5,
      threshold: 'cccc',
      reason: 'over 2s',
    });
    expect(view.rootIds).toEqual(['00000000000000a1']);
    expect(nodeOf(view, '00000000000000a1')).toMatchObject({ kind: 'server', error: false });
    expect(nodeOf(view, '00000000000000b2')).toMatchObject({
      parentId: '00000000000000a1',
      kind: '',
      error: true,
      offsetUs: 1,
      durationUs: 2,
    });
  });
});

describe('traceViewOf', () => {
  it('places every span in its tree, relative to the earliest start', () => {
    // Prepare
    const trace = jaegerTrace([
      { id: 'root', service: 'web', start: 0, duration: 100, kind: 'server' },
      { id: 'b', parent: 'root', service: 'db', start: 50, duration: 40, kind: 'client' },
      { id: 'a', parent: 'root', service: 'api', start: 10, duration: 30, error: true },
      { id: 'c', parent: 'a', service: 'api', start: 15, duration: 5 },
    ]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(view).toMatchObject({
      traceId: TRACE_ID,
      startUs: EPOCH_US,
      durationUs: 100,
      rootIds: ['root'],
      decision: DEFAULT_DECISION,
      services: ['api', 'db', 'web'],
      errorCount: 1,
      depth: 3,
    });
    expect(nodeOf(view, 'root')).toEqual({
      spanId: 'root',
      parentId: undefined,
      service: 'web',
      operation: 'op root',
      kind: 'server',
      offsetUs: 0,
      durationUs: 100,
      error: false,
      childIds: ['a', 'b'],
      criticalUs: 30,
    });
    expect(nodeOf(view, 'a')).toMatchObject({ parentId: 'root', offsetUs: 10, error: true, childIds: ['c'] });
    expect(nodeOf(view, 'c')).toMatchObject({ parentId: 'a', offsetUs: 15, durationUs: 5, kind: '' });
  });

  it('gives each span its share of the critical path in µs, summing to the root', () => {
    // Prepare: root 0-100, a 10-40 with c 15-20 inside, b 50-90. From the end: root 90-100, b 50-90,
    // root 40-50, a 20-40, c 15-20, a 10-15, root 0-10.
    const trace = jaegerTrace([
      { id: 'root', start: 0, duration: 100 },
      { id: 'a', parent: 'root', start: 10, duration: 30 },
      { id: 'b', parent: 'root', start: 50, duration: 40 },
      { id: 'c', parent: 'a', start: 15, duration: 5 },
      { id: 'late', parent: 'root', start: 20, duration: 10 },
    ]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    const critical = Object.fromEntries([...view.spans.values()].map((n) => [n.spanId, n.criticalUs]));
    expect(critical).toEqual({ root: 30, a: 25, b: 40, c: 5, late: 0 });
  });

  it('orders children by start, then span id', () => {
    // Prepare
    const trace = jaegerTrace([
      { id: 'root', start: 0, duration: 100 },
      { id: 'z', parent: 'root', start: 5 },
      { id: 'y', parent: 'root', start: 20 },
      { id: 'x', parent: 'root', start: 5 },
    ]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(nodeOf(view, 'root').childIds).toEqual(['x', 'z', 'y']);
  });

  it('returns an empty view for a trace without spans', () => {
    // Prepare
    const trace = jaegerTrace([]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(view).toEqual({
      traceId: TRACE_ID,
      startUs: 0,
      durationUs: 0,
      spans: new Map(),
      rootIds: [],
      decision: DEFAULT_DECISION,
      services: [],
      errorCount: 0,
      depth: 0,
    });
    expect(waterfallRows(view, new Set())).toEqual([]);
  });

  it.each<{
    case: string;
    specs: SpanSpec[];
    parents: Record<string, string | undefined>;
    rootIds: string[];
  }>([
    {
      case: 'a missing parent makes a root; roots after the trace root by start',
      specs: [
        { id: 'root', start: 10 },
        { id: 'late-orphan', parent: 'gone', start: 5 },
        { id: 'early-orphan', parent: 'gone', start: 0 },
      ],
      parents: { root: undefined, 'late-orphan': undefined, 'early-orphan': undefined },
      rootIds: ['root', 'early-orphan', 'late-orphan'],
    },
    {
      case: 'spans[0] with a parent in the trace: roots by start only',
      specs: [
        { id: 'child', parent: 'real-root', start: 5 },
        { id: 'real-root', start: 0, duration: 20 },
      ],
      parents: { child: 'real-root', 'real-root': undefined },
      rootIds: ['real-root'],
    },
    {
      case: 'the first CHILD_OF to a span of the trace is the parent',
      specs: [
        { id: 'root' },
        { id: 'other' },
        { id: 's', refs: [childOf('gone'), followsFrom('root'), childOf('other'), childOf('root')] },
      ],
      parents: { root: undefined, other: undefined, s: 'other' },
      rootIds: ['root', 'other'],
    },
    {
      case: 'a FOLLOWS_FROM link is not a parent',
      specs: [{ id: 'root' }, { id: 'linked', refs: [followsFrom('root')] }],
      parents: { root: undefined, linked: undefined },
      rootIds: ['root', 'linked'],
    },
    {
      case: 'a span its own parent is a root',
      specs: [{ id: 'root' }, { id: 'self', parent: 'self', start: 1 }],
      parents: { root: undefined, self: undefined },
      rootIds: ['root', 'self'],
    },
    {
      case: 'every span of a cycle becomes a root; a span hanging off it keeps its parent',
      specs: [
        { id: 'root', start: 0 },
        { id: 'a', parent: 'c', start: 1 },
        { id: 'b', parent: 'a', start: 2 },
        { id: 'c', parent: 'b', start: 3 },
        { id: 'tail', parent: 'a', start: 4 },
        { id: 'tail-child', parent: 'tail', start: 5 },
      ],
      parents: { root: undefined, a: undefined, b: undefined, c: undefined, tail: 'a', 'tail-child': 'tail' },
      rootIds: ['root', 'a', 'b', 'c'],
    },
    {
      case: 'a two-span cycle met from its tail first',
      specs: [
        { id: 'tail', parent: 'x', start: 0 },
        { id: 'x', parent: 'y', start: 1 },
        { id: 'y', parent: 'x', start: 2 },
      ],
      parents: { tail: 'x', x: undefined, y: undefined },
      rootIds: ['x', 'y'],
    },
  ])('$case', ({ specs, parents, rootIds }) => {
    // Prepare
    const trace = jaegerTrace(specs);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(parentsOf(view)).toEqual(parents);
    expect(view.rootIds).toEqual(rootIds);
    const rows = waterfallRows(view, new Set());
    expect(rows.map((row) => row.span.spanId).sort()).toEqual(Object.keys(parents).sort());
  });

  it('keeps the first span of a repeated id', () => {
    // Prepare
    const trace = jaegerTrace([
      { id: 'root', duration: 100 },
      { id: 'a', parent: 'root', operation: 'first', start: 10, error: true },
      { id: 'a', parent: 'root', operation: 'second', start: 20, error: true },
      { id: 'root', operation: 'again', parent: 'a' },
    ]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(view.spans.size).toBe(2);
    expect(nodeOf(view, 'a')).toMatchObject({ operation: 'first', offsetUs: 10, parentId: 'root' });
    expect(nodeOf(view, 'root')).toMatchObject({ parentId: undefined, childIds: ['a'] });
    expect(view.errorCount).toBe(1);
  });

  it.each([
    {
      case: 'a numeric string',
      raw: { startTime: String(EPOCH_US + 30), duration: '25' },
      offsetUs: 30,
      durationUs: 25,
    },
    { case: 'a negative duration', raw: { duration: -5 }, offsetUs: 0, durationUs: 0 },
    {
      case: 'NaN times',
      raw: { startTime: Number.NaN, duration: Number.NaN },
      offsetUs: -EPOCH_US,
      durationUs: 0,
    },
    {
      case: 'times beyond 2^53 µs',
      raw: { startTime: 1e300, duration: 1e300 },
      offsetUs: -EPOCH_US,
      durationUs: 0,
    },
    { case: 'times of no type', raw: { startTime: null, duration: {} }, offsetUs: -EPOCH_US, durationUs: 0 },
  ])('reads $case as a time without throwing', ({ raw, offsetUs, durationUs }) => {
    // Prepare: the hostile span is the trace's second; a bad start reads as the epoch, 0.
    const trace = jaegerTrace([
      { id: 'root', duration: 100 },
      { id: 'odd', parent: 'root', raw },
    ]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    const root = nodeOf(view, 'root');
    const odd = nodeOf(view, 'odd');
    expect(odd.durationUs).toBe(durationUs);
    expect(odd.offsetUs - root.offsetUs).toBe(offsetUs);
    expect(Number.isFinite(view.durationUs)).toBe(true);
  });

  it.each([
    { case: 'error = true', tags: [{ key: 'error', type: 'bool', value: true }], error: true },
    { case: 'error = "true"', tags: [{ key: 'error', type: 'string', value: 'true' }], error: true },
    {
      case: 'otel.status_code = ERROR',
      tags: [{ key: 'otel.status_code', type: 'string', value: 'ERROR' }],
      error: true,
    },
    { case: 'error = false', tags: [{ key: 'error', type: 'bool', value: false }], error: false },
    {
      case: 'otel.status_code = OK',
      tags: [{ key: 'otel.status_code', type: 'string', value: 'OK' }],
      error: false,
    },
  ] as const)('reads $case as error: $error', ({ tags, error }) => {
    // Prepare
    const trace = jaegerTrace([{ id: 'root', tags }]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(nodeOf(view, 'root').error).toBe(error);
    expect(view.errorCount).toBe(error ? 1 : 0);
  });

  it.each([
    { case: 'a process key not in the trace', processID: 'p9' },
    { case: 'a key of Object.prototype', processID: 'constructor' },
  ])('gives $case the service ""', ({ processID }) => {
    // Prepare
    const trace = jaegerTrace([{ id: 'root', raw: { processID } }]);
    // Act
    const view = traceViewOf(trace);
    // Assess
    expect(nodeOf(view, 'root').service).toBe('');
    expect(view.services).toEqual(['']);
  });

  it('builds a 10,000-deep chain', () => {
    // Prepare: span i starts at i and ends at 2n − i, inside its parent; from each end back to the
    // child's end is 1 µs, and from the child's start back to its own another: 2 µs each.
    const n = 10_000;
    const specs = Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      ...(i > 0 ? { parent: `s${i - 1}` } : {}),
      start: i,
      duration: 2 * (n - i),
    }));
    // Act
    const view = traceViewOf(jaegerTrace(specs));
    const rows = waterfallRows(view, new Set());
    // Assess
    expect(view.depth).toBe(n);
    expect(view.rootIds).toEqual(['s0']);
    expect(view.durationUs).toBe(2 * n);
    expect(rows).toHaveLength(n);
    expect(rows.every((row, i) => row.span.spanId === `s${i}` && row.depth === i)).toBe(true);
    expect([...view.spans.values()].every((node) => node.criticalUs === 2)).toBe(true);
  });

  it('builds a 10,000-span fan-out', () => {
    // Prepare: children k = 1..n−1 over [2k − 1, 2k], 1 µs apart and given last first; the root
    // [0, 2n − 2] holds the n − 1 gaps before them.
    const n = 10_000;
    const children = Array.from({ length: n - 1 }, (_, i) => ({
      id: `c${String(n - 1 - i).padStart(5, '0')}`,
      parent: 'root',
      start: 2 * (n - 1 - i) - 1,
      duration: 1,
    }));
    // Act
    const view = traceViewOf(jaegerTrace([{ id: 'root', start: 0, duration: 2 * n - 2 }, ...children]));
    const rows = waterfallRows(view, new Set());
    // Assess
    const expectedChildren = children.map((child) => child.id).reverse();
    expect(view.depth).toBe(2);
    expect(nodeOf(view, 'root').childIds).toEqual(expectedChildren);
    expect(nodeOf(view, 'root').criticalUs).toBe(n - 1);
    expect(expectedChildren.every((id) => nodeOf(view, id).criticalUs === 1)).toBe(true);
    expect(rows.map((row) => row.span.spanId)).toEqual(['root', ...expectedChildren]);
  });

  it('breaks a 10,000-span cycle into roots', () => {
    // Prepare: span i's parent is span i + 1, the last one's span 0.
    const n = 10_000;
    const specs = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, parent: `s${(i + 1) % n}`, start: i }));
    // Act
    const view = traceViewOf(jaegerTrace(specs));
    // Assess
    expect(view.rootIds).toEqual(specs.map((spec) => spec.id));
    expect(view.depth).toBe(1);
  });
});

describe('waterfallRows', () => {
  // root ─┬─ a ─── a1 ─── a11
  //       └─ b ─── b1
  const view = traceViewOf(
    jaegerTrace([
      { id: 'root', start: 0, duration: 100 },
      { id: 'a', parent: 'root', start: 1 },
      { id: 'a1', parent: 'a', start: 2 },
      { id: 'a11', parent: 'a1', start: 3 },
      { id: 'b', parent: 'root', start: 4 },
      { id: 'b1', parent: 'b', start: 5 },
      { id: 'orphan', parent: 'gone', start: 6 },
    ]),
  );

  it.each([
    {
      case: 'nothing collapsed: every span in pre-order',
      collapsed: [],
      rows: [
        ['root', 0, true, false],
        ['a', 1, true, false],
        ['a1', 2, true, false],
        ['a11', 3, false, false],
        ['b', 1, true, false],
        ['b1', 2, false, false],
        ['orphan', 0, false, false],
      ],
    },
    {
      case: 'a collapsed subtree hides its descendants only',
      collapsed: ['a'],
      rows: [
        ['root', 0, true, false],
        ['a', 1, true, true],
        ['b', 1, true, false],
        ['b1', 2, false, false],
        ['orphan', 0, false, false],
      ],
    },
    {
      case: 'a collapsed root hides its whole tree, not the other roots',
      collapsed: ['root', 'a'],
      rows: [
        ['root', 0, true, true],
        ['orphan', 0, false, false],
      ],
    },
    {
      case: 'a collapsed leaf and an unknown id change nothing but the flag',
      collapsed: ['b1', 'nowhere'],
      rows: [
        ['root', 0, true, false],
        ['a', 1, true, false],
        ['a1', 2, true, false],
        ['a11', 3, false, false],
        ['b', 1, true, false],
        ['b1', 2, false, true],
        ['orphan', 0, false, false],
      ],
    },
  ])('$case', ({ collapsed, rows }) => {
    // Act
    const shown = waterfallRows(view, new Set(collapsed));
    // Assess
    expect(shown.map((row) => [row.span.spanId, row.depth, row.hasChildren, row.collapsed])).toEqual(rows);
    expect(shown.every((row) => row.span === view.spans.get(row.span.spanId))).toBe(true);
  });

  it('skips ids a hand-built view does not hold', () => {
    // Prepare
    const partial: TraceView = { ...view, rootIds: ['gone', 'orphan'] };
    // Act
    const rows = waterfallRows(partial, new Set());
    // Assess
    expect(rows.map((row) => row.span.spanId)).toEqual(['orphan']);
  });

  it('stops at a collapsed span in the middle of a 10,000-deep chain', () => {
    // Prepare
    const n = 10_000;
    const specs = Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      ...(i > 0 ? { parent: `s${i - 1}` } : {}),
      start: i,
    }));
    const chain = traceViewOf(jaegerTrace(specs));
    // Act
    const rows = waterfallRows(chain, new Set(['s4999']));
    // Assess
    expect(rows).toHaveLength(5_000);
    expect(rows.at(-1)).toMatchObject({ depth: 4_999, collapsed: true, hasChildren: true });
  });
});
