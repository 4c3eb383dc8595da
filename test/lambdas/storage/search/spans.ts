/** Spans and trace summaries for the search index tests, built field by field. */

import {
  type Attributes,
  EMPTY_SCOPE,
  makeResource,
  type Resource,
  type Span,
  SpanKind,
  StatusCode,
} from '../../../../lambdas/shared/span/model.ts';
import type { TraceSummary } from '../../../../lambdas/storage/enrich/summary.ts';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** 2026-11-24T12:00:00Z in ns: a minute's and an hour's first ns. */
export const BASE_NS = 1_795_521_600_000_000_000n;
export const BASE_MS = Number(BASE_NS / 1_000_000n);

const resources = new Map<string, Resource>();

/** The resource of `service`; one object per service without `extra`, shared as an SDK's is. */
export function resourceOf(service: string, extra?: Attributes): Resource {
  if (extra) return makeResource({ 'service.name': service, 'host.name': `${service}-1`, ...extra });
  let resource = resources.get(service);
  if (!resource) {
    resource = makeResource({ 'service.name': service, 'host.name': `${service}-1` });
    resources.set(service, resource);
  }
  return resource;
}

/** A span of `service` (default frontend) lasting `durationNano` from BASE_NS + `startNano`. */
export function span(
  overrides: Partial<Span> & { spanId: string; service?: string; startNano?: bigint; durationNano?: bigint },
): Span {
  const { service, startNano, durationNano, ...fields } = overrides;
  const start = BASE_NS + (startNano ?? 0n);
  return {
    traceId: TRACE_ID,
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'op',
    kind: SpanKind.INTERNAL,
    startTimeUnixNano: start,
    endTimeUnixNano: start + (durationNano ?? 5_000n),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    resource: resourceOf(service ?? 'frontend'),
    scope: EMPTY_SCOPE,
    ...fields,
  };
}

/** The stored summary of a trace of `spans` rooted at `rootSpanId`, kept by `policy`. */
export function summaryOf(
  spans: readonly Span[],
  rootSpanId: string,
  decision: Pick<TraceSummary, 'policy' | 'probability' | 'threshold' | 'reason'> = {
    policy: 'baseline',
    probability: 0.25,
    threshold: 'c',
    reason: 'consistent probability 0.25',
  },
): TraceSummary {
  const byTime = (a: bigint, b: bigint): number => Number(a - b);
  const start = spans.map((s) => s.startTimeUnixNano).sort(byTime)[0] ?? 0n;
  const end =
    spans
      .map((s) => s.endTimeUnixNano)
      .sort(byTime)
      .at(-1) ?? 0n;
  const root = spans.find((s) => s.spanId === rootSpanId);
  return {
    traceId: spans[0]?.traceId ?? TRACE_ID,
    rootSpanId,
    rootService: root?.resource.serviceName ?? '',
    rootName: root?.name ?? '',
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationNano: Number(end - start),
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.status.code === StatusCode.ERROR).length,
    services: [...new Set(spans.map((s) => s.resource.serviceName))].sort(),
    ...decision,
    adjustedCount: decision.probability > 0 ? 1 / decision.probability : 0,
    firstArrivalMs: BASE_MS,
  };
}
