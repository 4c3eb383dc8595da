/**
 * `npm run cost`: the monthly bill of a tracesift deployment at several traffic levels, from the
 * unit prices in prices.ts and the figures of the latest `npm run bench` (or the documented
 * defaults), next to the same traffic on AWS X-Ray. See BENCHMARKS.md, "Cost model".
 */
import { existsSync, readFileSync } from 'node:fs';
import { CostModelError } from './errors.ts';
import { defaultFigures, type FigureSources, figuresFromBench } from './figures.ts';
import { estimateIdleCost } from './idle.ts';
import { estimateMonthlyCost } from './model.ts';
import { parseCostArgs, USAGE } from './options.ts';
import { PRICES } from './prices.ts';
import { idleTable, levelTable, sourcesNote, summaryTable } from './report.ts';

const latest = new URL('../results/latest.json', import.meta.url).pathname;

function figuresFrom(file: string | undefined): FigureSources {
  if (file === undefined || !existsSync(file)) return defaultFigures();
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CostModelError(`${file} is not readable JSON: ${(error as Error).message}`, { cause: error });
  }
  return figuresFromBench(document, file);
}

try {
  const command = parseCostArgs(process.argv.slice(2), existsSync(latest) ? latest : undefined);
  if (command.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const otherKinesisMode = command.deployment.kinesisMode === 'on-demand' ? 'provisioned' : 'on-demand';
  if (command.idle) {
    const idle = estimateIdleCost(command.deployment, PRICES);
    const other = estimateIdleCost({ ...command.deployment, kinesisMode: otherKinesisMode }, PRICES);
    process.stdout.write(
      command.json ? `${JSON.stringify({ idle, other }, null, 2)}\n` : `${idleTable(idle, other)}\n`,
    );
    process.exit(0);
  }
  const sources = figuresFrom(command.benchFile);
  const figures =
    command.lambdaSpeedFactor === undefined
      ? sources.figures
      : { ...sources.figures, lambdaSpeedFactor: command.lambdaSpeedFactor };
  const priced = (deployment: typeof command.deployment) =>
    command.levels.map((spansPerSecond) =>
      estimateMonthlyCost({ ...command.traffic, spansPerSecond }, deployment, figures, PRICES),
    );
  const estimates = priced(command.deployment);
  // The other Kinesis mode changes more than the stream line (shards drive sampler batches and S3
  // requests), so it is priced in full.
  const otherMode = priced({ ...command.deployment, kinesisMode: otherKinesisMode });
  if (command.json) {
    process.stdout.write(`${JSON.stringify({ figures, sources: sources.sources, estimates }, null, 2)}\n`);
  } else {
    const t = command.traffic;
    console.log(
      `tracesift monthly cost, us-east-1 list prices (bench/cost/prices.ts: from memory, verify before relying)\n` +
        `${t.spansPerTrace} spans a trace, ${t.exportBatchSpans} spans a request, keep ${t.keepRate * 100}% of traces, ` +
        `${t.traceRetentionDays} days in DynamoDB, ${t.analyticsRetentionDays} days of Parquet, ` +
        `${command.deployment.architecture}, Kinesis ${command.deployment.kinesisMode}\n`,
    );
    for (const estimate of estimates) console.log(`${levelTable(estimate)}\n`);
    console.log(`${summaryTable(estimates, otherMode)}\n`);
    console.log(
      sourcesNote(
        sources,
        command.benchFile && existsSync(command.benchFile) ? command.benchFile : undefined,
      ),
    );
  }
} catch (error) {
  if (!(error instanceof CostModelError)) throw error;
  console.error(`npm run cost: ${error.message}`);
  process.exit(2);
}
