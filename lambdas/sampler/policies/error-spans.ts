/**
 * Keeps every trace with an error: a span with status ERROR, a SERVER span answering HTTP 5xx
 * (`http.response.status_code`, or the older `http.status_code`), or a recorded exception (a span
 * event named `exception`, as the semantic conventions define it). Client-side 5xx are left to
 * the server span of the callee, which carries the error when it is traced.
 */
import { StatusCode } from '../../shared/span/model.ts';
import { resourceOf, type SpanFacts, spanName } from '../span-index.ts';
import type { TraceView } from '../trace-view.ts';
import { perTrace, type SamplingPolicy } from './policy.ts';

export interface ErrorPolicyOptions {
  readonly httpServerErrors: boolean;
  readonly exceptionEvents: boolean;
}

export const ERRORS_POLICY = 'errors';

function describe(span: SpanFacts): string {
  return `${resourceOf(span).serviceName} "${spanName(span)}"`;
}

/** Why the span is an error, or undefined. */
export function errorOf(span: SpanFacts, options: ErrorPolicyOptions): string | undefined {
  if (span.statusCode === StatusCode.ERROR) return `span status ERROR in ${describe(span)}`;
  if (options.httpServerErrors && span.httpStatus >= 500 && span.httpStatus <= 599) {
    return `HTTP ${span.httpStatus} from ${describe(span)}`;
  }
  if (options.exceptionEvents && span.exceptionEvent) return `exception recorded in ${describe(span)}`;
  return undefined;
}

/** The first error span of the trace and why it is one, or undefined. */
export function firstError(
  trace: Pick<TraceView, 'spans'>,
  options: ErrorPolicyOptions,
): { readonly span: SpanFacts; readonly reason: string } | undefined {
  for (const span of trace.spans) {
    const reason = errorOf(span, options);
    if (reason) return { span, reason };
  }
  return undefined;
}

/** The service of the trace's first error span (the error budget's key), or undefined. */
export function erringService(
  trace: Pick<TraceView, 'spans'>,
  options: ErrorPolicyOptions,
): string | undefined {
  const found = firstError(trace, options);
  return found && resourceOf(found.span).serviceName;
}

export function errorPolicy(options: ErrorPolicyOptions): SamplingPolicy {
  return perTrace(ERRORS_POLICY, (trace) => {
    const found = firstError(trace, options);
    return found && { keep: true, policy: ERRORS_POLICY, threshold: undefined, reason: found.reason };
  });
}
