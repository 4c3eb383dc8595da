/** The canary function's environment variables, named once for the handler and the CDK construct. */
export const CanaryEnv = {
  /** The ingest API's stage URL: the trace is exported there. */
  INGEST_ENDPOINT: 'TRACESIFT_CANARY_INGEST_ENDPOINT',
  /** The id of the ingest API key the canary exports with (its value is read from API Gateway). */
  INGEST_API_KEY_ID: 'TRACESIFT_CANARY_INGEST_API_KEY_ID',
  /** The query API's stage URL: the trace is read back there. */
  QUERY_ENDPOINT: 'TRACESIFT_CANARY_QUERY_ENDPOINT',
  /** The id of the read API key the canary reads with (its value is read from API Gateway). */
  QUERY_API_KEY_ID: 'TRACESIFT_CANARY_QUERY_API_KEY_ID',
  /** Milliseconds after the export by which the trace must be readable. */
  READ_DEADLINE_MS: 'TRACESIFT_CANARY_READ_DEADLINE_MS',
} as const;
