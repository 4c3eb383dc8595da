/**
 * The rewrite in a worker thread (rewrite-thread.ts, rewrite-worker.ts): the same files as in this
 * thread; the worker's failures, a failed read, and a worker that stops without answering, each
 * reported clearly; and the worker's young generation is the size it is given, even in a process
 * started with Lambda's larger `--max-semi-space-size`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RewriteWorkerError } from '../../../lambdas/compaction/errors.ts';
import { type RewriteRequest, rewriteInProcess } from '../../../lambdas/compaction/rewrite.ts';
import { rewriteInThread } from '../../../lambdas/compaction/rewrite-thread.ts';
import { lambdaNodeFlags } from '../../../lambdas/compaction/sizing.ts';
import { tableFormats } from '../../../lambdas/storage/index.ts';
import { shardHourFiles } from '../../support/shard-hour.ts';
import { testConfig } from '../../support/storage.ts';

const config = testConfig();
const formats = tableFormats(config.storage);
const TIGHT = { sliceRows: 16, blockRows: 8, mergeWays: 3 };

/** `traces` traces of the reference generator in batch files of 10, and a request for them. */
function shardHour(traces: number): { request: RewriteRequest; files: Map<string, Uint8Array> } {
  const { inputs, files } = shardHourFiles(traces, 8, formats);
  return { request: { inputs, formats, bucketBytes: 4_000, limits: TIGHT }, files };
}

/** A worker script of the test's own, in a temporary folder. */
function workerScript(source: string): URL {
  const dir = mkdtempSync(join(tmpdir(), 'tracesift-worker-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'worker.mjs');
  writeFileSync(file, source);
  return pathToFileURL(file);
}

describe('rewriteInThread', () => {
  it('writes the same files as the rewrite in this thread, reading every input once', async () => {
    // Prepare
    const { request, files } = shardHour(40);
    const reads: string[] = [];
    const read = async (key: string) => {
      reads.push(key);
      return files.get(key) as Uint8Array;
    };
    // Act
    const inThread = await rewriteInThread(request, read);
    const readsInThread = reads.splice(0);
    const here = await rewriteInProcess(request, read);
    // Assess
    expect(inThread.buckets).toBeGreaterThan(1);
    expect(inThread.buckets).toBe(here.buckets);
    expect(inThread.peakRowsHeld).toBe(here.peakRowsHeld);
    expect([...inThread.files.keys()].sort()).toEqual(['edges', 'spans', 'traces']);
    for (const [table, file] of here.files) {
      expect(inThread.files.get(table)?.rows, table).toBe(file.rows);
      expect(Buffer.from(inThread.files.get(table)?.body ?? []).equals(Buffer.from(file.body)), table).toBe(
        true,
      );
    }
    expect(readsInThread.sort()).toEqual(reads.sort());
  });

  it("reports the worker's error by name and message: an input that is not Parquet", async () => {
    // Prepare
    const { request, files } = shardHour(10);
    const first = request.inputs[0] as RewriteRequest['inputs'][number];
    files.set(first.key, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    // Act
    const rewrite = rewriteInThread(request, async (key) => files.get(key) as Uint8Array);
    // Assess
    await expect(rewrite).rejects.toThrow(RewriteWorkerError);
    await expect(rewrite).rejects.toMatchObject({
      workerErrorName: 'StorageError',
      message: expect.stringMatching(/StorageError: cannot read Parquet footer/),
    });
  });

  it('fails with the read error itself when an input cannot be read', async () => {
    // Prepare
    const { request, files } = shardHour(10);
    const unreadable = new Error('GetObject: access denied');
    const last = request.inputs.at(-1) as RewriteRequest['inputs'][number];
    const read = async (key: string) => {
      if (key === last.key) throw unreadable;
      return files.get(key) as Uint8Array;
    };
    // Act, Assess
    await expect(rewriteInThread(request, read)).rejects.toBe(unreadable);
  });

  it.each([
    ['stops without answering', 'process.exit(3);', /Exit: the worker stopped \(exit code 3\)/],
    ['throws outside the rewrite', "throw new RangeError('worker broke');", /RangeError: worker broke/],
  ])('fails clearly when the worker %s', async (_case, source, message) => {
    // Prepare
    const workerUrl = workerScript(source);
    const { request, files } = shardHour(2);
    // Act, Assess
    await expect(
      rewriteInThread(request, async (key) => files.get(key) as Uint8Array, { workerUrl }),
    ).rejects.toThrow(message);
  });

  it("gives the worker the young generation it is given, not the process's flag (slow: a child process)", () => {
    // Prepare: a worker that fills its young generation, then reports its size (as its error),
    // started from a process with the flags Lambda gives a 1,024 MB function (semi-space 51 MB)
    const probe = workerScript(`
      import { getHeapSpaceStatistics } from 'node:v8';
      import { parentPort } from 'node:worker_threads';
      let kept = [];
      for (let i = 0; i < 3_000_000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 200_000) kept = []; }
      const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      parentPort.postMessage({ kind: 'failed', name: 'Probe', message: String(young.space_size) });
    `);
    const driver = workerScript(`
      import { rewriteInThread } from ${JSON.stringify(new URL('../../../lambdas/compaction/rewrite-thread.ts', import.meta.url).href)};
      const request = { inputs: [], formats: {}, bucketBytes: 1 };
      const options = { workerUrl: new URL(${JSON.stringify(probe.href)}), semiSpaceMb: Number(process.argv[2]) };
      await rewriteInThread(request, async () => new Uint8Array(), options).catch((error) =>
        process.stdout.write(error.message));
    `);
    const youngGenerationMb = (semiSpaceMb: number) => {
      const out = execFileSync(
        process.execPath,
        [...lambdaNodeFlags(1024), fileURLToPath(driver), String(semiSpaceMb)],
        { encoding: 'utf8' },
      );
      const reported = /Probe: (\d+)$/.exec(out);
      if (!reported) throw new Error(`the probe reported no size: ${out}`);
      return Number(reported[1]) / 2 ** 20;
    };
    // Act
    const capped = youngGenerationMb(4);
    const uncapped = youngGenerationMb(51);
    // Assess: the new space is two semi-spaces at most (with a little slack for V8's rounding)
    expect(capped).toBeGreaterThan(0);
    expect(capped).toBeLessThanOrEqual(2 * 4 + 1);
    expect(uncapped).toBeGreaterThan(2 * 4 + 1);
  });
});
