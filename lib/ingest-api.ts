/**
 * The public HTTP face of tracesift: an API Gateway REST API with `POST /v1/traces` (OTLP/HTTP)
 * to the ingest function and `GET /v1/traces/{traceId}` to the trace store's query function.
 * Both need an API key (the `x-api-key` header every OTLP exporter can send); a usage plan
 * throttles each key; every request is access-logged.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { InvalidPropError } from './errors.ts';
import { CONFIG_ENV_VAR, STREAM_ENV_VAR } from './function-environment.ts';
import { grantStreamCalls } from './function-grants.ts';
import { acknowledge } from './nag.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { checkReservedConcurrency, type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import { API_INTEGRATION_TIMEOUT } from './trace-store.ts';
import { checkDuration, checkInteger, checkName } from './validation.ts';

/** Lambda's synchronous invocation payload limit, which the base64-encoded body must fit in. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** Room left in the payload for the rest of the proxy event (headers, request context). */
export const PROXY_EVENT_OVERHEAD_BYTES = 32 * 1024;
/** Time ingest needs besides its PutRecords deadline: decoding, packing, answering. */
export const INGEST_TIMEOUT_HEADROOM = Duration.seconds(2);

/** Concurrency reserved for ingest unless told otherwise (see IngestApiProps.reservedConcurrentExecutions). */
export const INGEST_RESERVED_CONCURRENCY = 200;

/** How many requests one API key may make in a period (a usage-plan quota). */
export interface ApiQuota {
  /**
   * Requests per period; 0 turns the quota off (throttling still applies).
   * @default 100,000,000 a day: about 1,160 requests/s all day, above the default throttle's
   * 1,000, so only a key that keeps sending beyond its throttle for a day is refused
   */
  readonly limit?: number;
  /** @default apigateway.Period.DAY */
  readonly period?: apigateway.Period;
}

/** The default daily quota of a key (see ApiQuota.limit). */
export const DEFAULT_DAILY_QUOTA = 100_000_000;

export interface ApiThrottle {
  /**
   * Steady-state requests per second per API key. An OpenTelemetry batch span processor sends up
   * to 512 spans a request, so 1,000 requests/s carry about 500,000 spans/s.
   * @default 1000
   */
  readonly rateLimit?: number;
  /**
   * Requests a key may send at once above the steady rate.
   * @default 2000
   */
  readonly burstLimit?: number;
}

export interface IngestApiProps extends FunctionDefaults {
  readonly stream: kinesis.IStream;
  readonly config: PipelineConfig;
  /** Serves `GET /v1/traces/{traceId}` (TraceStore.queryFunction). */
  readonly queryFunction: lambda.IFunction;
  /**
   * Memory of the ingest function (MB); decoding and zstd compression are CPU-bound, and CPU
   * grows with memory.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout of the ingest function: longer than the config's `ingest.putDeadlineMs` plus two
   * seconds (so it answers 503 itself instead of timing out), at most API Gateway's 29 seconds.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the ingest function, which is also its cap: a flood of requests runs
   * at most this many ingest invocations, so it can neither take the account's whole concurrency
   * nor starve the sampler. Without it, 1,000 requests/s held 8 s each (PutRecords retried up to
   * `ingest.putDeadlineMs` while the stream throttles) would ask for 8,000 concurrent executions.
   * 200 serves the default 1,000 requests/s at 200 ms a request; beyond it the throttled requests
   * are answered 503 with Retry-After, which OTLP exporters retry. Reserved concurrency comes out of the
   * account's limit, of which Lambda keeps 100 unreserved: set 0 to reserve none where the account
   * cannot spare it (new accounts start with a limit of 10).
   * @default 200
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Throttling of each API key (usage plan) and of the stage as a whole.
   * @default - 1,000 requests/s, bursts of 2,000
   */
  readonly throttle?: ApiThrottle;
  /**
   * Requests each API key may make per day (or month): what one leaked or runaway key can cost
   * before API Gateway answers 429 until the period ends.
   * @default - 100,000,000 a day (see ApiQuota)
   */
  readonly quota?: ApiQuota;
  /**
   * Name of the API stage, the first path segment of the endpoint URL.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Create the account-wide role API Gateway needs to write access and execution logs. One
   * per account and region: set false when another stack already set it.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * ARN of an AWS WAF web ACL (REGIONAL scope) to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
}

const STAGE_NAME = /^[a-zA-Z0-9_-]+$/;

export class IngestApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly stage: apigateway.Stage;
  public readonly ingestFunction: lambda.IFunction;
  public readonly apiKey: apigateway.IApiKey;
  public readonly usagePlan: apigateway.UsagePlan;
  public readonly accessLogs: logs.LogGroup;
  /** `https://…/prod/`: the OTLP base endpoint (exporters append `v1/traces`). */
  public readonly endpointUrl: string;
  /** `https://…/prod/v1/traces`: the full OTLP traces endpoint. */
  public readonly tracesUrl: string;

  public constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const ingestConfig = props.config.config.ingest;
    this.checkBodyLimit(ingestConfig.maxBodyBytes);
    const memorySize = checkInteger(this, 'memorySize', props.memorySize ?? 1024, 128, 10_240);
    const timeout = this.ingestTimeout(props.timeout ?? Duration.seconds(15), ingestConfig.putDeadlineMs);
    const rateLimit = checkInteger(
      this,
      'throttle.rateLimit',
      props.throttle?.rateLimit ?? 1000,
      1,
      1_000_000,
    );
    const burstLimit = checkInteger(
      this,
      'throttle.burstLimit',
      props.throttle?.burstLimit ?? 2000,
      1,
      1_000_000,
    );
    if (burstLimit < rateLimit) {
      throw new InvalidPropError(
        this.node.path,
        'throttle.burstLimit',
        burstLimit,
        `must be at least throttle.rateLimit (${rateLimit})`,
      );
    }
    const stageName = checkName(
      this,
      'stageName',
      props.stageName ?? 'prod',
      STAGE_NAME,
      128,
      'letters, digits, _ and -',
    );

    const ingest = new PipelineFunction(this, 'Ingest', {
      name: 'ingest',
      description: 'tracesift: OTLP/HTTP ingest into the trace stream',
      memorySize,
      timeout,
      architecture: props.architecture,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrentExecutions: checkReservedConcurrency(
        this,
        props.reservedConcurrentExecutions ?? INGEST_RESERVED_CONCURRENCY,
      ),
      environment: { [STREAM_ENV_VAR]: props.stream.streamName, [CONFIG_ENV_VAR]: props.config.json },
    });
    // PutRecords and ListShards (the shard map ingest packs records by).
    grantStreamCalls(ingest.role, props.stream, ['put']);
    this.ingestFunction = ingest.function;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'tracesift: OTLP/HTTP trace ingest and trace lookup',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Every body reaches the function base64-encoded, byte for byte (protobuf, gzip), and the
      // function's base64 responses go back as bytes, whatever the client's Accept header.
      binaryMediaTypes: ['*/*'],
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      cloudWatchRole,
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        // Errors only, never request or response bodies: spans may carry personal data.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
      },
    });
    this.stage = this.api.deploymentStage;

    const traces = this.api.root.addResource('v1').addResource('traces');
    // ANY rather than POST: ingest answers other methods with 405 and a message, as OTLP/HTTP
    // specifies; with POST alone API Gateway answers them 403 "Missing Authentication Token",
    // which sends a user debugging a misconfigured exporter to their API key instead.
    traces.addMethod('ANY', new apigateway.LambdaIntegration(ingest.function, { allowTestInvoke: false }), {
      apiKeyRequired: true,
    });
    // Checks that the trace id path parameter is present. Body validation only applies to methods
    // with a JSON request model: a GET has no body, and OTLP protobuf bodies cannot have a model
    // (ingest itself validates them), so enabling it here changes nothing but satisfies cdk-nag APIG2.
    const validator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'trace-lookup',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const traceById = traces.addResource('{traceId}');
    // HEAD too (does this trace exist?): a method the gateway does not define gets 403 "Missing
    // Authentication Token" whatever the key, not the function's answer.
    for (const method of ['GET', 'HEAD']) {
      traceById.addMethod(
        method,
        new apigateway.LambdaIntegration(props.queryFunction, { allowTestInvoke: false }),
        {
          apiKeyRequired: true,
          requestParameters: { 'method.request.path.traceId': true },
          requestValidator: validator,
        },
      );
    }

    // Beyond its reserved concurrency Lambda throttles ingest, which API Gateway answers through
    // INTEGRATION_FAILURE; OTLP exporters retry 503 (with Retry-After), never that response's
    // default 5xx, so a flood held off by the cap is retried instead of lost.
    this.api.addGatewayResponse('IntegrationFailure', {
      type: apigateway.ResponseType.INTEGRATION_FAILURE,
      statusCode: '503',
      responseHeaders: { 'Retry-After': `'${ingestConfig.retryAfterSeconds}'` },
      templates: {
        'application/json': JSON.stringify({ message: 'Service unavailable, retry later' }),
      },
    });

    this.apiKey = this.api.addApiKey('ApiKey', {
      description: 'tracesift: OTLP exporters and trace lookups',
    });
    const quota = this.quota(props.quota);
    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'tracesift: per-key throttling and quota',
      throttle: { rateLimit, burstLimit },
      ...(quota ? { quota } : {}),
      apiStages: [{ api: this.api, stage: this.stage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    if (props.webAclArn !== undefined) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.stage.stageArn,
        webAclArn: props.webAclArn,
      });
    }

    this.endpointUrl = this.api.url;
    this.tracesUrl = this.api.urlForPath('/v1/traces');
    this.acknowledgeFindings(cloudWatchRole, props.webAclArn !== undefined);
  }

  /** The usage plan's quota, or undefined when its limit is 0 (off). */
  private quota(quota: ApiQuota | undefined): apigateway.QuotaSettings | undefined {
    const limit = checkInteger(this, 'quota.limit', quota?.limit ?? DEFAULT_DAILY_QUOTA, 0, 2_147_483_647);
    if (limit === 0) return undefined;
    return { limit, period: quota?.period ?? apigateway.Period.DAY };
  }

  /** The body must still fit a 6 MB Lambda payload after API Gateway base64-encodes it (×4/3). */
  private checkBodyLimit(maxBodyBytes: number): void {
    const encoded = Math.ceil(maxBodyBytes / 3) * 4;
    if (encoded + PROXY_EVENT_OVERHEAD_BYTES > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      const largest = Math.floor((LAMBDA_PAYLOAD_LIMIT_BYTES - PROXY_EVENT_OVERHEAD_BYTES) / 4) * 3;
      throw new InvalidPropError(
        this.node.path,
        'config.ingest.maxBodyBytes',
        maxBodyBytes,
        `must be at most ${largest}: API Gateway passes the body base64-encoded (4/3 larger) in a ` +
          `Lambda payload of at most ${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes`,
      );
    }
  }

  private ingestTimeout(timeout: Duration, putDeadlineMs: number): Duration {
    const floor = Duration.millis(putDeadlineMs + INGEST_TIMEOUT_HEADROOM.toMilliseconds());
    if (!timeout.isUnresolved() && timeout.toMilliseconds() < floor.toMilliseconds()) {
      throw new InvalidPropError(
        this.node.path,
        'timeout',
        timeout.toHumanString(),
        `must be at least config.ingest.putDeadlineMs + ${INGEST_TIMEOUT_HEADROOM.toHumanString()} ` +
          `(${floor.toMilliseconds()} ms), so ingest answers 503 itself before Lambda stops it`,
      );
    }
    return checkDuration(this, 'timeout', timeout, Duration.seconds(1), API_INTEGRATION_TIMEOUT);
  }

  private acknowledgeFindings(cloudWatchRole: boolean, hasWebAcl: boolean): void {
    acknowledge(
      this.api,
      'APIG4',
      'OTLP exporters authenticate with a static header: every method requires an API key ' +
        '(x-api-key) and its usage plan throttles it. SDK exporters cannot sign requests (IAM) ' +
        'or fetch tokens (Cognito).',
    );
    acknowledge(
      this.api,
      'COG4',
      'Same as APIG4: callers are OTLP exporters holding an API key, not Cognito users.',
    );
    if (!hasWebAcl) {
      acknowledge(
        this.api,
        'APIG3',
        'A web ACL is optional (webAclArn prop): it costs a monthly fee per ACL and rule, and API keys ' +
          'with usage-plan throttling already refuse and limit unknown callers.',
      );
    }
    if (cloudWatchRole) {
      acknowledge(
        this.api,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-wide API Gateway logging role (cloudWatchRole prop) needs this AWS-managed policy: ' +
          'API Gateway creates the log groups of execution logging itself, under names it chooses.',
      );
    }
  }
}

/** Stands in for the error message while the JSON is built; see accessLogFormat. */
const ERROR_MESSAGE_SLOT = '<error-message>';

/** JSON access log lines: who called (key id, never the key), what, the outcome and latencies. */
function accessLogFormat(): apigateway.AccessLogFormat {
  const F = apigateway.AccessLogField;
  const line = JSON.stringify({
    requestId: F.contextRequestId(),
    requestTime: F.contextRequestTime(),
    ip: F.contextIdentitySourceIp(),
    userAgent: F.contextIdentityUserAgent(),
    apiKeyId: F.contextIdentityApiKeyId(),
    httpMethod: F.contextHttpMethod(),
    resourcePath: F.contextResourcePath(),
    protocol: F.contextProtocol(),
    status: F.contextStatus(),
    responseLength: F.contextResponseLength(),
    responseLatency: F.contextResponseLatency(),
    integrationStatus: F.contextIntegrationStatus(),
    integrationLatency: F.contextIntegrationLatency(),
    errorMessage: ERROR_MESSAGE_SLOT,
  });
  // $context.error.messageString is the message already quoted and escaped for JSON; quoting it
  // again (as JSON.stringify would) breaks the line whenever a message contains a quote.
  return apigateway.AccessLogFormat.custom(
    line.replace(JSON.stringify(ERROR_MESSAGE_SLOT), F.contextErrorMessageString()),
  );
}
