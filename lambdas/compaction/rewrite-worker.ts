/**
 * The worker side of rewrite-thread.ts: rewrites the shard-hour it is given, reading each input
 * through the thread that started it, and answers with the files (moved to it; the writer's
 * Buffers are copied first, as Node will not move those) or the error.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type RewriteRequest, rewriteShardHour } from './rewrite.ts';
import { movableCopy, type ReadReply, type WireResult, type WorkerMessage } from './rewrite-thread.ts';

function workerPort(): MessagePort {
  if (!parentPort) throw new Error('rewrite-worker.ts runs as a worker thread (rewrite-thread.ts starts it)');
  return parentPort;
}

const port = workerPort();

const request = workerData as RewriteRequest;
const pending = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
let nextId = 0;

port.on('message', (reply: ReadReply) => {
  const waiting = pending.get(reply.id);
  pending.delete(reply.id);
  if (reply.kind === 'bytes') waiting?.resolve(reply.bytes);
  else waiting?.reject(new Error(reply.message));
});

function read(key: string): Promise<Uint8Array> {
  const id = nextId++;
  const asked: WorkerMessage = { kind: 'read', id, key };
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    port.postMessage(asked);
  });
}

try {
  const result = await rewriteShardHour(
    request.inputs,
    read,
    request.formats,
    request.bucketBytes,
    request.limits,
  );
  const files = [...result.files].map(
    ([table, file]) => [table, { ...file, body: movableCopy(file.body) }] as const,
  );
  const answer: WorkerMessage = {
    kind: 'done',
    result: { files, buckets: result.buckets, peakRowsHeld: result.peakRowsHeld } satisfies WireResult,
  };
  port.postMessage(
    answer,
    files.map(([, file]) => file.body.buffer),
  );
} catch (error) {
  const { name, message, stack } = error as Error;
  const answer: WorkerMessage = { kind: 'failed', name, message, ...(stack ? { stack } : {}) };
  port.postMessage(answer);
}
