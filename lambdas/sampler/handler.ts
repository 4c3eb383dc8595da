/** Lambda entry point of the sampler function: its environment, clients and telemetry, into wiring.ts. */
import { dynamoDbClient, kinesisClient, s3Client } from '../shared/aws/clients.ts';
import { functionEnvironment } from '../shared/config/index.ts';
import { lambdaTelemetry } from '../shared/telemetry.ts';
import { createSamplerFunction } from './wiring.ts';

const env = functionEnvironment();

export const handler = createSamplerFunction(
  {
    config: env.config,
    streamName: env.streamName(),
    tableName: env.tableName(),
    bucketName: env.bucketName(),
  },
  {
    // Deferred and forwarded traces are written by put-records.ts's own retry loop with a deadline;
    // SDK retries inside it would stretch that deadline.
    kinesis: kinesisClient({ maxAttempts: 1, requestTimeoutMs: 3_000 }),
    dynamodb: dynamoDbClient(),
    s3: s3Client(),
    now: Date.now,
  },
  lambdaTelemetry('sampler'),
);
