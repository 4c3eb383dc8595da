/**
 * What tracesift's two REST APIs have in common: the ingest API (writes) and the query API (reads)
 * are each a regional REST API whose one stage is throttled, access-logged and optionally behind
 * a web ACL, and whose methods all require an API key of its own usage plan. A key belongs to one
 * plan, and a plan to one API's stage, so a key of one API is unknown to the other: API Gateway
 * itself refuses a write key on a read route (Forbidden), before any function runs.
 */
import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { InvalidPropError } from './errors.ts';
import { acknowledge } from './nag.ts';
import { checkInteger, checkName } from './validation.ts';

/** How many requests one API key may make in a period (a usage-plan quota). */
export interface ApiQuota {
  /**
   * Requests per period; 0 turns the quota off (throttling still applies).
   * @default - the API's own (IngestApiProps.quota, QueryApiProps.quota)
   */
  readonly limit?: number;
  /** @default apigateway.Period.DAY */
  readonly period?: apigateway.Period;
}

export interface ApiThrottle {
  /**
   * Steady-state requests per second per API key.
   * @default - the API's own (IngestApiProps.throttle, QueryApiProps.throttle)
   */
  readonly rateLimit?: number;
  /**
   * Requests a key may send at once above the steady rate.
   * @default - the API's own
   */
  readonly burstLimit?: number;
}

/** What each API's stage takes from its user, documented once for both APIs. */
export interface StageProps {
  /**
   * Name of the API stage, the first path segment of the API's URL.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Create the account-wide role API Gateway needs to write access and execution logs. One per
   * account and region: set false when another stack already set it (TracePipeline lets the ingest
   * API create it and sets this false for the read API).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * ARN of an AWS WAF web ACL (REGIONAL scope) to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
}

export interface KeyedRestApiProps {
  readonly description: string;
  /** What callers hold this API's key (the key's description). */
  readonly keyDescription: string;
  readonly throttle: ApiThrottle | undefined;
  readonly defaultThrottle: Required<ApiThrottle>;
  readonly quota: ApiQuota | undefined;
  readonly defaultDailyQuota: number;
  readonly stageName: string | undefined;
  readonly cloudWatchRole: boolean;
  readonly webAclArn: string | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The stage settings of `keyedRestApi` from an API's props (the account logging role by default). */
export function stageSettingsOf(
  props: StageProps & { readonly logRetention: logs.RetentionDays; readonly removalPolicy: RemovalPolicy },
): Pick<KeyedRestApiProps, 'stageName' | 'cloudWatchRole' | 'webAclArn' | 'logRetention' | 'removalPolicy'> {
  return {
    stageName: props.stageName,
    cloudWatchRole: props.cloudWatchRole ?? true,
    webAclArn: props.webAclArn,
    logRetention: props.logRetention,
    removalPolicy: props.removalPolicy,
  };
}

export interface KeyedRestApi {
  readonly api: apigateway.RestApi;
  readonly stage: apigateway.Stage;
  readonly apiKey: apigateway.IApiKey;
  readonly usagePlan: apigateway.UsagePlan;
  readonly accessLogs: logs.LogGroup;
  readonly rateLimit: number;
  readonly burstLimit: number;
}

const STAGE_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * Creates the API under `scope` (ids AccessLogs, Api, Api/ApiKey, Api/UsagePlan, WebAcl, as the
 * ingest API always had them, so a deployed key keeps its value). Props are checked first.
 */
export function keyedRestApi(scope: Construct, props: KeyedRestApiProps): KeyedRestApi {
  const { rateLimit, burstLimit } = checkedThrottle(scope, props.throttle, props.defaultThrottle);
  const quota = checkedQuota(scope, props.quota, props.defaultDailyQuota);
  const stageName = checkName(
    scope,
    'stageName',
    props.stageName ?? 'prod',
    STAGE_NAME,
    128,
    'letters, digits, _ and -',
  );
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const api = new apigateway.RestApi(scope, 'Api', {
    // Named by its construct path: CDK's default (the id, 'Api') would give both APIs one name, and
    // API Gateway's CloudWatch metrics (dimension ApiName) would add the two together.
    restApiName: Names.uniqueResourceName(scope, { maxLength: 128 }),
    description: props.description,
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    // Every body reaches the function base64-encoded, byte for byte (protobuf, gzip), and the
    // function's base64 responses go back as bytes, whatever the client's Accept header.
    binaryMediaTypes: ['*/*'],
    apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
    cloudWatchRole: props.cloudWatchRole,
    ...(props.cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
    deployOptions: {
      stageName,
      accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
      accessLogFormat: accessLogFormat(),
      // Errors only, never request or response bodies: spans may carry personal data.
      loggingLevel: apigateway.MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      throttlingRateLimit: rateLimit,
      throttlingBurstLimit: burstLimit,
    },
  });
  const stage = api.deploymentStage;
  const apiKey = api.addApiKey('ApiKey', { description: props.keyDescription });
  const usagePlan = api.addUsagePlan('UsagePlan', {
    description: `${props.description}: per-key throttling and quota`,
    throttle: { rateLimit, burstLimit },
    ...(quota ? { quota } : {}),
    // This API's stage only: its keys are unknown to every other API.
    apiStages: [{ api, stage }],
  });
  usagePlan.addApiKey(apiKey);
  if (props.webAclArn !== undefined) {
    new wafv2.CfnWebACLAssociation(scope, 'WebAcl', {
      resourceArn: stage.stageArn,
      webAclArn: props.webAclArn,
    });
  }
  acknowledgeFindings(api, props.cloudWatchRole, props.webAclArn !== undefined);
  return { api, stage, apiKey, usagePlan, accessLogs, rateLimit, burstLimit };
}

/** A throttle prop (`prop`, e.g. 'throttle') with its defaults filled in, checked. */
export function checkedThrottle(
  scope: Construct,
  throttle: ApiThrottle | undefined,
  defaults: Required<ApiThrottle>,
  prop = 'throttle',
): Required<ApiThrottle> {
  const rateLimit = checkInteger(
    scope,
    `${prop}.rateLimit`,
    throttle?.rateLimit ?? defaults.rateLimit,
    1,
    1_000_000,
  );
  const burstLimit = checkInteger(
    scope,
    `${prop}.burstLimit`,
    throttle?.burstLimit ?? defaults.burstLimit,
    1,
    1_000_000,
  );
  if (burstLimit < rateLimit) {
    throw new InvalidPropError(
      scope.node.path,
      `${prop}.burstLimit`,
      burstLimit,
      `must be at least ${prop}.rateLimit (${rateLimit})`,
    );
  }
  return { rateLimit, burstLimit };
}

/** The usage plan's quota, or undefined when its limit is 0 (off). */
function checkedQuota(
  scope: Construct,
  quota: ApiQuota | undefined,
  defaultDailyQuota: number,
): apigateway.QuotaSettings | undefined {
  const limit = checkInteger(scope, 'quota.limit', quota?.limit ?? defaultDailyQuota, 0, 2_147_483_647);
  if (limit === 0) return undefined;
  return { limit, period: quota?.period ?? apigateway.Period.DAY };
}

function acknowledgeFindings(api: apigateway.RestApi, cloudWatchRole: boolean, hasWebAcl: boolean): void {
  acknowledge(
    api,
    'APIG4',
    'Callers authenticate with a static header: every method carrying trace data requires an API key ' +
      "(x-api-key) of this API's own usage plan, which throttles it (the few without one, CORS " +
      "preflights and the web UI's static files, acknowledge it where they are defined). OTLP exporters " +
      "cannot sign requests (IAM) or fetch tokens (Cognito), nor can Grafana's Jaeger data source, " +
      'which sends custom headers.',
  );
  acknowledge(
    api,
    'COG4',
    'Same as APIG4: callers are exporters and query clients holding an API key, not Cognito users.',
  );
  if (!hasWebAcl) {
    acknowledge(
      api,
      'APIG3',
      'A web ACL is optional (webAclArn prop): it costs a monthly fee per ACL and rule, and API keys ' +
        'with usage-plan throttling already refuse and limit unknown callers.',
    );
  }
  if (cloudWatchRole) {
    acknowledge(
      api,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-wide API Gateway logging role (cloudWatchRole prop) needs this AWS-managed policy: ' +
        'API Gateway creates the log groups of execution logging itself, under names it chooses.',
    );
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
