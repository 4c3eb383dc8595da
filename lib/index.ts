/** The public API of tracesift's CDK constructs: TracePipeline, and the constructs it composes. */
export { AnalyticsStore, type AnalyticsStoreProps } from './analytics-store.ts';
export { AthenaWorkspace, type AthenaWorkspaceProps, type NamedQueryDefinition } from './athena-workspace.ts';
export {
  InvalidContextError,
  InvalidPipelineConfigError,
  InvalidPropError,
  LambdaEnvironmentTooLargeError,
  PipelineDefinitionError,
  UnprojectedPartitionError,
} from './errors.ts';
export { IngestApi, type IngestApiProps } from './ingest-api.ts';
export { PipelineMonitoring, type PipelineMonitoringProps } from './monitoring.ts';
export { addPipelineOutputs } from './pipeline-outputs.ts';
export { QueryApi, type QueryApiProps } from './query-api.ts';
export type { ApiQuota, ApiThrottle, StageProps } from './rest-api.ts';
export { Sampler, type SamplerProps } from './sampler.ts';
export { TracePipeline, type TracePipelineProps } from './trace-pipeline.ts';
export { TraceStore, type TraceStoreProps } from './trace-store.ts';
export { TraceStream, type TraceStreamProps } from './trace-stream.ts';
