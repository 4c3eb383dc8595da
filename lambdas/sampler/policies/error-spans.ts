/**
 * Keeps every trace with an error: a span with status ERROR, a SERVER span answering HTTP 5xx
 * (`http.response.status_code`, or the older `http.status_code`), or a recorded exception (a span
 * event named `exception`, as the semantic conventions define it). Client-side 5xx are left to
 * the server span of the callee, which carries the error when it is traced.
 */
import { StatusCode } from '../../shared/span/model.ts';
import { resourceOf, type SpanFacts, spanName } from '../span-index.ts';
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

export function errorPolicy(options: ErrorPolicyOptions): SamplingPolicy {
  return perTrace(ERRORS_POLICY, (trace) => {
    for (const span of trace.spans) {
      const reason = errorOf(span, options);
      if (reason) return { keep: true, policy: ERRORS_POLICY, threshold: undefined, reason };
    }
    return undefined;
  });
}
