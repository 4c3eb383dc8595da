/** Stack outputs a deployer needs next: where to send spans, which key to fetch, where data lands. */
import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { TracePipeline } from './trace-pipeline.ts';

export function addPipelineOutputs(scope: Construct, pipeline: TracePipeline): void {
  const { ingestApi, analyticsStore, athena, sampler, monitoring } = pipeline;
  new CfnOutput(scope, 'OtlpEndpoint', {
    description: 'OTLP/HTTP base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); traces go to <this>v1/traces',
    value: ingestApi.endpointUrl,
  });
  new CfnOutput(scope, 'OtlpTracesEndpoint', {
    description: 'OTLP/HTTP traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)',
    value: ingestApi.tracesUrl,
  });
  new CfnOutput(scope, 'ApiKeyId', {
    description: 'Id of the API key: aws apigateway get-api-key --include-value --api-key <id>',
    value: ingestApi.apiKey.keyId,
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
