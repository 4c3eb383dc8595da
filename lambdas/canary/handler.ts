/** Lambda entry point of the canary: its environment (both APIs, their keys read once per container), clients and telemetry, into wiring.ts. */
import { randomBytes } from 'node:crypto';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { requiredEnv } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { CanaryEnv } from './environment.ts';
import { createCanaryFunction } from './wiring.ts';

const apiGateway = new APIGatewayClient({});

/** The value of an API key, read from API Gateway once per container (again after a failed read). */
function apiKeyValue(apiKeyId: string): () => Promise<string> {
  let apiKey: Promise<string> | undefined;
  return () => {
    apiKey ??= apiGateway
      .send(new GetApiKeyCommand({ apiKey: apiKeyId, includeValue: true }))
      .then((key) => key.value ?? '')
      .catch((error: unknown) => {
        apiKey = undefined; // read again by the next invocation
        throw error;
      });
    return apiKey;
  };
}

export const handler = createCanaryFunction(
  {
    ingest: {
      endpoint: requiredEnv(CanaryEnv.INGEST_ENDPOINT),
      apiKey: apiKeyValue(requiredEnv(CanaryEnv.INGEST_API_KEY_ID)),
    },
    query: {
      endpoint: requiredEnv(CanaryEnv.QUERY_ENDPOINT),
      apiKey: apiKeyValue(requiredEnv(CanaryEnv.QUERY_API_KEY_ID)),
    },
    readDeadlineMs: Number(requiredEnv(CanaryEnv.READ_DEADLINE_MS)),
  },
  {
    fetch,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
  },
  lambdaTelemetry('canary'),
);
