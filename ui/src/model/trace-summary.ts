/**
 * A search result's line. The root is the trace's first span, as translate.ts writes it; when
 * spans[0] has a parent in the trace (an answer not written by tracesift), the earliest span
 * without one, and when every span has one (a parent cycle), the earliest span.
 */
import type { JaegerSpan, JaegerTrace } from '../../../lambdas/query/jaeger/model.ts';
import {
  distinctSpans,
  durationOf,
  isErrorSpan,
  parentIdOf,
  serviceOf,
  startOf,
  textOf,
} from './jaeger-fields.ts';
import { decisionOf } from './trace-view.ts';
import type { TraceSummary } from './types.ts';

export function traceSummaryOf(trace: JaegerTrace): TraceSummary {
  const byId = distinctSpans(trace);
  let startUs = Number.POSITIVE_INFINITY;
  let endUs = Number.NEGATIVE_INFINITY;
  let earliest: JaegerSpan | undefined;
  let earliestRoot: JaegerSpan | undefined;
  let errorCount = 0;
  const spansOfService = new Map<string, number>();
  for (const span of byId.values()) {
    if (!earliest || startOf(span) < startOf(earliest)) earliest = span;
    const isRoot = parentIdOf(span, byId) === undefined;
    if (isRoot && (!earliestRoot || startOf(span) < startOf(earliestRoot))) earliestRoot = span;
    startUs = Math.min(startUs, startOf(span));
    endUs = Math.max(endUs, startOf(span) + durationOf(span));
    if (isErrorSpan(span)) errorCount++;
    const service = serviceOf(trace, span);
    spansOfService.set(service, (spansOfService.get(service) ?? 0) + 1);
  }
  const first = trace.spans[0];
  const root = first && parentIdOf(first, byId) === undefined ? first : (earliestRoot ?? earliest);
  const services = [...spansOfService]
    .map(([name, spans]) => ({ name, spans }))
    .sort((a, b) => b.spans - a.spans || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    traceId: textOf(trace.traceID),
    rootService: root ? serviceOf(trace, root) : '',
    rootOperation: root ? textOf(root.operationName) : '',
    startUs: root ? startUs : 0,
    durationUs: root ? endUs - startUs : 0,
    spanCount: byId.size,
    services,
    errorCount,
    decision: decisionOf(trace),
  };
}
