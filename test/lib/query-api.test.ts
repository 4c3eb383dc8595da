/**
 * Writers cannot read, enforced by API Gateway: the read routes are a REST API of their own whose
 * usage plan, bound to its own stage, holds only the read key; the ingest API has no read route.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CanaryEnv } from '../../lambdas/canary/environment.ts';
import { QUERY_ROUTES } from '../../lambdas/query/app.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { addPipelineOutputs } from '../../lib/pipeline-outputs.ts';
import {
  JAEGER_ROUTES,
  QUERY_DAILY_QUOTA,
  QUERY_THROTTLE,
  QueryApi,
  type QueryApiProps,
  WEB_UI_ROUTES,
} from '../../lib/query-api.ts';
import { TracePipeline } from '../../lib/trace-pipeline.ts';
import { defined, logicalIdOf, synthPipeline, testStack } from '../support/cdk.ts';

function synth(props: Partial<QueryApiProps> = {}) {
  const stack = testStack();
  const queryFunction = new lambda.Function(stack, 'Query', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
  });
  const api = new QueryApi(stack, 'QueryApi', {
    queryFunction,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  return {
    api,
    queryFunction,
    get template() {
      return Template.fromStack(stack);
    },
  };
}

const TRACE_ID = { 'method.request.path.traceId': true };

describe('QueryApi', () => {
  it.each([
    ['v1/traces/{traceId}', TRACE_ID],
    ['api/traces/{traceId}', TRACE_ID],
    ['api/traces', Match.absent()],
    ['api/services', Match.absent()],
    ['api/services/{service}/operations', { 'method.request.path.service': true }],
    ['api/operations', Match.absent()],
    ['api/dependencies', Match.absent()],
  ])('serves GET and HEAD /%s to the query function behind a key', (path, RequestParameters) => {
    // Act
    const { template, api, queryFunction } = synth();

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      ApiKeySourceType: 'HEADER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    const resource = path
      .split('/')
      .reduce<apigateway.IResource>((parent, part) => defined(parent.getResource(part), part), api.api.root);
    for (const HttpMethod of ['GET', 'HEAD']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod,
        RestApiId: { Ref: logicalIdOf(api.api) },
        ResourceId: { Ref: logicalIdOf(resource) },
        ApiKeyRequired: true,
        RequestParameters,
        RequestValidatorId: Match.anyValue(),
        Integration: {
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(queryFunction), 'Arn'] }])],
          }),
        },
      });
    }
  });

  it.each([
    ['ui', Match.absent()],
    ['ui/{proxy+}', { 'method.request.path.proxy': true }],
  ])(
    'serves GET and HEAD /%s, the web UI, to the query function without a key',
    (path, RequestParameters) => {
      // Act
      const { template, api, queryFunction } = synth();

      // Assess
      const resource = path
        .split('/')
        .reduce<apigateway.IResource>(
          (parent, part) => defined(parent.getResource(part), part),
          api.api.root,
        );
      const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
        (m) => (m.Properties.ResourceId as { Ref: string }).Ref === logicalIdOf(resource),
      );
      expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['GET', 'HEAD']);
      for (const HttpMethod of ['GET', 'HEAD']) {
        template.hasResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod,
          ResourceId: { Ref: logicalIdOf(resource) },
          ApiKeyRequired: false,
          AuthorizationType: 'NONE',
          RequestParameters,
          Integration: {
            Type: 'AWS_PROXY',
            Uri: Match.objectLike({
              'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(queryFunction), 'Arn'] }])],
            }),
          },
        });
      }
    },
  );

  it('asks a key for every method but the web UI files', () => {
    // Act
    const { template, api } = synth();

    // Assess
    const ui = new Set(
      WEB_UI_ROUTES.map((path) =>
        logicalIdOf(
          path
            .split('/')
            .reduce<apigateway.IResource>(
              (parent, part) => defined(parent.getResource(part), part),
              api.api.root,
            ),
        ),
      ),
    );
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    for (const method of methods) {
      const keyless = ui.has((method.Properties.ResourceId as { Ref: string }).Ref);
      expect(method.Properties.ApiKeyRequired).toBe(!keyless);
    }
    expect(methods.filter((m) => m.Properties.ApiKeyRequired === false)).toHaveLength(4);
  });

  it('serves nothing else: GET and HEAD on the seven read resources and the two web UI resources', () => {
    // Act
    const { template } = synth();

    // Assess
    template.resourceCountIs('AWS::ApiGateway::Method', 18);
    const parts = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart as string,
    );
    expect(parts.sort()).toEqual(
      [
        'api',
        'dependencies',
        'operations',
        'operations',
        'services',
        'traces',
        'traces',
        'ui',
        'v1',
        '{proxy+}',
        '{service}',
        '{traceId}',
        '{traceId}',
      ].sort(),
    );
  });

  it('serves the resources the query function routes on, and no other', () => {
    // Act
    const served = ['v1/traces/{traceId}', ...JAEGER_ROUTES, ...WEB_UI_ROUTES].map((path) => `/${path}`);

    // Assess
    expect(served.sort()).toEqual([...QUERY_ROUTES.keys()].sort());
  });

  it('binds its usage plan to its own stage with its own key, throttled for reads by default', () => {
    // Act
    const { template, api } = synth();

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: QUERY_THROTTLE.rateLimit, BurstLimit: QUERY_THROTTLE.burstLimit },
      Quota: { Limit: QUERY_DAILY_QUOTA, Period: 'DAY' },
      ApiStages: [{ ApiId: { Ref: logicalIdOf(api.api) }, Stage: { Ref: logicalIdOf(api.stage) } }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyType: 'API_KEY',
      KeyId: { Ref: logicalIdOf(api.apiKey) },
      UsagePlanId: { Ref: logicalIdOf(api.usagePlan) },
    });
  });

  it('access-logs with the key id, and creates the account logging role only when told', () => {
    // Act
    const own = synth().template;
    const shared = synth({ cloudWatchRole: false }).template;

    // Assess
    const stage = defined(Object.values(own.findResources('AWS::ApiGateway::Stage'))[0]);
    const settings = stage.Properties.AccessLogSetting as { Format: string };
    expect(settings.Format).toContain('$context.identity.apiKeyId');
    own.resourceCountIs('AWS::ApiGateway::Account', 1);
    shared.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it.each([
    ['throttle.burstLimit', { throttle: { rateLimit: 50, burstLimit: 10 } }],
    ['quota.limit', { quota: { limit: -1 } }],
    ['stageName', { stageName: 'no spaces' }],
  ])('refuses a bad %s', (prop, props) => {
    const act = () => synth(props).template;
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(prop);
  });
});

describe('TracePipeline: writers cannot read', () => {
  const { pipeline, template } = synthPipeline();
  const ingest = pipeline.ingestApi;
  const query = pipeline.queryApi;

  it('has two REST APIs: every write method on the ingest API, every read method on the query API, each keyed but the web UI', () => {
    // Act
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => ({
      method: m.Properties.HttpMethod as string,
      api: (m.Properties.RestApiId as { Ref: string }).Ref,
      keyRequired: m.Properties.ApiKeyRequired as boolean,
    }));

    // Assess
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    const read = (method: string) => ({ method, api: logicalIdOf(query.api), keyRequired: true });
    // The web UI's static files: no trace data, no key (its data calls are the read methods).
    const ui = (method: string) => ({ method, api: logicalIdOf(query.api), keyRequired: false });
    const byMethodThenKeyless = (a: (typeof methods)[number], b: (typeof methods)[number]) =>
      a.method.localeCompare(b.method) || Number(a.keyRequired) - Number(b.keyRequired);
    expect(methods.sort(byMethodThenKeyless)).toEqual([
      // POST /v1/traces (OTLP) and POST /api/v2/spans (Zipkin)
      ...Array.from({ length: 2 }, () => ({
        method: 'ANY',
        api: logicalIdOf(ingest.api),
        keyRequired: true,
      })),
      ...Array.from({ length: 2 }, () => ui('GET')),
      ...Array.from({ length: 7 }, () => read('GET')),
      ...Array.from({ length: 2 }, () => ui('HEAD')),
      ...Array.from({ length: 7 }, () => read('HEAD')),
    ]);
  });

  it('binds each usage plan to its own API and stage, with its own key only', () => {
    // Act
    const plans = Object.entries(template.findResources('AWS::ApiGateway::UsagePlan')).map(([id, plan]) => ({
      id,
      stages: plan.Properties.ApiStages,
    }));
    const keys = Object.values(template.findResources('AWS::ApiGateway::UsagePlanKey')).map((k) => ({
      key: (k.Properties.KeyId as { Ref: string }).Ref,
      plan: (k.Properties.UsagePlanId as { Ref: string }).Ref,
    }));

    // Assess
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    expect(plans).toEqual(
      expect.arrayContaining([
        {
          id: logicalIdOf(ingest.usagePlan),
          stages: [
            expect.objectContaining({
              ApiId: { Ref: logicalIdOf(ingest.api) },
              Stage: { Ref: logicalIdOf(ingest.stage) },
            }),
          ],
        },
        {
          id: logicalIdOf(query.usagePlan),
          stages: [
            expect.objectContaining({
              ApiId: { Ref: logicalIdOf(query.api) },
              Stage: { Ref: logicalIdOf(query.stage) },
            }),
          ],
        },
      ]),
    );
    expect(plans).toHaveLength(2);
    expect(keys).toEqual(
      expect.arrayContaining([
        { key: logicalIdOf(ingest.apiKey), plan: logicalIdOf(ingest.usagePlan) },
        { key: logicalIdOf(query.apiKey), plan: logicalIdOf(query.usagePlan) },
      ]),
    );
    expect(keys).toHaveLength(2);
  });

  it('creates one account logging role, deployed before the query stage that needs it', () => {
    // Act
    const accounts = Object.keys(template.findResources('AWS::ApiGateway::Account'));
    const stage = template.findResources('AWS::ApiGateway::Stage')[logicalIdOf(query.stage)];

    // Assess
    expect(accounts).toHaveLength(1);
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(accounts));
  });

  it('gives the canary the ingest key to write and the read key and query stage to read', () => {
    // Act
    const canary = defined(pipeline.canary);
    const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(canary.function)];
    const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;

    // Assess
    expect(variables[CanaryEnv.INGEST_API_KEY_ID]).toEqual({ Ref: logicalIdOf(ingest.apiKey) });
    expect(variables[CanaryEnv.QUERY_API_KEY_ID]).toEqual({ Ref: logicalIdOf(query.apiKey) });
    expect(JSON.stringify(variables[CanaryEnv.QUERY_ENDPOINT])).toContain(logicalIdOf(query.api));
    expect(JSON.stringify(variables[CanaryEnv.INGEST_ENDPOINT])).toContain(logicalIdOf(ingest.api));
  });

  it('outputs the query endpoint, the web UI below it and the read key id beside the ingest ones', () => {
    // Prepare
    const stack = testStack();
    const built = new TracePipeline(stack, 'Pipeline');

    // Act
    addPipelineOutputs(stack, built);
    const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(outputs.QueryApiKeyId?.Value).toEqual({ Ref: logicalIdOf(built.queryApi.apiKey) });
    expect(outputs.ApiKeyId?.Value).toEqual({ Ref: logicalIdOf(built.ingestApi.apiKey) });
    expect(JSON.stringify(outputs.QueryEndpoint?.Value)).toContain(logicalIdOf(built.queryApi.api));
    const webUi = JSON.stringify(outputs.WebUiUrl?.Value);
    expect(webUi).toContain(logicalIdOf(built.queryApi.api));
    expect(webUi).toMatch(/ui\/"\]\]\}$/);
  });
});
