/**
 * The read face of tracesift: a REST API of its own, apart from the ingest API, carrying
 * `GET` and `HEAD` on `/v1/traces/{traceId}` and on the routes of Jaeger's query API
 * (JAEGER_ROUTES), which the web UI's data calls use too, to the trace store's query function.
 * Every one of those methods needs a read key of this API's usage plan, which is bound to this
 * API's stage only: an ingest key is not even known here, so API Gateway itself answers it 403
 * Forbidden, whatever the function would do. The web UI's static files (WEB_UI_ROUTES) need none.
 *
 * A separate API rather than a second usage plan on the ingest API: a usage plan grants its keys
 * every method of the stages it names, so keys of one API's stage cannot be kept from some of its
 * methods; and rather than a check in the function, which every new read route would have to
 * repeat and any bug in it would open.
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';
import type { FunctionDefaults } from './pipeline-function.ts';
import {
  type ApiQuota,
  type ApiThrottle,
  keyedRestApi,
  type StageProps,
  stageSettingsOf,
} from './rest-api.ts';

/**
 * Jaeger's v1 HTTP JSON query API, as Grafana's Jaeger data source calls it below its URL: trace by
 * id, search, services, operations (both forms) and dependencies. The query function routes on the
 * same resource templates (lambdas/query/app.ts QUERY_ROUTES).
 */
export const JAEGER_ROUTES = [
  'api/traces/{traceId}',
  'api/traces',
  'api/services',
  'api/services/{service}/operations',
  'api/operations',
  'api/dependencies',
] as const;

/**
 * The web UI's static files (lambdas/query/web-ui.ts WEB_UI_RESOURCES): the page, its script and
 * its stylesheet, and the page again at every deep link below `ui/`. They need no key: they hold
 * no trace data, and a browser cannot send a header when it opens a link. The page's data calls
 * are the read routes above, and still need the read key, which the page asks for.
 */
export const WEB_UI_ROUTES = ['ui', 'ui/{proxy+}'] as const;

/** The default throttle of each read key and of the stage (see QueryApiProps.throttle). */
export const QUERY_THROTTLE: Required<ApiThrottle> = { rateLimit: 100, burstLimit: 200 };

/** The default daily quota of a read key (see QueryApiProps.quota). */
export const QUERY_DAILY_QUOTA = 10_000_000;

export interface QueryApiProps extends Pick<FunctionDefaults, 'logRetention' | 'removalPolicy'>, StageProps {
  /** Serves the read routes (TraceStore.queryFunction). */
  readonly queryFunction: lambda.IFunction;
  /**
   * Throttling of each read key (usage plan) and of the stage as a whole. A dashboard refresh or a
   * trace view makes a few requests; reads cost DynamoDB reads and query function time.
   * @default - 100 requests/s, bursts of 200
   */
  readonly throttle?: ApiThrottle;
  /**
   * Requests each read key may make per day (or month); 0 turns the quota off.
   * @default - 10,000,000 a day: above the default throttle's 100 requests/s all day
   */
  readonly quota?: ApiQuota;
}

export class QueryApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly stage: apigateway.Stage;
  /** The read key: it can read traces, and send nothing (this API has no write route). */
  public readonly apiKey: apigateway.IApiKey;
  public readonly usagePlan: apigateway.UsagePlan;
  public readonly accessLogs: logs.LogGroup;
  /** `https://…/prod/`: the query base URL (`v1/traces/{traceId}` below it). */
  public readonly endpointUrl: string;

  public constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const rest = keyedRestApi(this, {
      description: 'tracesift: trace lookup (read only)',
      keyDescription: 'tracesift: trace readers such as Grafana (reads traces, sends nothing)',
      throttle: props.throttle,
      defaultThrottle: QUERY_THROTTLE,
      quota: props.quota,
      defaultDailyQuota: QUERY_DAILY_QUOTA,
      ...stageSettingsOf(props),
    });
    this.api = rest.api;
    this.stage = rest.stage;
    this.apiKey = rest.apiKey;
    this.usagePlan = rest.usagePlan;
    this.accessLogs = rest.accessLogs;

    // Checks that the path parameters are present. Body validation only applies to methods with a
    // JSON request model: a GET has no body, so enabling it changes nothing but satisfies cdk-nag
    // APIG2.
    const validator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'trace-lookup',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new apigateway.LambdaIntegration(props.queryFunction, { allowTestInvoke: false });
    // The trace by id as OTLP JSON, and Jaeger's query API (Grafana's Jaeger data source takes the
    // endpoint URL as its base and asks `api/traces/{traceId}`, `api/services`, ...). HEAD too (does
    // this trace exist?): a method the gateway does not define gets 403 "Missing Authentication
    // Token" whatever the key, not the function's answer.
    const route = (path: string, apiKeyRequired: boolean) => {
      const resource = this.api.root.resourceForPath(path);
      const parameters = [...path.matchAll(/\{(\w+)\+?\}/g)].map(([, name]) => [
        `method.request.path.${name}`,
        true,
      ]);
      return ['GET', 'HEAD'].map((method) =>
        resource.addMethod(method, integration, {
          apiKeyRequired,
          ...(parameters.length > 0 ? { requestParameters: Object.fromEntries(parameters) } : {}),
          requestValidator: validator,
        }),
      );
    };
    for (const path of ['v1/traces/{traceId}', ...JAEGER_ROUTES]) route(path, true);
    for (const method of WEB_UI_ROUTES.flatMap((path) => route(path, false))) acknowledgeWebUi(method);
    this.endpointUrl = this.api.url;
  }
}

function acknowledgeWebUi(method: apigateway.Method): void {
  const reason =
    "The web UI's static files (its page, script and stylesheet) are served without authorization by " +
    'design: a browser opening a link cannot send the API key header. They hold no trace data; every ' +
    "data call the page makes goes to this API's read routes, which require the read key, and the " +
    "stage's throttle limits the unauthenticated methods.";
  acknowledge(method, 'APIG4', reason);
  acknowledge(method, 'COG4', reason);
}
