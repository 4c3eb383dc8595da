/**
 * The query string of a request as the routes read it: every value of each parameter, in the order
 * sent, since Jaeger's search repeats `tag` and `traceID`. API Gateway hands every value over in
 * `multiValueQueryStringParameters` and only the last in `queryStringParameters`; an event without
 * the former (a direct invoke) is read from the latter.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export type QueryParameters = ReadonlyMap<string, readonly string[]>;

export function queryParametersOf(
  event: Partial<Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>>,
): QueryParameters {
  const parameters = new Map<string, readonly string[]>();
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters))
      if (values) parameters.set(name, values);
    return parameters;
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {}))
    if (value !== undefined) parameters.set(name, [value]);
  return parameters;
}

/** The first value of a parameter, '' when absent: Go's url.Values.Get, with which Jaeger reads them. */
export function firstValue(parameters: QueryParameters, name: string): string {
  return parameters.get(name)?.[0] ?? '';
}

/** Every value of a parameter, none when absent. */
export function allValues(parameters: QueryParameters, name: string): readonly string[] {
  return parameters.get(name) ?? [];
}
