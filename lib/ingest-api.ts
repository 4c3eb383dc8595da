/**
 * The write face of tracesift: an API Gateway REST API with `/v1/traces` (OTLP/HTTP) and
 * `/api/v2/spans` (Zipkin v2 JSON) to the ingest function, and nothing that reads. Every method
 * needs an ingest key (the `x-api-key` header every OTLP exporter, and Zipkin's HTTP transports,
 * can send) of this API's usage plan, which throttles each key; every request is access-logged. Reads are another REST API (QueryApi) with keys of its own: a key that can write
 * is unknown there. With `ingest.cors.allowedOrigins` set, pages of those origins may send too
 * (ingest-cors.ts), with a browser key of a usage plan of its own.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { InvalidPropError } from './errors.ts';
import { CONFIG_ENV_VAR, STREAM_ENV_VAR } from './function-environment.ts';
import { grantStreamCalls } from './function-grants.ts';
import { addGatewayErrorCors, addPreflight, GATEWAY_ERROR_CORS_HEADERS } from './ingest-cors.ts';
import { acknowledge } from './nag.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { checkReservedConcurrency, type FunctionDefaults, PipelineFunction } from './pipeline-function.ts';
import {
  type ApiQuota,
  type ApiThrottle,
  checkedThrottle,
  keyedRestApi,
  type StageProps,
  stageSettingsOf,
} from './rest-api.ts';
import { API_INTEGRATION_TIMEOUT } from './trace-store.ts';
import { checkDuration, checkInteger } from './validation.ts';

/** Lambda's synchronous invocation payload limit, which the base64-encoded body must fit in. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** Room left in the payload for the rest of the proxy event (headers, request context). */
export const PROXY_EVENT_OVERHEAD_BYTES = 32 * 1024;
/** Time ingest needs besides its PutRecords deadline: decoding, packing, answering. */
export const INGEST_TIMEOUT_HEADROOM = Duration.seconds(2);

/** Concurrency reserved for ingest unless told otherwise (see IngestApiProps.reservedConcurrentExecutions). */
export const INGEST_RESERVED_CONCURRENCY = 200;

/** The default daily quota of an ingest key (see IngestApiProps.quota). */
export const DEFAULT_DAILY_QUOTA = 100_000_000;

/** The default throttle of each ingest key and of the stage (see IngestApiProps.throttle). */
export const INGEST_THROTTLE: Required<ApiThrottle> = { rateLimit: 1000, burstLimit: 2000 };

/** The default throttle of the browser key (see IngestApiProps.browserThrottle). */
export const BROWSER_THROTTLE: Required<ApiThrottle> = { rateLimit: 50, burstLimit: 100 };

export interface IngestApiProps extends FunctionDefaults, StageProps {
  readonly stream: kinesis.IStream;
  readonly config: PipelineConfig;
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
   * Throttling of each ingest key (usage plan) and of the stage as a whole. An OpenTelemetry batch
   * span processor sends up to 512 spans a request, so 1,000 requests/s carry about 500,000 spans/s.
   * @default - 1,000 requests/s, bursts of 2,000
   */
  readonly throttle?: ApiThrottle;
  /**
   * Requests each ingest key may make per day (or month): what one leaked or runaway key can cost
   * before API Gateway answers 429 until the period ends. 0 turns the quota off.
   * @default - 100,000,000 a day: about 1,160 requests/s all day, above the default throttle's
   * 1,000, so only a key that keeps sending beyond its throttle for a day is refused
   */
  readonly quota?: ApiQuota;
  /**
   * Throttling of the browser key, which exists only when `config.ingest.cors.allowedOrigins` is
   * set. That key is public (every page that sends spans holds it) and shared by every browser, so
   * its usage plan is its own: a page, or anyone who copies the key, can use up this throttle but
   * not the ingest keys'. It can only send spans, like the ingest key. A web SDK batching spans
   * every few seconds sends well under one request/s per open page, so 50/s serves some hundreds of
   * pages at once; raise it for more. There is no quota: anyone holding the public key could use
   * it up and silence every browser until the period ends.
   * @default - 50 requests/s, bursts of 100
   */
  readonly browserThrottle?: ApiThrottle;
}

export class IngestApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly stage: apigateway.Stage;
  public readonly ingestFunction: lambda.Function;
  /** The ingest key: it can send spans, and read nothing. */
  public readonly apiKey: apigateway.IApiKey;
  public readonly usagePlan: apigateway.UsagePlan;
  /** The browser key (public; sends spans only), when `ingest.cors.allowedOrigins` is set. */
  public readonly browserApiKey?: apigateway.IApiKey;
  /** The browser key's usage plan (IngestApiProps.browserThrottle), when there is a browser key. */
  public readonly browserUsagePlan?: apigateway.UsagePlan;
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
    const { allowedOrigins } = ingestConfig.cors;
    const browserThrottle = checkedThrottle(this, props.browserThrottle, BROWSER_THROTTLE, 'browserThrottle');
    const rest = keyedRestApi(this, {
      description: 'tracesift: OTLP/HTTP trace ingest',
      keyDescription: 'tracesift: OTLP exporters (sends spans, reads nothing)',
      throttle: props.throttle,
      defaultThrottle: INGEST_THROTTLE,
      quota: props.quota,
      defaultDailyQuota: DEFAULT_DAILY_QUOTA,
      ...stageSettingsOf(props),
    });
    this.api = rest.api;
    this.stage = rest.stage;
    this.apiKey = rest.apiKey;
    this.usagePlan = rest.usagePlan;
    this.accessLogs = rest.accessLogs;

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

    const integration = new apigateway.LambdaIntegration(ingest.function, { allowTestInvoke: false });
    // ANY rather than POST: ingest answers other methods with 405 and a message, as OTLP/HTTP
    // specifies; with POST alone API Gateway answers them 403 "Missing Authentication Token",
    // which sends a user debugging a misconfigured exporter to their API key instead. Zipkin's
    // span reports (the path Zipkin clients post to) go to the same function, which tells the two
    // apart by resource.
    const traces = this.api.root.addResource('v1').addResource('traces');
    traces.addMethod('ANY', integration, { apiKeyRequired: true });
    const zipkinSpans = this.api.root.addResource('api').addResource('v2').addResource('spans');
    zipkinSpans.addMethod('ANY', integration, { apiKeyRequired: true });
    // Beyond its reserved concurrency Lambda throttles ingest, which API Gateway answers through
    // INTEGRATION_FAILURE; OTLP exporters retry 503 (with Retry-After), never that response's
    // default 5xx, so a flood held off by the cap is retried instead of lost.
    this.api.addGatewayResponse('IntegrationFailure', {
      type: apigateway.ResponseType.INTEGRATION_FAILURE,
      statusCode: '503',
      responseHeaders: {
        'Retry-After': `'${ingestConfig.retryAfterSeconds}'`,
        // A response type set on its own inherits nothing of DEFAULT_5XX.
        ...(allowedOrigins.length > 0 ? GATEWAY_ERROR_CORS_HEADERS : {}),
      },
      templates: {
        'application/json': JSON.stringify({ message: 'Service unavailable, retry later' }),
      },
    });

    if (allowedOrigins.length > 0) {
      for (const resource of [traces, zipkinSpans]) addPreflight(resource, allowedOrigins);
      addGatewayErrorCors(this.api);
      this.browserApiKey = this.api.addApiKey('BrowserApiKey', {
        description: 'tracesift: browser exporters (public; sends spans, reads nothing)',
      });
      this.browserUsagePlan = this.api.addUsagePlan('BrowserUsagePlan', {
        description: 'tracesift: browser exporters: throttling of the public browser key',
        throttle: browserThrottle,
        apiStages: [{ api: this.api, stage: this.stage }],
      });
      this.browserUsagePlan.addApiKey(this.browserApiKey);
    }

    this.endpointUrl = this.api.url;
    this.tracesUrl = this.api.urlForPath('/v1/traces');
    acknowledge(
      this.api,
      'APIG2',
      'OTLP protobuf and gzip bodies cannot be described by a request model, so API Gateway could ' +
        'validate nothing here: the ingest function decodes and validates every body itself (OTLP ' +
        'and Zipkin alike) and answers bad ones 400 with the reason.',
    );
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
}
