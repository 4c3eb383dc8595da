/**
 * `npm run bench`: every stage on the reference workload, medians over several runs, printed as a
 * table and written to bench/results/latest.json. Single-threaded, so figures are per core.
 * Flags in options.ts (BENCH_USAGE).
 */
import { writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { usageRequested } from '../local/usage.ts';
import { describeWorkload, generateWorkload, saveWorkload, type Workload } from '../workload/workload.ts';
import { benchCompaction } from './compaction.ts';
import { BenchUsageError } from './errors.ts';
import { type BenchResult, figure, meetsGoal, peakMemory } from './harness.ts';
import { benchIngest } from './ingest.ts';
import { BENCH_USAGE, type BenchOptions, parseBenchArgs } from './options.ts';
import { benchSampler } from './sampler.ts';
import { benchSearch } from './search.ts';
import { benchStorage } from './storage.ts';

function parseFlags(argv: readonly string[]): BenchOptions {
  if (usageRequested(argv)) {
    process.stdout.write(BENCH_USAGE);
    process.exit(0);
  }
  try {
    return parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`npm run bench: ${error.message}`);
    process.exit(2);
  }
}

const flags = parseFlags(process.argv.slice(2));
const { traces, runs } = flags;
const out = resolve(flags.out ?? new URL('./results/latest.json', import.meta.url).pathname);

interface Stage {
  readonly name: string;
  readonly bench: (workload: Workload, runs: number) => BenchResult[] | Promise<BenchResult[]>;
}

const allStages: readonly Stage[] = [
  { name: 'ingest', bench: benchIngest },
  { name: 'sampler', bench: benchSampler },
  { name: 'storage', bench: benchStorage },
  {
    name: 'compaction',
    bench: (_workload, runs) => benchCompaction(Math.min(runs, 3), flags.compactionSpans),
  },
  { name: 'search', bench: (workload) => benchSearch(workload, flags.searchStored) },
];
const stages = allStages.filter((stage) => flags.stages === undefined || flags.stages.includes(stage.name));

const started = Date.now();
process.stdout.write(`generating the reference workload (${traces} traces, seed 42)... `);
const workload = generateWorkload({ seed: 42, traces });
const shape = describeWorkload(workload);
process.stdout.write(`${workload.spanCount} spans in ${workload.requests.length} requests\n`);
console.log(
  `spans a trace: median ${shape.spansPerTrace.median}, mean ${shape.spansPerTrace.mean.toFixed(1)}, ` +
    `p99 ${shape.spansPerTrace.p99}, max ${shape.spansPerTrace.max} (${shape.tracesOver1000Spans} traces >= 1,000); ` +
    `errors ${(shape.errorShare * 100).toFixed(1)}%, slow ${(shape.slowShare * 100).toFixed(1)}%; ` +
    `OTLP ${shape.protobufBytesPerSpan.toFixed(0)} B/span protobuf, ${shape.jsonBytesPerSpan.toFixed(0)} B/span JSON`,
);
if (flags.saveWorkload) {
  const dir = resolve(flags.saveWorkload);
  console.log(`saved ${saveWorkload(workload, dir)} files to ${dir}`);
}

const results: BenchResult[] = [];
for (const stage of stages) {
  process.stdout.write(`${stage.name}... `);
  const t = Date.now();
  const { result, peakAboveBaseMiB } = await peakMemory(() => stage.bench(workload, runs));
  results.push(
    ...result,
    figure(stage.name, 'peak RSS above the loaded workload, all its runs', peakAboveBaseMiB, 'MiB'),
  );
  process.stdout.write(`${((Date.now() - t) / 1000).toFixed(0)} s\n`);
}

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
  out,
  `${JSON.stringify({ date: new Date().toISOString(), machine, runs, workload: shape, results }, null, 2)}\n`,
);
console.log(`\nwritten ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
