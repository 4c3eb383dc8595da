/** Terminal tables for `npm run cost`: one per traffic level, then a summary across levels. */
import type { FigureSources } from './figures.ts';
import type { IdleCost } from './idle.ts';
import type { CostEstimate } from './model.ts';

export function usd(value: number): string {
  if (value >= 100) return `$${Math.round(value).toLocaleString('en-US')}`;
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toFixed(4)}`;
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function levelTable(estimate: CostEstimate): string {
  const spansMillions = estimate.totalUsd / estimate.perMillionSpansUsd;
  const rows = estimate.lines.map((line) => [
    line.component,
    usd(line.usd),
    usd(line.usd / spansMillions),
    `${((line.usd / estimate.totalUsd) * 100).toFixed(1)}%`,
    line.usage,
  ]);
  rows.push(['total', usd(estimate.totalUsd), usd(estimate.perMillionSpansUsd), '100%', '']);
  rows.push([
    `the stream alone as ${estimate.otherKinesis.component}`,
    usd(estimate.otherKinesis.usd),
    usd(estimate.otherKinesis.usd / spansMillions),
    '',
    estimate.otherKinesis.usage,
  ]);
  const d = estimate.derived;
  return [
    `${estimate.traffic.spansPerSecond.toLocaleString('en-US')} spans/s: ${Math.round(d.requestsPerSecond).toLocaleString('en-US')} requests/s, ` +
      `${Math.round(d.tracesPerSecond).toLocaleString('en-US')} traces/s, ${Math.round(d.keptTracesPerSecond).toLocaleString('en-US')} kept/s, ` +
      `${d.shards} shards, ${d.samplerInvocationsPerSecond.toFixed(1)} sampler invocations/s`,
    table(['component', 'per month', 'per M spans', 'share', 'usage'], rows, new Set([1, 2, 3])),
  ].join('\n');
}

/** The idle bill line by line, and its total with the other Kinesis mode. */
export function idleTable(idle: IdleCost, otherMode: IdleCost): string {
  const rows = idle.lines.map((line) => [line.component, usd(line.usd), line.usage]);
  rows.push(['total', usd(idle.totalUsd), '']);
  rows.push([`total with Kinesis ${otherMode.kinesisMode}`, usd(otherMode.totalUsd), '']);
  return [
    `idle: no spans; API Gateway, Lambda, DynamoDB, S3 requests, Athena and logs cost nothing`,
    table(['component', 'per month', 'usage'], rows, new Set([1])),
  ].join('\n');
}

/** One row per level; `otherMode` holds the same levels priced with the other Kinesis mode. */
export function summaryTable(estimates: readonly CostEstimate[], otherMode: readonly CostEstimate[]): string {
  const rows = estimates.map((e, i) => [
    e.traffic.spansPerSecond.toLocaleString('en-US'),
    usd(e.totalUsd),
    usd(e.perMillionSpansUsd),
    usd(otherMode[i]?.totalUsd ?? Number.NaN),
    usd(e.xray.everyTrace.recordingUsd),
    usd(e.xray.everyTrace.usd),
    usd(e.xray.sameKeepRate.usd),
  ]);
  const kinesisOf = (e: CostEstimate | undefined): string =>
    e?.lines.find((l) => l.component.startsWith('Kinesis'))?.component ?? '';
  return table(
    [
      'spans/s',
      `tracesift, ${kinesisOf(estimates[0])}`,
      'per M spans',
      `with ${kinesisOf(otherMode[0])}`,
      'X-Ray, record all',
      'X-Ray, all + queries',
      'X-Ray, head-sampled + queries',
    ],
    rows,
    new Set([0, 1, 2, 3, 4, 5, 6]),
  );
}

export function sourcesNote(sources: FigureSources, benchFile: string | undefined): string {
  const lines = Object.entries(sources.sources).map(
    ([key, source]) =>
      `  ${key} = ${Number((sources.figures as unknown as Record<string, number>)[key]).toPrecision(4)} (${source})`,
  );
  return [
    `measured figures${benchFile ? ` from ${benchFile}` : ''}:`,
    ...lines,
    ...sources.warnings.map((warning) => `warning: ${warning}`),
  ].join('\n');
}
