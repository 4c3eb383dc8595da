/** Metrics: the catalogue of every metric (the telemetry contract) and the EMF writer that emits them. */
export {
  type DimensionsOf,
  type FunctionName,
  type IngestErrorStatus,
  METRIC_CATALOGUE,
  type MetricDefinition,
  type MetricName,
  RESPONSE_METRICS,
  type UnitOf,
} from './catalogue.ts';
export {
  type Dimensions,
  MAX_DIMENSIONS,
  MAX_METRICS_PER_LINE,
  METRICS_NAMESPACE,
  type MetricSink,
  Metrics,
  type MetricUnit,
  parseEmfLine,
  stdoutSink,
} from './emf.ts';
export { MetricsError, TooManyDimensionsError } from './errors.ts';
