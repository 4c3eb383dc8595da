/** Workload spans as tests take them: grouped by trace, and rows ordered by key tuples. */
import { decodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import type { Span } from '../../lambdas/shared/span/model.ts';
import { generateWorkload, type WorkloadOptions } from '../../workload/workload.ts';

/** The spans of a generated workload by trace id, traces in the order their first span was sent. */
export function workloadTraces(options: WorkloadOptions): Map<string, Span[]> {
  const byTrace = new Map<string, Span[]>();
  for (const request of generateWorkload(options).requests)
    for (const span of decodeTraceRequest(request.protobuf)) {
      const spans = byTrace.get(span.traceId);
      if (spans) spans.push(span);
      else byTrace.set(span.traceId, [span]);
    }
  return byTrace;
}

/** Orders tuples of strings or bigints element by element (service, start, trace, span...). */
export function compareKeys(a: readonly (string | bigint)[], b: readonly (string | bigint)[]): number {
  const i = a.findIndex((value, k) => value !== b[k]);
  if (i < 0) return 0;
  return (a[i] as string | bigint) < (b[i] as string | bigint) ? -1 : 1;
}
