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

/**
 * CPU time of the whole process (user + system, every thread: GC helpers included), in ms. Used
 * instead of wall time because the reference machine is shared: another process taking the core
 * stretches wall time by whatever it took (up to 3x in our runs at load average 6 on 2 cores), while
 * CPU time only moves with cache and frequency effects. On an idle machine the two agree for
 * single-threaded code, so "spans/s per core" keeps its meaning.
 */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times; returns each run's CPU time in ms. */
export function timeRuns(fn: () => void, runs = 5, warmup = 1): number[] {
  return timeInterleaved({ fn }, runs, warmup).fn;
}

export async function timeRunsAsync(fn: () => Promise<void>, runs = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = cpuMs();
    await fn();
    times.push(cpuMs() - start);
  }
  return times;
}

/**
 * Times several functions round-robin (a, b, c, a, b, c, ...), so that run i of each saw the same
 * machine: ratios between them taken run by run (`pairedRatio`) cancel most of the noise that
 * separate series would keep.
 */
export function timeInterleaved<K extends string>(
  fns: Readonly<Record<K, () => void>>,
  runs = 5,
  warmup = 1,
): Record<K, number[]> {
  const names = Object.keys(fns) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < warmup + runs; i++) {
    for (const name of names) {
      const start = cpuMs();
      fns[name]();
      if (i >= warmup) times[name].push(cpuMs() - start);
    }
  }
  return times;
}

/** Stage time over floor time, run by run (times from `timeInterleaved`), with its median. */
export function pairedRatio(
  stage: string,
  metric: string,
  stageTimes: readonly number[],
  floorTimes: readonly number[],
): BenchResult {
  const runs = stageTimes.map((t, i) => t / (floorTimes[i] ?? Number.NaN));
  return { stage, metric, value: median(runs), unit: 'x', runs };
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
  // Listened for from the start: a worker that died early must not leave the stage waiting.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await Promise.race([new Promise((resolve) => worker.once('online', resolve)), exited]);
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
    await exited;
  }
}
