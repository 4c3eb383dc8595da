/**
 * A Jaeger trace as the trace page draws it: the span tree with times relative to the trace's
 * start, each span's share of the critical path, and the sampling decision tracesift wrote on the
 * root (lambdas/query/jaeger/translate.ts). Hostile input (missing parents, parent cycles, repeated
 * span ids, 10,000-deep chains) gives a tree, never an exception or a hang: every walk is a loop.
 */
import type { JaegerSpan, JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';
import { type CriticalPathSpan, criticalPathNano } from '../../../lambdas/shared/span/critical-path.ts';
import {
  distinctSpans,
  durationOf,
  isErrorSpan,
  kindOf,
  numberOf,
  parentIdOf,
  serviceOf,
  startOf,
  tagValueOf,
  textOf,
} from './jaeger-fields.ts';
import type { SamplingDecision, SpanNode, TraceView, WaterfallRow } from './types.ts';

/** The root tags of translate.ts's table (its SAMPLING_TAGS; that module is not for a browser). */
const SAMPLING_TAGS = {
  policy: 'tracesift.sampling.policy',
  probability: 'tracesift.sampling.probability',
  adjustedCount: 'tracesift.sampling.adjusted_count',
  threshold: 'tracesift.sampling.threshold',
  reason: 'tracesift.sampling.reason',
} as const;
const SAMPLING_PREFIX = 'tracesift.sampling.';

/**
 * The decision on spans[0], or on the first span carrying any `tracesift.sampling.*` tag. A
 * probability outside (0, 1] or an adjusted count below 1 is ignored; when only one of the two is
 * valid the other is its inverse, and when neither is both are 1 (a trace that stands for itself).
 */
export function decisionOf(trace: JaegerTrace): SamplingDecision {
  const carrier = decisionCarrier(trace);
  const read = (key: string): unknown => (carrier ? tagValueOf(carrier, key) : undefined);
  const p = numberOf(read(SAMPLING_TAGS.probability));
  const n = numberOf(read(SAMPLING_TAGS.adjustedCount));
  const probability = p !== undefined && p > 0 && p <= 1 ? p : undefined;
  const adjustedCount = n !== undefined && n >= 1 ? n : undefined;
  return {
    policy: textOf(read(SAMPLING_TAGS.policy)),
    probability: probability ?? (adjustedCount ? 1 / adjustedCount : 1),
    adjustedCount: adjustedCount ?? (probability ? 1 / probability : 1),
    threshold: textOf(read(SAMPLING_TAGS.threshold)),
    reason: textOf(read(SAMPLING_TAGS.reason)),
  };
}

function decisionCarrier(trace: JaegerTrace): JaegerSpan | undefined {
  const carries = (span: JaegerSpan): boolean =>
    span.tags.some((tag) => typeof tag.key === 'string' && tag.key.startsWith(SAMPLING_PREFIX));
  const first = trace.spans[0];
  return first && carries(first) ? first : trace.spans.find(carries);
}

/** Mutable while the tree is built. */
type Draft = { -readonly [K in keyof Omit<SpanNode, 'childIds'>]: SpanNode[K] } & { childIds: string[] };

export function traceViewOf(trace: JaegerTrace): TraceView {
  const byId = distinctSpans(trace);
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = Number.NEGATIVE_INFINITY;
  for (const span of byId.values()) {
    startUs = Math.min(startUs, startOf(span));
    endUs = Math.max(endUs, startOf(span) + durationOf(span));
  }
  if (byId.size === 0) startUs = endUs = 0;

  const parents = parentsWithoutCycles(byId);
  const drafts = new Map<string, Draft>();
  for (const [spanId, span] of byId) drafts.set(spanId, draftOf(trace, span, parents.get(spanId), startUs));
  const roots: Draft[] = [];
  for (const draft of drafts.values()) {
    const parent = draft.parentId === undefined ? undefined : drafts.get(draft.parentId);
    if (parent) parent.childIds.push(draft.spanId);
    else roots.push(draft);
  }
  for (const draft of drafts.values()) {
    draft.childIds.sort((a, b) => byStart(drafts.get(a) as Draft, drafts.get(b) as Draft));
  }
  setCriticalPath(drafts);

  const rootIds = rootIdsOf(roots, trace.spans[0]);
  const spans: ReadonlyMap<string, SpanNode> = drafts;
  return {
    traceId: textOf(trace.traceID),
    startUs,
    durationUs: endUs - startUs,
    spans,
    rootIds,
    decision: decisionOf(trace),
    services: [...new Set([...drafts.values()].map((d) => d.service))].sort(),
    errorCount: [...drafts.values()].filter((d) => d.error).length,
    depth: depthOf(spans, rootIds),
  };
}

function draftOf(trace: JaegerTrace, span: JaegerSpan, parentId: string | undefined, baseUs: number): Draft {
  return {
    spanId: span.spanID,
    parentId,
    service: serviceOf(trace, span),
    operation: textOf(span.operationName),
    kind: kindOf(span),
    offsetUs: startOf(span) - baseUs,
    durationUs: durationOf(span),
    error: isErrorSpan(span),
    childIds: [],
    criticalUs: 0,
  };
}

/**
 * Each span's parent, with every span of a parent cycle made a root. Each walk up the parents stops
 * at a span an earlier walk reached, so the whole pass is linear in the spans; meeting a span of
 * the current walk again closes a cycle.
 */
function parentsWithoutCycles(byId: ReadonlyMap<string, JaegerSpan>): Map<string, string | undefined> {
  const parents = new Map<string, string | undefined>();
  for (const [spanId, span] of byId) parents.set(spanId, parentIdOf(span, byId));
  const walkOf = new Map<string, number>();
  let walk = 0;
  for (const spanId of byId.keys()) {
    walk++;
    let current: string | undefined = spanId;
    while (current !== undefined && !walkOf.has(current)) {
      walkOf.set(current, walk);
      current = parents.get(current);
    }
    if (current === undefined || walkOf.get(current) !== walk) continue;
    let member: string | undefined = current;
    do {
      const next: string | undefined = parents.get(member);
      parents.set(member, undefined);
      member = next;
    } while (member !== undefined && member !== current);
  }
  return parents;
}

/** Jaeger's critical path over the tree as built here (ns in, µs out; times are whole µs). */
function setCriticalPath(drafts: ReadonlyMap<string, Draft>): void {
  const spans: CriticalPathSpan[] = [...drafts.values()].map((d) => ({
    spanId: d.spanId,
    parentSpanId: d.parentId ?? '',
    startTimeUnixNano: BigInt(Math.trunc(d.offsetUs)) * 1000n,
    endTimeUnixNano: BigInt(Math.trunc(d.offsetUs + d.durationUs)) * 1000n,
  }));
  for (const [spanId, nanos] of criticalPathNano(spans)) {
    const draft = drafts.get(spanId);
    if (draft) draft.criticalUs = nanos / 1000;
  }
}

/** Roots by start, spans[0] first when it is one (the root translate.ts writes first). */
function rootIdsOf(roots: Draft[], first: JaegerSpan | undefined): string[] {
  const rootIds = roots.sort(byStart).map((root) => root.spanId);
  const top = first ? rootIds.indexOf(first.spanID) : -1;
  if (top > 0) rootIds.unshift(...rootIds.splice(top, 1));
  return rootIds;
}

function byStart(a: SpanNode, b: SpanNode): number {
  if (a.offsetUs !== b.offsetUs) return a.offsetUs - b.offsetUs;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** Spans on the longest root-to-leaf chain, breadth-first. */
function depthOf(spans: ReadonlyMap<string, SpanNode>, rootIds: readonly string[]): number {
  let depth = 0;
  let level = rootIds;
  while (level.length > 0) {
    depth++;
    level = level.flatMap((spanId) => spans.get(spanId)?.childIds ?? []);
  }
  return depth;
}

/**
 * The rows of the waterfall: depth-first pre-order over the roots and their children, without the
 * descendants of collapsed spans (never visited, so collapsing a large subtree makes this cheaper).
 * `collapsed` on a row says the span is in the set, whether or not it has children.
 */
export function waterfallRows(view: TraceView, collapsed: ReadonlySet<string>): WaterfallRow[] {
  const rows: WaterfallRow[] = [];
  const stack: { spanId: string; depth: number }[] = [];
  const pushAll = (spanIds: readonly string[], depth: number): void => {
    for (let i = spanIds.length - 1; i >= 0; i--) stack.push({ spanId: spanIds[i] as string, depth });
  };
  pushAll(view.rootIds, 0);
  for (let top = stack.pop(); top; top = stack.pop()) {
    const span = view.spans.get(top.spanId);
    if (!span) continue;
    const isCollapsed = collapsed.has(span.spanId);
    rows.push({ span, depth: top.depth, hasChildren: span.childIds.length > 0, collapsed: isCollapsed });
    if (!isCollapsed) pushAll(span.childIds, top.depth + 1);
  }
  return rows;
}
