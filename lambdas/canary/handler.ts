/** Lambda entry point of the canary: wires the endpoint, the API key (read once per container) and clocks. */
import { randomBytes } from 'node:crypto';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { requiredEnv } from '../shared/config/load.ts';
import { jsonLogger } from '../shared/log.ts';
import { Metrics } from '../shared/metrics/emf.ts';
import { createCanaryHandler } from './app.ts';
import { CanaryEnv } from './environment.ts';

const apiGateway = new APIGatewayClient({});
const apiKeyId = requiredEnv(CanaryEnv.API_KEY_ID);
let apiKey: Promise<string> | undefined;

export const handler = createCanaryHandler({
  endpoint: requiredEnv(CanaryEnv.ENDPOINT),
  apiKey: () => {
    apiKey ??= apiGateway
      .send(new GetApiKeyCommand({ apiKey: apiKeyId, includeValue: true }))
      .then((key) => key.value ?? '')
      .catch((error: unknown) => {
        apiKey = undefined; // read again by the next invocation
        throw error;
      });
    return apiKey;
  },
  fetch,
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  metrics: new Metrics({ dimensions: { Function: 'canary' } }),
  logger: jsonLogger('canary'),
  readDeadlineMs: Number(requiredEnv(CanaryEnv.READ_DEADLINE_MS)),
  pollIntervalMs: 2_000,
});
