/**
 * The benchmark harness: runs a measured function several times and reports the median, so a
 * noisy shared machine moves figures less. Every stage module exports `bench<Stage>()` returning
 * BenchResult rows; bench/run.ts prints them and writes bench/results/latest.json.
 */

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
