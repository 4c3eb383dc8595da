/** Stack outputs a deployer needs next: where to send spans, where to read, which keys to fetch, where data lands. */
import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { TracePipeline } from './trace-pipeline.ts';

export function addPipelineOutputs(scope: Construct, pipeline: TracePipeline): void {
  const { ingestApi, queryApi, analyticsStore, athena, sampler, monitoring } = pipeline;
  new CfnOutput(scope, 'OtlpEndpoint', {
    description: 'OTLP/HTTP base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); traces go to <this>v1/traces',
    value: ingestApi.endpointUrl,
  });
  new CfnOutput(scope, 'OtlpTracesEndpoint', {
    description: 'OTLP/HTTP traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)',
    value: ingestApi.tracesUrl,
  });
  new CfnOutput(scope, 'ApiKeyId', {
    description:
      'Id of the ingest API key (sends spans, reads nothing): aws apigateway get-api-key --include-value --api-key <id>',
    value: ingestApi.apiKey.keyId,
  });
  if (ingestApi.browserApiKey) {
    new CfnOutput(scope, 'BrowserApiKeyId', {
      description:
        'Id of the browser API key (public, in the pages of ingest.cors.allowedOrigins; sends spans, reads nothing): aws apigateway get-api-key --include-value --api-key <id>',
      value: ingestApi.browserApiKey.keyId,
    });
  }
  new CfnOutput(scope, 'QueryEndpoint', {
    description:
      "Query API base URL (reads only, the read key): GET <this>v1/traces/{traceId} (OTLP JSON); Jaeger's query API under <this>api/ (Grafana's Jaeger data source URL)",
    value: queryApi.endpointUrl,
  });
  new CfnOutput(scope, 'WebUiUrl', {
    description:
      'The web UI (search, trace view, service graph); the page asks for the read key once per tab',
    value: `${queryApi.endpointUrl}ui/`,
  });
  new CfnOutput(scope, 'QueryApiKeyId', {
    description:
      'Id of the read API key (reads traces, sends nothing): aws apigateway get-api-key --include-value --api-key <id>',
    value: queryApi.apiKey.keyId,
  });
  new CfnOutput(scope, 'AthenaWorkGroup', { value: athena.workGroupName });
  new CfnOutput(scope, 'GlueDatabase', { value: analyticsStore.databaseName });
  new CfnOutput(scope, 'DataBucket', { value: analyticsStore.bucket.bucketName });
  new CfnOutput(scope, 'FailedBatchesBucket', { value: sampler.failedBatchesBucket.bucketName });
  new CfnOutput(scope, 'Dashboard', { value: monitoring.dashboard.dashboardName });
  new CfnOutput(scope, 'TraceStream', { value: pipeline.traceStream.stream.streamName });
  if (pipeline.canary) {
    new CfnOutput(scope, 'CanaryFunction', {
      description: 'Run the canary now: aws lambda invoke --function-name <this> out.json',
      value: pipeline.canary.function.functionName,
    });
  }
}
