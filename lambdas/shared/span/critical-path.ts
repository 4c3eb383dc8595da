/**
 * The critical path of a trace as the Jaeger UI computes it for one trace (jaeger-ui
 * `TracePage/CriticalPath`): starting at a root span, follow the last-finishing child; when a span
 * has no (more) children that finish before the point we came back from, its own time down to its
 * start is on the path and we walk back up to its parent, bounded by that span's start.
 *
 * Before that, children are clipped to their parent as Jaeger's `sanitizeOverFlowingChildren`
 * does: a child that starts after its parent ended (or ends before it started) is dropped with its
 * subtree, and one that sticks out on either side is truncated to the parent's range. So an
 * asynchronous child that outlives its parent only counts while the parent is still running.
 *
 * Every span whose parent is not in the trace is a root of its own tree (Jaeger's `rootSpans`),
 * so fragments of a trace still get a path per fragment. Spans unreachable from any root (a
 * parent cycle in hostile input) get none.
 *
 * Jaeger's version recurses once per path step and rescans every child on each return to a parent,
 * which is quadratic in the fan-out; here the walk is iterative and each parent's children are
 * sorted by end time once, with a cursor that only moves forward, because the bound a parent is
 * re-entered with strictly decreases. A 20,000-span fan-out stays O(n log n).
 */
import type { Span } from './model.ts';

/** The fields the critical path needs. */
export type CriticalPathSpan = Pick<
  Span,
  'spanId' | 'parentSpanId' | 'startTimeUnixNano' | 'endTimeUnixNano'
>;

interface PathNode {
  readonly spanId: string;
  readonly parent: PathNode | undefined;
  /** Clipped start and end, ns relative to the trace's earliest start. */
  readonly start: number;
  readonly end: number;
  /** Kept children, by end time descending; ties in child order (start, then span id). */
  readonly children: PathNode[];
  /** Index of the next candidate in `children` when re-entered from a child. */
  cursor: number;
}

/**
 * Nanoseconds of each span that lie on the critical path. Spans off the path are absent (0).
 * Per root tree, the values sum to the root span's duration.
 */
export function criticalPathNano(spans: readonly CriticalPathSpan[]): Map<string, number> {
  const onPath = new Map<string, number>();
  if (spans.length === 0) return onPath;
  let base = (spans[0] as CriticalPathSpan).startTimeUnixNano;
  for (const span of spans) if (span.startTimeUnixNano < base) base = span.startTimeUnixNano;

  const byId = new Map<string, CriticalPathSpan>();
  for (const span of spans) if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  const childrenOf = new Map<string, CriticalPathSpan[]>();
  const roots: CriticalPathSpan[] = [];
  for (const span of byId.values()) {
    if (span.parentSpanId === '' || !byId.has(span.parentSpanId) || span.parentSpanId === span.spanId) {
      roots.push(span);
      continue;
    }
    let list = childrenOf.get(span.parentSpanId);
    if (!list) {
      list = [];
      childrenOf.set(span.parentSpanId, list);
    }
    list.push(span);
  }
  roots.sort(byStartThenId);
  for (const root of roots) walk(clippedTree(root, base, childrenOf), onPath);
  return onPath;
}

/** Builds the clipped tree under `root` breadth-first, parents before children (no recursion). */
function clippedTree(
  root: CriticalPathSpan,
  base: bigint,
  childrenOf: ReadonlyMap<string, CriticalPathSpan[]>,
): PathNode {
  const start = Number(root.startTimeUnixNano - base);
  const end = Math.max(start, Number(root.endTimeUnixNano - base));
  const top: PathNode = { spanId: root.spanId, parent: undefined, start, end, children: [], cursor: 0 };
  const queue: PathNode[] = [top];
  const seen = new Set<string>([root.spanId]);
  for (let q = 0; q < queue.length; q++) {
    const parent = queue[q] as PathNode;
    const children = childrenOf.get(parent.spanId);
    if (!children) continue;
    children.sort(byStartThenId);
    for (const child of children) {
      if (seen.has(child.spanId)) continue;
      seen.add(child.spanId);
      let s = Number(child.startTimeUnixNano - base);
      let e = Math.max(s, Number(child.endTimeUnixNano - base));
      if (s >= parent.start) {
        if (s >= parent.end) continue; // starts after the parent ended: not blocking it
        e = Math.min(e, parent.end);
      } else {
        if (e <= parent.start) continue; // ended before the parent started
        s = parent.start;
        e = Math.min(e, parent.end);
      }
      const node: PathNode = { spanId: child.spanId, parent, start: s, end: e, children: [], cursor: 0 };
      parent.children.push(node);
      queue.push(node);
    }
    // Stable sort: equal ends keep child order, so the first of them wins as in Jaeger.
    parent.children.sort((a, b) => b.end - a.end);
  }
  return top;
}

function walk(root: PathNode, onPath: Map<string, number>): void {
  let current: PathNode = root;
  let returning: number | undefined;
  for (;;) {
    const lastFinishing = nextChild(current, returning);
    const sectionEnd = returning ?? current.end;
    if (lastFinishing) {
      add(onPath, current.spanId, sectionEnd - lastFinishing.end);
      current = lastFinishing;
      returning = undefined;
      continue;
    }
    add(onPath, current.spanId, sectionEnd - current.start);
    if (current === root || !current.parent) return;
    returning = current.start;
    current = current.parent;
  }
}

/** The child finishing last, or last strictly before `before` when walking back up. */
function nextChild(node: PathNode, before: number | undefined): PathNode | undefined {
  const children = node.children;
  if (before === undefined) {
    node.cursor = 0;
    return children[0];
  }
  while (node.cursor < children.length && (children[node.cursor] as PathNode).end >= before) node.cursor++;
  return children[node.cursor];
}

function add(onPath: Map<string, number>, spanId: string, nanos: number): void {
  if (nanos <= 0) return;
  onPath.set(spanId, (onPath.get(spanId) ?? 0) + nanos);
}

function byStartThenId(a: CriticalPathSpan, b: CriticalPathSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}
