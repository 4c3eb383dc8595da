import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { TracesiftConfigInput } from '../../lambdas/shared/config/index.ts';
import { InvalidPropError } from '../../lib/errors.ts';
import {
  DEFAULT_DAILY_QUOTA,
  INGEST_RESERVED_CONCURRENCY,
  IngestApi,
  type IngestApiProps,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  PROXY_EVENT_OVERHEAD_BYTES,
} from '../../lib/ingest-api.ts';
import { resolvePipelineConfig } from '../../lib/pipeline-config.ts';
import { TraceStream } from '../../lib/trace-stream.ts';
import { actionsOf, defined, logicalIdOf, statementsOf, testStack } from '../support/cdk.ts';

function synth(props: Partial<IngestApiProps> = {}, config: TracesiftConfigInput = {}) {
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
  return {
    stack,
    stream,
    api,
    // Synthesized only when a test reads it: the props-validation cases never do.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

/** Every resource's full path, from the PathPart and ParentId chains of the template. */
function resourcePaths(template: Template): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (id: string): string => {
    const { PathPart, ParentId } = defined(resources[id]).Properties as {
      PathPart: string;
      ParentId: { Ref?: string };
    };
    const parent = ParentId.Ref !== undefined && ParentId.Ref in resources ? pathOf(ParentId.Ref) : '';
    return `${parent}/${PathPart}`;
  };
  return Object.keys(resources).map(pathOf);
}

/** The logical id of the resource whose PathPart is `part`. */
function resourceIdOf(template: Template, part: string): string {
  const resources = template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: part } });
  return defined(Object.keys(resources)[0]);
}

/** The largest body that fits a Lambda payload once base64-encoded. */
const largestBody = Math.floor((LAMBDA_PAYLOAD_LIMIT_BYTES - PROXY_EVENT_OVERHEAD_BYTES) / 4) * 3;

describe('IngestApi', () => {
  it('serves /v1/traces and /api/v2/spans to ingest behind an API key, and no read route (writers cannot read)', () => {
    // Act
    const { template, api } = synth();

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      ApiKeySourceType: 'HEADER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    expect(resourcePaths(template).sort()).toEqual(['/api', '/api/v2', '/api/v2/spans', '/v1', '/v1/traces']);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(2);
    const ingestUri = Match.objectLike({
      'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(api.ingestFunction), 'Arn'] }])],
    });
    for (const resource of ['traces', 'spans']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'ANY',
        ResourceId: { Ref: resourceIdOf(template, resource) },
        ApiKeyRequired: true,
        Integration: { Type: 'AWS_PROXY', Uri: ingestUri },
      });
    }
  });

  it('throttles each key with a usage plan and the stage as a whole', () => {
    // Act
    const { template, api } = synth({ throttle: { rateLimit: 50, burstLimit: 100 } });

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [{ ApiId: { Ref: logicalIdOf(api.api) }, Stage: { Ref: logicalIdOf(api.stage) } }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyType: 'API_KEY',
      KeyId: { Ref: logicalIdOf(api.apiKey) },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it('defaults to 1,000 requests/s with bursts of 2,000 per key', () => {
    synth().template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 1000, BurstLimit: 2000 },
    });
  });

  it('gives each key a daily quota of 100,000,000 requests by default', () => {
    synth().template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: DEFAULT_DAILY_QUOTA, Period: 'DAY' },
    });
  });

  it('takes a monthly quota, or none when its limit is 0', () => {
    // Act
    const monthly = synth({ quota: { limit: 5_000_000, period: apigateway.Period.MONTH } }).template;
    const none = synth({ quota: { limit: 0 } }).template;

    // Assess
    monthly.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 5_000_000, Period: 'MONTH' },
    });
    none.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Quota: Match.absent() });
  });

  it.each([-1, 1.5, 2_147_483_648])('refuses a quota limit of %s', (limit) => {
    // Act
    const act = () => synth({ quota: { limit } });

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow('quota.limit');
  });

  it('reserves 200 concurrent executions for ingest by default, a given number, or none with 0', () => {
    // Act
    const byDefault = synth().template;
    const given = synth({ reservedConcurrentExecutions: 50 }).template;
    const none = synth({ reservedConcurrentExecutions: 0 }).template;

    // Assess
    byDefault.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: INGEST_RESERVED_CONCURRENCY,
    });
    expect(INGEST_RESERVED_CONCURRENCY).toBe(200);
    given.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });
    for (const fn of Object.values(none.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('answers an integration failure (ingest throttled at its reserved concurrency) 503 with Retry-After', () => {
    // Act
    const { template, api } = synth({}, { ingest: { retryAfterSeconds: 7 } });

    // Assess: a status OTLP exporters retry, and when
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: logicalIdOf(api.api) },
      ResponseType: 'INTEGRATION_FAILURE',
      StatusCode: '503',
      ResponseParameters: { 'gatewayresponse.header.Retry-After': "'7'" },
    });
  });

  it.each([-1, 2.5])('refuses a reserved concurrency of %s', (reserved) => {
    // Act
    const act = () => synth({ reservedConcurrentExecutions: reserved });

    // Assess
    expect(act).toThrow(InvalidPropError);
    expect(act).toThrow('reservedConcurrentExecutions');
  });

  it('writes JSON access logs with the API key id, never the key', () => {
    // Act
    const { template, api } = synth();

    // Assess
    const stage = defined(Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]);
    const settings = stage.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(JSON.stringify(settings.DestinationArn)).toContain(`{"Ref":"${logicalIdOf(api.accessLogs)}"}`);
    expect(settings.Format).toContain('$context.identity.apiKeyId');
    expect(settings.Format).not.toContain('$context.identity.apiKey"');
    // Every field but the pre-quoted error message is a quoted string: the line parses as JSON.
    const sample = settings.Format.replace(/\$context\.error\.messageString/, '"boom \\"quoted\\""').replace(
      /\$context\.[a-zA-Z.]+/g,
      'x',
    );
    expect(JSON.parse(sample)).toMatchObject({ errorMessage: 'boom "quoted"', apiKeyId: 'x' });
  });

  it('gives ingest the stream name and config, and only PutRecords/ListShards on this stream', () => {
    // Act
    const { template, api, stream } = synth({ memorySize: 2048, timeout: Duration.seconds(20) });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 2048,
      Timeout: 20,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          TRACESIFT_STREAM_NAME: { Ref: logicalIdOf(stream.stream) },
          TRACESIFT_CONFIG: '{"ingest":{"lanes":1}}',
        },
      },
    });
    const kinesis = statementsOf(template, api.ingestFunction.role).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('kinesis:')),
    );
    expect(kinesis).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalIdOf(stream.stream), 'Arn'] } }),
    ]);
    expect(actionsOf(template, api.ingestFunction.role).filter((a) => a.startsWith('kinesis:'))).toEqual([
      'kinesis:ListShards',
      'kinesis:PutRecords',
    ]);
  });

  it('associates a web ACL with the stage when given one', () => {
    // Act
    const { template, api } = synth({
      webAclArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/otlp/abc',
    });

    // Assess
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/otlp/abc',
      ResourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(api.stage) }])] }),
    });
  });

  it('creates the account-wide logging role unless told another stack owns it', () => {
    synth().template.resourceCountIs('AWS::ApiGateway::Account', 1);
    synth({ cloudWatchRole: false }).template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it.each([
    {
      case: 'maxBodyBytes equal to the largest that fits',
      config: { ingest: { maxBodyBytes: largestBody } },
      props: {},
      message: undefined,
    },
    {
      case: 'maxBodyBytes one byte over',
      config: { ingest: { maxBodyBytes: largestBody + 3 } },
      props: {},
      message: /config\.ingest\.maxBodyBytes must be at most \d+: API Gateway passes the body base64-encoded/,
    },
    {
      case: 'timeout equal to the put deadline plus headroom',
      config: { ingest: { putDeadlineMs: 8000 } },
      props: { timeout: Duration.seconds(10) },
      message: undefined,
    },
    {
      case: 'timeout under the put deadline plus headroom',
      config: { ingest: { putDeadlineMs: 8001 } },
      props: { timeout: Duration.seconds(10) },
      message: /timeout must be at least config\.ingest\.putDeadlineMs \+ 2 seconds \(10001 ms\)/,
    },
    {
      case: 'timeout over 29 s',
      config: {},
      props: { timeout: Duration.seconds(30) },
      message: /timeout must be from 1 second to 29 seconds/,
    },
    {
      case: 'burst under rate',
      config: {},
      props: { throttle: { rateLimit: 100, burstLimit: 99 } },
      message: /throttle\.burstLimit must be at least throttle\.rateLimit \(100\)/,
    },
    {
      case: 'zero rate',
      config: {},
      props: { throttle: { rateLimit: 0 } },
      message: /throttle\.rateLimit must be an integer from 1/,
    },
    {
      case: 'stage name with a slash',
      config: {},
      props: { stageName: 'a/b' },
      message: /stageName must be 1 to 128 characters/,
    },
  ])('validates props: $case', ({ config, props, message }) => {
    const act = () => synth(props as Partial<IngestApiProps>, config);
    if (message) {
      expect(act).toThrow(InvalidPropError);
      expect(act).toThrow(message);
    } else {
      expect(act).not.toThrow();
    }
  });
});
