/**
 * The benchmark harness: runs a measured function several times and reports the median, so a
 * noisy shared machine moves figures less. Every stage module exports `bench<Stage>()` returning
 * BenchResult rows; bench/run.ts prints them and writes bench/results/latest.json.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';

export interface BenchResult {
  readonly stage: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** Every run's value, for the spread. */
  readonly runs: readonly number[];
  /** The project's goal for this figure, when it has one. */
  readonly goal?: { readonly op: '>=' | '<='; readonly value: number };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times; returns each run's wall time in ms. */
export function timeRuns(fn: () => void, runs = 5, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

export async function timeRunsAsync(fn: () => Promise<void>, runs = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** A throughput row (items per second) from per-run times in ms. */
export function rate(
  stage: string,
  metric: string,
  items: number,
  timesMs: readonly number[],
  goal?: BenchResult['goal'],
): BenchResult {
  const runs = timesMs.map((ms) => (items / ms) * 1000);
  return { stage, metric, value: median(runs), unit: '/s', runs, ...(goal ? { goal } : {}) };
}

/** A single measured figure (sizes, ratios) that does not vary between runs. */
export function figure(
  stage: string,
  metric: string,
  value: number,
  unit: string,
  goal?: BenchResult['goal'],
): BenchResult {
  return { stage, metric, value, unit, runs: [value], ...(goal ? { goal } : {}) };
}

export function meetsGoal(result: BenchResult): boolean | undefined {
  if (!result.goal) return undefined;
  return result.goal.op === '>=' ? result.value >= result.goal.value : result.value <= result.goal.value;
}

/** Stage throughput over its floor's throughput: how many times slower than the floor (or faster, below 1). */
export function ratio(stage: string, metric: string, of: BenchResult, floor: BenchResult): BenchResult {
  return figure(stage, metric, floor.value / of.value, 'x');
}

/** A GC entry point without --expose-gc: the flag can be set at run time, then read from a fresh context. */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Samples the process's resident set every millisecond from a worker thread while the main thread
 * runs synchronous stage code (which would starve a timer on the main thread). RSS is per process,
 * so the worker sees the main thread's allocations.
 */
const SAMPLER_SOURCE = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.flag);
const peak = new Float64Array(workerData.peak);
while (Atomics.load(flag, 0) === 0) {
  const rss = process.memoryUsage.rss();
  if (rss > peak[0]) peak[0] = rss;
  Atomics.wait(flag, 0, 0, 1);
}
`;

export interface PeakMemory<T> {
  readonly result: T;
  /** Resident set before the stage, after a full collection (the workload's bodies included). */
  readonly baseMiB: number;
  /** Highest resident set seen while the stage ran, above that base. */
  readonly peakAboveBaseMiB: number;
}

/** Runs `fn` and reports its peak resident memory above what the process held before it. */
export async function peakMemory<T>(fn: () => Promise<T> | T): Promise<PeakMemory<T>> {
  collector()();
  const base = process.memoryUsage.rss();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const peak = new Float64Array(new SharedArrayBuffer(8));
  peak[0] = base;
  const worker = new Worker(SAMPLER_SOURCE, {
    eval: true,
    workerData: { flag: flag.buffer, peak: peak.buffer },
  });
  await new Promise((resolve) => worker.once('online', resolve));
  try {
    const result = await fn();
    return {
      result,
      baseMiB: base / 2 ** 20,
      peakAboveBaseMiB: (Math.max(peak[0] ?? base, process.memoryUsage.rss()) - base) / 2 ** 20,
    };
  } finally {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}
