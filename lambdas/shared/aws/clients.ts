/**
 * The one place AWS SDK clients are made. Handlers receive clients from here (in AWS) or from the
 * local pipeline (pointed at the stand-ins); nothing else in a handler differs between the two.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ClientOptions {
  /** Endpoint override (local stand-ins); AWS's regional endpoint when absent. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Static credentials (local stand-ins); the Lambda role's credentials when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** SDK-level attempts; callers that run their own retry loop (ingest PutRecords) pass 1. */
  readonly maxAttempts?: number;
  /** Per-request socket timeout in ms. */
  readonly requestTimeoutMs?: number;
}

/**
 * HTTP/1.1 with keep-alive for every client: the Kinesis client's default HTTP/2 handler is only
 * needed for SubscribeToShard, which tracesift does not use, and kinesalite cannot speak HTTP/2.
 */
function requestHandler(options: ClientOptions): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    connectionTimeout: 2_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
  });
}

function common(options: ClientOptions) {
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: requestHandler(options),
  };
}

export function kinesisClient(options: ClientOptions = {}): KinesisClient {
  return new KinesisClient(common(options));
}

export function dynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(common(options));
}

export function s3Client(options: ClientOptions & { readonly forcePathStyle?: boolean } = {}): S3Client {
  return new S3Client({
    ...common(options),
    ...(options.forcePathStyle ? { forcePathStyle: true } : {}),
    // Checksums only where S3 requires them: s3rver stores the aws-chunked framing of streamed
    // checksummed uploads inside the object (FACTS.md); real S3 needs none for PutObject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
