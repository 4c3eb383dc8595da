/**
 * The rewrite of a shard-hour (rewrite.ts) in a worker thread of its own, with a young generation
 * sized for it.
 *
 * Lambda's Node.js runtime starts a function with `--max-semi-space-size` at a twentieth of its
 * memory (51 MB at 1,024 MB), and the rewrite's allocation rate (hyparquet's decoding above all)
 * grows the young generation to all it may: 134 MB, measured, most of it empty after each
 * scavenge. The flag is the process's, set before any code of ours runs, and it overrides a
 * worker's own `resourceLimits` too; but V8 reads it again for each new isolate, so it is set
 * (`setFlagsFromString`) to the rewrite's size just before its worker starts, and this thread's
 * heap keeps the runtime's.
 *
 * The worker asks this thread for each input's bytes (the S3 client, its credentials and the
 * tests' doubles stay here), which are copied once to be moved to it, and moves the files back.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { TableName } from '../storage/index.ts';
import { RewriteWorkerError } from './errors.ts';
import type { RewriteRequest, RewriteResult, RewrittenFile } from './rewrite.ts';

/**
 * Semi-space of the rewrite's young generation (MB): 16 gives it 34 MB. A 500,000-span
 * shard-hour measured ~130 MB less resident than at the runtime's 51, for ~1.2x the CPU time
 * (more scavenges); 8 saved little more, for ~1.3x (BENCHMARKS.md).
 */
export const REWRITE_SEMI_SPACE_MB = 16;

/** The worker's script, beside this module: in the sources, or in the bundle (esbuild writes .mjs). */
export const REWRITE_WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './rewrite-worker.ts' : './rewrite-worker.mjs',
  import.meta.url,
);

/** Messages from the worker. */
export type WorkerMessage =
  | { readonly kind: 'read'; readonly id: number; readonly key: string }
  | { readonly kind: 'done'; readonly result: WireResult }
  | { readonly kind: 'failed'; readonly name: string; readonly message: string; readonly stack?: string };

/** Messages to the worker. */
export type ReadReply =
  | { readonly kind: 'bytes'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly kind: 'unreadable'; readonly id: number; readonly message: string };

/** A rewrite's result as it crosses threads (a map does, but its files are listed for transfer). */
export interface WireResult {
  readonly files: readonly (readonly [TableName, RewrittenFile])[];
  readonly buckets: number;
  readonly peakRowsHeld: number;
}

export interface ThreadOptions {
  /** The worker's script. @default REWRITE_WORKER_URL */
  readonly workerUrl?: URL;
  /** Semi-space of the worker's young generation (MB). @default REWRITE_SEMI_SPACE_MB */
  readonly semiSpaceMb?: number;
}

/**
 * A copy of `bytes` in a buffer of its own, to be moved to another thread: moving the original
 * would empty the caller's (a read may hand out bytes it keeps), and Node refuses to move the
 * buffers of its Buffers.
 */
export function movableCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** rewriteShardHour's work, done in a worker thread (see above). */
export function rewriteInThread(
  request: RewriteRequest,
  read: (key: string) => Promise<Uint8Array>,
  options: ThreadOptions = {},
): Promise<RewriteResult> {
  setFlagsFromString(`--max-semi-space-size=${options.semiSpaceMb ?? REWRITE_SEMI_SPACE_MB}`);
  const worker = new Worker(options.workerUrl ?? REWRITE_WORKER_URL, { workerData: request });
  return new Promise<RewriteResult>((resolve, reject) => {
    let readFailure: unknown;
    const settle = (outcome: () => void) => {
      worker.removeAllListeners();
      void worker.terminate();
      outcome();
    };
    /** Reads an input for the worker; a failure is told to it and kept to be the rewrite's error. */
    const answerRead = async (id: number, key: string) => {
      try {
        const bytes = movableCopy(await read(key));
        worker.postMessage({ kind: 'bytes', id, bytes } satisfies ReadReply, [bytes.buffer]);
      } catch (error) {
        readFailure ??= error;
        worker.postMessage({ kind: 'unreadable', id, message: String(error) } satisfies ReadReply);
      }
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'read') {
        void answerRead(message.id, message.key);
      } else if (message.kind === 'done') {
        const { files, buckets, peakRowsHeld } = message.result;
        settle(() => resolve({ files: new Map(files), buckets, peakRowsHeld }));
      } else {
        const failure = readFailure ?? new RewriteWorkerError(message.name, message.message, message.stack);
        settle(() => reject(failure));
      }
    });
    worker.on('error', (error) =>
      settle(() => reject(new RewriteWorkerError(error.name, error.message, error.stack))),
    );
    worker.on('exit', (code) =>
      settle(() =>
        reject(new RewriteWorkerError('Exit', `the worker stopped (exit code ${code}) before it answered`)),
      ),
    );
  });
}
