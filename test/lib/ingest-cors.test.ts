/**
 * CORS on the ingest API (config `ingest.cors.allowedOrigins`): the preflight methods without a
 * key, the gateway's own errors with CORS headers, the browser key with its own usage plan and
 * its stack output; nothing of it without origins; cdk-nag clean.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { TracesiftConfigInput } from '../../lambdas/shared/config/index.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import { IngestApi, type IngestApiProps } from '../../lib/ingest-api.ts';
import { preflightTemplate } from '../../lib/ingest-cors.ts';
import { resolvePipelineConfig } from '../../lib/pipeline-config.ts';
import { addPipelineOutputs } from '../../lib/pipeline-outputs.ts';
import { TracePipeline } from '../../lib/trace-pipeline.ts';
import { TraceStream } from '../../lib/trace-stream.ts';
import { defined, logicalIdOf, testStack, unacknowledgedNagFindings } from '../support/cdk.ts';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const ORIGINS: TracesiftConfigInput = { ingest: { cors: { allowedOrigins: [APP, DEV] } } };

function synth(config: TracesiftConfigInput, props: Partial<IngestApiProps> = {}) {
  const stack = testStack();
  const stream = new TraceStream(stack, 'Stream');
  const api = new IngestApi(stack, 'Api', {
    stream: stream.stream,
    config: resolvePipelineConfig(stack, config, undefined),
    architecture: lambda.Architecture.ARM_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  return { stack, api, template: Template.fromStack(stack) };
}

/** The logical id of the resource whose PathPart is `part`. */
function resourceIdOf(template: Template, part: string): string {
  const resources = template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: part } });
  return defined(Object.keys(resources)[0]);
}

function methodsOf(template: Template, httpMethod: string) {
  return Object.values(
    template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod } }),
  );
}

const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Origin',
  'Vary',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Max-Age',
];

describe('the ingest API without allowed origins', () => {
  it('has no OPTIONS method, no CORS gateway response and no browser key', () => {
    // Act
    const { template, api } = synth({});

    // Assess
    expect(methodsOf(template, 'OPTIONS')).toEqual([]);
    expect(api.browserApiKey).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 1);
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INTEGRATION_FAILURE',
      ResponseParameters: { 'gatewayresponse.header.Retry-After': "'2'" },
    });
  });
});

describe('the ingest API with allowed origins', () => {
  const { template, api } = synth(ORIGINS);

  it('answers OPTIONS on both write routes with a mock integration that needs no key', () => {
    // Assess
    expect(methodsOf(template, 'OPTIONS')).toHaveLength(2);
    for (const part of ['traces', 'spans']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'OPTIONS',
        ResourceId: { Ref: resourceIdOf(template, part) },
        ApiKeyRequired: false,
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'MOCK',
          RequestTemplates: { 'application/json': '{"statusCode":204}' },
          PassthroughBehavior: 'NEVER',
          IntegrationResponses: [
            {
              StatusCode: '204',
              ResponseTemplates: { 'application/json': preflightTemplate([APP, DEV]) },
              ResponseParameters: Match.absent(),
            },
          ],
        },
        MethodResponses: [
          {
            StatusCode: '204',
            ResponseParameters: Object.fromEntries(
              PREFLIGHT_HEADERS.map((name) => [`method.response.header.${name}`, false]),
            ),
          },
        ],
      });
    }
    // The write methods themselves still want the key.
    for (const method of methodsOf(template, 'ANY')) expect(method.Properties.ApiKeyRequired).toBe(true);
  });

  it('acknowledges the preflight methods without authorization, saying why', () => {
    for (const path of ['/v1/traces', '/api/v2/spans']) {
      // Prepare
      const method = defined(api.api.root.resourceForPath(path).node.tryFindChild('OPTIONS'));

      // Act
      const reasons = acknowledgedOn(method);

      // Assess
      expect(Object.keys(reasons).sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG4']);
      for (const reason of Object.values(reasons)) expect(reason).toMatch(/preflight/);
    }
  });

  it('gives the gateway errors (4xx, 5xx, integration failure) the request Origin, Vary and Retry-After exposed', () => {
    // Prepare
    const cors = {
      'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
      'gatewayresponse.header.Vary': "'Origin'",
      'gatewayresponse.header.Access-Control-Expose-Headers': "'retry-after'",
    };

    // Assess
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        RestApiId: { Ref: logicalIdOf(api.api) },
        ResponseType: type,
        StatusCode: Match.absent(),
        ResponseParameters: cors,
        // API Gateway's own body, kept.
        ResponseTemplates: { 'application/json': '{"message":$context.error.messageString}' },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INTEGRATION_FAILURE',
      StatusCode: '503',
      ResponseParameters: { ...cors, 'gatewayresponse.header.Retry-After': "'2'" },
    });
  });

  it('gives the browser key a usage plan of its own on the ingest stage, 50 requests/s with bursts of 100, no quota', () => {
    // Prepare
    const browserKey = logicalIdOf(defined(api.browserApiKey));
    const browserPlan = logicalIdOf(defined(api.browserUsagePlan));

    // Assess
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      Quota: Match.absent(),
      ApiStages: [{ ApiId: { Ref: logicalIdOf(api.api) }, Stage: { Ref: logicalIdOf(api.stage) } }],
    });
    const planKeys = Object.values(template.findResources('AWS::ApiGateway::UsagePlanKey')).map(
      (resource) => [resource.Properties.UsagePlanId.Ref, resource.Properties.KeyId.Ref],
    );
    expect(planKeys.sort()).toEqual(
      [
        [browserPlan, browserKey],
        [logicalIdOf(api.usagePlan), logicalIdOf(api.apiKey)],
      ].sort(),
    );
  });
});

describe('the browser throttle', () => {
  it('takes its own rate and burst', () => {
    // Act
    const { template } = synth(ORIGINS, { browserThrottle: { rateLimit: 5, burstLimit: 20 } });

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 20 },
    });
  });

  it.each([
    [{ rateLimit: 0 }, 'browserThrottle.rateLimit'],
    [{ rateLimit: 100, burstLimit: 50 }, 'browserThrottle.burstLimit'],
  ])('refuses %j, naming the prop', (browserThrottle, prop) => {
    // Act
    const act = () => synth(ORIGINS, { browserThrottle });

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow(prop);
  });
});

describe('the preflight template', () => {
  it('sets every header inside one condition naming each allowed origin exactly, and nothing outside it', () => {
    // Act
    const lines = preflightTemplate([APP, DEV]).split('\n');

    // Assess
    const opening = lines.findIndex((line) => line.startsWith('#if($origin'));
    expect(lines[opening]).toBe(`#if($origin == "${APP}" || $origin == "${DEV}")`);
    expect(lines.at(-1)).toBe('#end');
    const overrides = lines.filter((line) => line.includes('responseOverride'));
    expect(overrides).toEqual(lines.slice(opening + 1, -1));
    expect(overrides.map((line) => /header\.([\w-]+) =/.exec(line)?.[1])).toEqual(PREFLIGHT_HEADERS);
    expect(overrides[0]).toBe(
      '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    );
  });

  it('reads the Origin header in both spellings', () => {
    const template = preflightTemplate([APP]);
    expect(template).toContain('$input.params().header.get("Origin")');
    expect(template).toContain('$input.params().header.get("origin")');
  });
});

describe('the pipeline with allowed origins', () => {
  it('outputs the browser key id, and none without origins', () => {
    // Prepare
    const withOrigins = testStack();
    const pipeline = new TracePipeline(withOrigins, 'Pipeline', { config: ORIGINS });
    const without = testStack();
    const plain = new TracePipeline(without, 'Pipeline');

    // Act
    addPipelineOutputs(withOrigins, pipeline);
    addPipelineOutputs(without, plain);

    // Assess
    const outputs = Template.fromStack(withOrigins).toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(defined(outputs.BrowserApiKeyId).Value).toEqual({
      Ref: logicalIdOf(defined(pipeline.ingestApi.browserApiKey)),
    });
    expect(Object.keys(Template.fromStack(without).toJSON().Outputs)).not.toContain('BrowserApiKeyId');
  });

  it('passes the browser throttle on to the ingest API', () => {
    // Act
    const stack = testStack();
    new TracePipeline(stack, 'Pipeline', {
      config: ORIGINS,
      api: { browserThrottle: { rateLimit: 7, burstLimit: 9 } },
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 7, BurstLimit: 9 },
    });
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(
      unacknowledgedNagFindings((stack) => new TracePipeline(stack, 'Pipeline', { config: ORIGINS })),
    ).toEqual([]);
  });
});

/** The cdk-nag rules acknowledged on `scope` itself, with their reasons. */
function acknowledgedOn(scope: IConstruct): Record<string, string> {
  const entries = scope.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
  return Object.fromEntries(entries.map(([id, reason]) => [id.replace(/^.*::/, ''), reason]));
}
