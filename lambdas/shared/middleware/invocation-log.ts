/** middy middleware: the log lines of an invocation carry its request id, cold start and function name. */
import type middy from '@middy/core';
import type { LambdaInvocation } from '../log.ts';

export function invocationLog<E, R>(invocation: LambdaInvocation): middy.MiddlewareObj<E, R> {
  return {
    before: (request) => {
      invocation.begin(request.context ?? {});
    },
  };
}
