/**
 * The API Gateway stand-in hands a Lambda the query string as API Gateway does: the last value of
 * each parameter in `queryStringParameters`, every value in order in
 * `multiValueQueryStringParameters` (Jaeger's search repeats `tag` and `traceID`), decoded.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { type ApiGatewayStandIn, startApiGateway } from '../../local/api-gateway.ts';

const KEY = 'tsk-read-query-3e9a1c7f5b2d8e40';

describe('query strings through the API Gateway stand-in', () => {
  let gateway: ApiGatewayStandIn;
  const events: APIGatewayProxyEvent[] = [];

  beforeAll(async () => {
    gateway = await startApiGateway({
      port: 0,
      logger: silentLogger,
      routes: [
        {
          method: 'GET',
          path: '/api/traces',
          apiKeys: [KEY],
          handler: async (event) => {
            events.push(event);
            return { statusCode: 200, body: '{}' };
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('passes every value of a repeated parameter, decoded, and the last one alone', async () => {
    // Prepare
    events.length = 0;
    const query = 'service=shop%20front&tag=error%3Atrue&tag=http.route:/cart&tags=%7B%22a%22%3A%221%22%7D';

    // Act
    const response = await fetch(`${gateway.url}/api/traces?${query}`, { headers: { 'x-api-key': KEY } });

    // Assess
    expect(response.status).toBe(200);
    expect(events[0]?.multiValueQueryStringParameters).toEqual({
      service: ['shop front'],
      tag: ['error:true', 'http.route:/cart'],
      tags: ['{"a":"1"}'],
    });
    expect(events[0]?.queryStringParameters).toEqual({
      service: 'shop front',
      tag: 'http.route:/cart',
      tags: '{"a":"1"}',
    });
  });

  it('passes no multi-value map for a request without a query string', async () => {
    // Prepare
    events.length = 0;

    // Act
    await fetch(`${gateway.url}/api/traces`, { headers: { 'x-api-key': KEY } });

    // Assess
    expect(events[0]?.multiValueQueryStringParameters).toBeNull();
  });
});
