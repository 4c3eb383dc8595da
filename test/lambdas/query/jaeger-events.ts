/** Proxy events of the Jaeger routes, as API Gateway builds them, and their answers read back. */
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export interface JaegerCall {
  readonly method?: string;
  /** Each parameter with all its values, in the order sent. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/** The event of a request for `resource` (the path is the resource with its parameters filled in). */
export function jaegerEvent(resource: string, call: JaegerCall = {}): APIGatewayProxyEvent {
  const multi = Object.entries(call.query ?? {}).map(([name, value]) => [
    name,
    typeof value === 'string' ? [value] : [...value],
  ]) as [string, string[]][];
  const path = resource.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(call.pathParameters?.[name] ?? ''),
  );
  return {
    httpMethod: call.method ?? 'GET',
    path,
    resource,
    pathParameters: call.pathParameters ?? null,
    // As API Gateway: the last value of each parameter, and all of them.
    queryStringParameters: multi.length ? Object.fromEntries(multi.map(([n, v]) => [n, v.at(-1)])) : null,
    multiValueQueryStringParameters: multi.length ? Object.fromEntries(multi) : null,
    headers: call.headers ?? {},
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

/** The JSON body of an answer, gunzipped when it was gzipped. */
export function jsonOf(response: APIGatewayProxyResult): unknown {
  const text = response.isBase64Encoded
    ? gunzipSync(Buffer.from(response.body, 'base64')).toString()
    : response.body;
  return JSON.parse(text);
}
