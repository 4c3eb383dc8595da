/** The canary function's environment variables, named once for the handler and the CDK construct. */
export const CanaryEnv = {
  /** The API's stage URL. */
  ENDPOINT: 'TRACESIFT_CANARY_ENDPOINT',
  /** The id of the API key the canary exports and reads with (its value is read from API Gateway). */
  API_KEY_ID: 'TRACESIFT_CANARY_API_KEY_ID',
  /** Milliseconds after the export by which the trace must be readable. */
  READ_DEADLINE_MS: 'TRACESIFT_CANARY_READ_DEADLINE_MS',
} as const;
