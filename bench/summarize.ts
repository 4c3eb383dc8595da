/**
 * Combines several `npm run bench -- --out FILE` results into the median of their medians and the
 * spread between runs, as a Markdown table for BENCHMARKS.md:
 *
 *   node bench/summarize.ts bench/results/full-1.json bench/results/full-2.json bench/results/full-3.json
 */
import { readFileSync } from 'node:fs';
import { type BenchResult, median } from './harness.ts';

interface RunFile {
  readonly date: string;
  readonly results: readonly BenchResult[];
}

export interface SummaryRow {
  readonly stage: string;
  readonly metric: string;
  readonly unit: string;
  readonly medianOfMedians: number;
  readonly lowest: number;
  readonly highest: number;
  readonly goal: BenchResult['goal'];
}

/** One row per figure present in every run, in the first run's order. */
export function summarize(runs: readonly RunFile[]): SummaryRow[] {
  const [first] = runs;
  if (!first) return [];
  const key = (r: BenchResult): string => `${r.stage}\u0000${r.metric}`;
  const rows: SummaryRow[] = [];
  for (const result of first.results) {
    const values = runs.map((run) => run.results.find((r) => key(r) === key(result))?.value);
    if (values.some((v) => v === undefined)) continue;
    const present = values as number[];
    rows.push({
      stage: result.stage,
      metric: result.metric,
      unit: result.unit,
      medianOfMedians: median(present),
      lowest: Math.min(...present),
      highest: Math.max(...present),
      goal: result.goal,
    });
  }
  return rows;
}

function format(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function markdown(rows: readonly SummaryRow[]): string {
  const lines = [
    '| stage | figure | median of medians | runs\u2019 medians | goal | |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const goal = r.goal ? `${r.goal.op} ${format(r.goal.value)}` : '';
    const met = r.goal
      ? (r.goal.op === '>=' ? r.medianOfMedians >= r.goal.value : r.medianOfMedians <= r.goal.value)
        ? 'met'
        : '**missed**'
      : '';
    const spread = r.lowest === r.highest ? 'same' : `${format(r.lowest)} .. ${format(r.highest)}`;
    lines.push(
      `| ${r.stage} | ${r.metric} | ${format(r.medianOfMedians)} ${r.unit} | ${spread} | ${goal} | ${met} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node bench/summarize.ts RESULT.json [RESULT.json ...]');
    process.exit(2);
  }
  const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunFile);
  console.log(markdown(summarize(runs)));
}
