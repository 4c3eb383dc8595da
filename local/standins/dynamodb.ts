/**
 * DynamoDB stand-in: dynalite in-process. dynalite has no UpdateTimeToLive and always describes
 * TTL as DISABLED (FACTS.md); this wrapper answers both calls so table setup code runs unchanged.
 * Expired items are never deleted by dynalite, which is why readers filter on `expires_at`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynamoDbClient } from '../../lambdas/shared/aws/clients.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './kinesis.ts';
import { closeServer, listenOnLoopback } from './listen.ts';

export interface DynamoDbStandIn {
  readonly endpoint: string;
  readonly port: number;
  client(): DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynamoDbStandIn(
  options: { port?: number; path?: string } = {},
): Promise<DynamoDbStandIn> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const [original] = server.listeners('request') as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  if (!original) throw new Error('dynalite has no request listener to wrap');
  const ttl = new Map<string, string>();
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.endsWith('.UpdateTimeToLive') || target.endsWith('.DescribeTimeToLive')) {
      answerTtl(req, res, target.endsWith('.UpdateTimeToLive'), ttl);
    } else original(req, res);
  });
  const port = await listenOnLoopback(server, options.port ?? 0, 'DynamoDB stand-in (dynalite)');
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    client: () => dynamoDbClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    close: () => closeServer(server),
  };
}

function answerTtl(
  req: IncomingMessage,
  res: ServerResponse,
  update: boolean,
  ttl: Map<string, string>,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      TableName?: string;
      TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
    };
    const table = body.TableName ?? '';
    let payload: unknown;
    if (update) {
      const spec = body.TimeToLiveSpecification ?? {};
      if (spec.Enabled && spec.AttributeName) ttl.set(table, spec.AttributeName);
      else ttl.delete(table);
      payload = { TimeToLiveSpecification: spec };
    } else {
      const attribute = ttl.get(table);
      payload = {
        TimeToLiveDescription: attribute
          ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
          : { TimeToLiveStatus: 'DISABLED' },
      };
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(payload));
  });
}
