/**
 * `npm run bench`: every stage on the reference workload, medians over several runs, printed as a
 * table and written to bench/results/latest.json. Single-threaded, so figures are per core.
 */
import { writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { type BenchResult, meetsGoal } from './harness.ts';
import { benchIngest } from './ingest.ts';
import { benchSampler } from './sampler.ts';
import { generateWorkload } from './workload.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const traces = quick ? 2_000 : 10_000;
const runs = quick ? 3 : 5;

const started = Date.now();
process.stdout.write(`generating the reference workload (${traces} traces, seed 42)... `);
const workload = generateWorkload({ seed: 42, traces });
process.stdout.write(`${workload.spanCount} spans in ${workload.requests.length} requests\n`);

const results: BenchResult[] = [...benchIngest(workload, runs), ...(await benchSampler(workload, runs))];

function format(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

const rows = results.map((r) => {
  const ok = meetsGoal(r);
  const goal = r.goal ? `${r.goal.op} ${format(r.goal.value)}` : '';
  const spread = r.runs.length > 1 ? `${format(Math.min(...r.runs))}..${format(Math.max(...r.runs))}` : '';
  return [
    r.stage,
    r.metric,
    `${format(r.value)} ${r.unit}`.trim(),
    spread,
    goal,
    ok === undefined ? '' : ok ? 'ok' : 'MISSED',
  ];
});
const header = ['stage', 'figure', 'median', 'range', 'goal', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const row of rows) console.log(line(row));

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  arch: arch(),
  memoryGiB: totalmem() / 2 ** 30,
  node: process.version,
};
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), machine, workload: { traces, spans: workload.spanCount, requests: workload.requests.length }, results }, null, 2)}\n`,
);
console.log(`\nwritten bench/results/latest.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
