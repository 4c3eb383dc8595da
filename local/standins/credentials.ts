/**
 * The stand-ins' credential. kinesalite and dynalite accept any request and s3rver any request
 * signed with its built-in key (or none), so without a check any local user could read and write
 * the pipeline's data past the API key. Started with a credential, a stand-in refuses every request
 * whose SigV4 access key id is not its own, as AWS refuses an unknown key, before the emulator sees
 * it. The access key id is 128 random bits generated per run and never leaves the process except in
 * endpoints.json (mode 0600); the signature itself is not verified (the emulators cannot), so the
 * id is what is secret. Loopback traffic is only observable by root, who can read everything anyway.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface StandInCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function generateCredentials(): StandInCredentials {
  return {
    accessKeyId: `TSLOCAL${randomBytes(16).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/** How each service answers an unknown access key id. */
export type StandInService = 'kinesis' | 'dynamodb' | 's3';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** The access key id a request is signed with (Authorization header or presigned query), if any. */
export function accessKeyIdOf(req: Pick<IncomingMessage, 'headers' | 'url'>): string | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') return /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
  const credential = new URL(req.url ?? '/', 'http://localhost').searchParams.get('X-Amz-Credential');
  return credential?.split('/')[0] || undefined;
}

/** `next` behind the check: requests signed with another access key id (or none) are refused. */
export function requireCredentials(
  credentials: StandInCredentials,
  service: StandInService,
  next: Listener,
): Listener {
  const expected = Buffer.from(credentials.accessKeyId);
  return (req, res) => {
    const presented = Buffer.from(accessKeyIdOf(req) ?? '');
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) {
      next(req, res);
      return;
    }
    req.resume();
    refuse(res, service);
  };
}

/** Puts the check in front of every request listener `server` has now. */
export function guardServer(server: Server, credentials: StandInCredentials, service: StandInService): void {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on(
    'request',
    requireCredentials(credentials, service, (req, res) => {
      for (const listener of listeners) listener(req, res);
    }),
  );
}

/** AWS's answers to an unknown access key id: JSON for Kinesis and DynamoDB, XML for S3. */
function refuse(res: ServerResponse, service: StandInService): void {
  if (service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code>' +
        '<Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>',
    );
    return;
  }
  const version = service === 'kinesis' ? '1.1' : '1.0';
  res.writeHead(400, { 'content-type': `application/x-amz-json-${version}` });
  res.end(
    JSON.stringify({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    }),
  );
}
